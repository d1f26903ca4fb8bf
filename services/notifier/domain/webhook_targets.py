"""Which webhook URLs and addresses the notifier may call. Pure.

A unit chooses its webhook URL, and the notifier POSTs to it from inside our network; without
these rules a unit could point it at the cloud's metadata service, at a database port on
localhost or at any private host, and read what answered in its notification history. So a
webhook must be a public address, unless an operator put the address or the host name on the
allow-list (tests, closed government networks).

Two moments use the same rules: when the URL is set (:func:`check_url`: the scheme, the host as
written, an address written in the URL), and before each send, on every address its host name
resolves to at that moment (:func:`check_address`), since DNS may answer differently later.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

INVALID = "webhook_url_invalid"
NOT_HTTPS = "webhook_scheme_not_https"
ODD_NOTATION = "webhook_host_odd_notation"
UNRESOLVED = "webhook_host_unresolved"
UNSPECIFIED = "webhook_host_unspecified"
LOOPBACK = "webhook_host_loopback"
LINK_LOCAL = "webhook_host_link_local"
MULTICAST = "webhook_host_multicast"
SHARED = "webhook_host_shared_address"
RESERVED = "webhook_host_reserved"
PRIVATE = "webhook_host_private"

# What a unit reads: which rule refused its webhook, never the address it resolved to (that
# would tell it about our internal DNS).
MESSAGES = {
    INVALID: "the webhook URL must be http:// or https:// with a host",
    NOT_HTTPS: "the webhook URL must be https://",
    ODD_NOTATION: "the webhook host must be a DNS name or a dotted-quad IPv4 address",
    UNRESOLVED: "the webhook host name does not resolve",
    UNSPECIFIED: "the webhook host is an unspecified address",
    LOOPBACK: "the webhook host is a loopback address",
    LINK_LOCAL: "the webhook host is a link-local address",
    MULTICAST: "the webhook host is a multicast address",
    SHARED: "the webhook host is in the shared address space (100.64.0.0/10)",
    RESERVED: "the webhook host is a reserved or not globally reachable address",
    PRIVATE: "the webhook host is a private address",
}

_SHARED_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# A label WHATWG URL parsers read as a number: then the whole host is an IPv4 address to them.
_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]*|[0-9]+)")
_HOST_NAME = re.compile(
    r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
)


@dataclass(frozen=True)
class TargetRefusal:
    """Why a webhook target is refused: a stable ``reason`` code and a message for the unit."""

    reason: str
    message: str

    @classmethod
    def of(cls, reason: str) -> TargetRefusal:
        return cls(reason, MESSAGES[reason])

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True)
class WebhookPolicy:
    """``allowed_networks`` and ``allowed_hosts`` (lower case, no trailing dot) may be reached
    whatever the rules say of their addresses; ``https_only`` in production."""

    allowed_networks: tuple[Network, ...] = ()
    allowed_hosts: frozenset[str] = frozenset()
    https_only: bool = False

    @classmethod
    def parse(cls, allow: str | Iterable[str], *, https_only: bool = False) -> WebhookPolicy:
        """An allow-list of CIDRs (``10.1.0.0/16``, ``127.0.0.1``) and host names, comma
        separated or as items; raises ValueError on an entry that is neither."""
        entries = allow.split(",") if isinstance(allow, str) else list(allow)
        networks: list[Network] = []
        hosts: set[str] = set()
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            network = _network(entry)
            if network is not None:
                networks.append(network)
                continue
            host = _normal(entry)
            if not _HOST_NAME.fullmatch(host) or _ends_in_number(host):
                raise ValueError(f"not a CIDR or a host name: {entry[:100]!r}")
            hosts.add(host)
        return cls(tuple(networks), frozenset(hosts), https_only)

    def allows_host(self, host: str) -> bool:
        return _normal(host) in self.allowed_hosts

    def allows_address(self, address: Address) -> bool:
        judged = _as_ipv4(address)
        return any(
            candidate.version == network.version and candidate in network
            for network in self.allowed_networks
            for candidate in {address, judged}
        )


def check_url(url: str, policy: WebhookPolicy) -> TargetRefusal | None:
    """What a unit may set as its webhook: its scheme and host as written. A host name is judged
    again, by what it resolves to, at each send (:func:`check_address`)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        return TargetRefusal.of(INVALID)
    if not parts.hostname:
        return TargetRefusal.of(INVALID)
    return check_target(parts.scheme, parts.hostname, policy)


def check_target(scheme: str, host: str, policy: WebhookPolicy) -> TargetRefusal | None:
    """The scheme and the host as a URL parser gave them (an IPv6 address without brackets)."""
    if scheme.lower() not in ("http", "https"):
        return TargetRefusal.of(INVALID)
    if policy.https_only and scheme.lower() != "https":
        return TargetRefusal.of(NOT_HTTPS)
    name = _normal(host)
    if not name:
        return TargetRefusal.of(INVALID)
    if policy.allows_host(name):
        return None
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        pass
    else:
        return check_address(address, name, policy)
    if _ends_in_number(name):
        # 0x7f000001, 2130706433, 017700000001, 127.1: resolvers and URL parsers read these
        # as addresses, each its own way; no legitimate webhook is written so.
        return TargetRefusal.of(ODD_NOTATION)
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return TargetRefusal.of(LOOPBACK)
    return None


def check_address(address: Address | str, host: str, policy: WebhookPolicy) -> TargetRefusal | None:
    """One address ``host`` resolved to (or was written as), about to be connected to."""
    if isinstance(address, str):
        address = ipaddress.ip_address(address)
    if policy.allows_host(host) or policy.allows_address(address):
        return None
    reason = _reason(address)
    return None if reason is None else TargetRefusal.of(reason)


def _reason(address: Address) -> str | None:
    """Which refused class ``address`` is in; None for a globally reachable unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address carried in IPv6 reaches that IPv4 host: judge it instead.
        embedded = _carried_ipv4(address)
        if embedded is not None and (reason := _reason(embedded)) is not None:
            return reason
        if address.ipv4_mapped is not None or address in _NAT64:
            return None  # all the carried address says; the IPv6 wrapper is not the host
    for refused, reason in _CLASSES:
        if refused(address):
            return reason
    return None


def _carried_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 host an IPv6 address reaches: mapped, NAT64, 6to4 or Teredo; None otherwise."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour or (address.teredo[1] if address.teredo else None)


# In order: the first class an address is in names the rule that refuses it.
_CLASSES: tuple[tuple[Callable[[Address], bool], str], ...] = (
    (lambda a: a.is_unspecified, UNSPECIFIED),
    (lambda a: a.is_loopback, LOOPBACK),
    (lambda a: a.is_link_local, LINK_LOCAL),
    (lambda a: a.is_multicast, MULTICAST),
    (lambda a: a in _SHARED_SPACE, SHARED),
    (lambda a: a.is_reserved, RESERVED),
    # fec0::/10, site-local: deprecated, private all the same.
    (lambda a: a.is_private or (isinstance(a, ipaddress.IPv6Address) and a.is_site_local), PRIVATE),
    (lambda a: not a.is_global, RESERVED),
)


def _network(entry: str) -> Network | None:
    try:  # strict: 10.0.0.1/8 is a typo to show, not a network to widen silently
        return ipaddress.ip_network(entry.strip("[]"))
    except ValueError:
        return None


def _as_ipv4(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _normal(host: str) -> str:
    host = host.strip().lower()
    return host[:-1] if host.endswith(".") else host


def _ends_in_number(host: str) -> bool:
    """WHATWG's "ends in a number": a URL parser reads a host whose last label is a number as an
    IPv4 address. Asked only of hosts :mod:`ipaddress` did not take for a plain address."""
    return bool(_NUMBER.fullmatch(host.rsplit(".", 1)[-1]))
