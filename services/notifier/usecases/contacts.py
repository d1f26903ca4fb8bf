"""Each unit's contacts (where its notices go) and the history of its notices, behind one rule
of who may see or change them: a unit its own, its province its communes', Central everyone's.

Refusals are raised as :class:`~shared.refusals.Refusal` kinds, never HTTP codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.notifier.domain import webhook_targets
from services.notifier.domain.webhook_targets import WebhookPolicy
from services.notifier.usecases.ports import Contact, ContactStore, NoticeHistory
from shared.clock import Clock
from shared.identity import Caller, Role, require_reach, require_role
from shared.logging import get_logger
from shared.refusals import Kind, Refusal
from shared.registry import Registry

log = get_logger(__name__)
# Who may change where a unit's notices go: its own system or clerk, an approving official, or
# operations staff. A read-only dashboard may look but not redirect them.
MANAGERS = (Role.SUBMITTER, Role.APPROVER, Role.OPS)


class UnknownUnit(Refusal):
    kind = Kind.NOT_FOUND


class NoContacts(Refusal):
    kind = Kind.NOT_FOUND


class ContactsExist(Refusal):
    kind = Kind.CONFLICT


class WebhookRefused(Refusal):
    """A webhook URL the notifier may not call (:mod:`~services.notifier.domain.webhook_targets`
    names the rule)."""

    kind = Kind.INVALID


class Contacts:
    def __init__(
        self,
        *,
        contacts: ContactStore,
        history: NoticeHistory,
        registry: Registry,
        clock: Clock,
        webhook_policy: WebhookPolicy,
    ) -> None:
        self.contacts = contacts
        self._history = history
        self.registry = registry
        self.clock = clock
        self.webhook_policy = webhook_policy

    def _reach(self, caller: Caller, unit: str, *roles: Role) -> None:
        """Refuses unless ``caller`` holds one of ``roles`` (any, if none) and reaches ``unit``."""
        if roles:
            require_role(caller, *roles)
        found = self.registry.get(unit)
        if found is None:
            raise UnknownUnit("unknown_unit", f"no unit has code {unit[:16]!r}")
        require_reach(caller, found)

    async def read(self, caller: Caller, unit: str) -> Contact | None:
        self._reach(caller, unit)
        return await self.contacts.get(unit)

    async def create(
        self,
        caller: Caller,
        unit: str,
        emails: Sequence[str],
        webhook_url: str | None,
        webhook_secret: str | None,
    ) -> Contact:
        """A unit's first contacts; refused if it has some (``replace`` replaces them)."""
        self._reach(caller, unit, *MANAGERS)
        if await self.contacts.get(unit) is not None:
            raise ContactsExist("contacts_exist", f"{unit} has contacts already; PUT replaces them")
        return await self._store(caller, unit, emails, webhook_url, webhook_secret)

    async def replace(
        self,
        caller: Caller,
        unit: str,
        emails: Sequence[str],
        webhook_url: str | None,
        webhook_secret: str | None,
    ) -> Contact:
        self._reach(caller, unit, *MANAGERS)
        return await self._store(caller, unit, emails, webhook_url, webhook_secret)

    async def remove(self, caller: Caller, unit: str) -> None:
        """Removes a unit's contacts (it keeps ``notify.<unit>`` on NATS)."""
        self._reach(caller, unit, *MANAGERS)
        if not await self.contacts.delete(unit):
            raise NoContacts("no_contacts", f"{unit} has no contacts")
        log.info("contacts removed", unit=unit, by=caller.unit)

    async def history(self, caller: Caller, unit: str, limit: int) -> list[dict[str, Any]]:
        """The notices to or about ``unit``, newest first, seen under the contacts' rule."""
        self._reach(caller, unit)
        return await self._history.history(unit, limit)

    async def _store(
        self,
        caller: Caller,
        unit: str,
        emails: Sequence[str],
        webhook_url: str | None,
        webhook_secret: str | None,
    ) -> Contact:
        if webhook_url is not None:
            refusal = webhook_targets.check_url(webhook_url, self.webhook_policy)
            if refusal is not None:
                raise WebhookRefused(refusal.reason, refusal.message)
        contact = Contact(
            unit, tuple(emails), webhook_url, webhook_secret, caller.unit, self.clock.now()
        )
        await self.contacts.put(contact)
        log.info(
            "contacts changed",
            unit=unit,
            by=caller.unit,
            emails=len(emails),
            webhook=webhook_url is not None,
        )
        return contact
