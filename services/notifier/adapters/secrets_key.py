"""The key that encrypts webhook secrets at rest: NOTIFIER_SECRETS_KEY, or, on a developer's
machine without it, a random key generated once into a file (production refuses to start
without the setting: replicas would each generate their own)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from shared.logging import get_logger

log = get_logger(__name__)


def load_keys(configured: str | None, key_file: Path) -> list[str]:
    """The Fernet keys, newest first: the first encrypts, every one decrypts (rotation)."""
    keys = [k.strip() for k in (configured or "").split(",") if k.strip()]
    if not keys:
        keys = [_read_or_create(key_file)]
    for position, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except ValueError:
            # Never the key itself in the message: it ends up in logs.
            raise ValueError(
                f"webhook secrets key {position} is not a Fernet key (32 url-safe base64 bytes)"
            ) from None
    return keys


def _read_or_create(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: two processes starting
        # together end up with one key, and neither reads a half-written file.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(Fernet.generate_key().decode("ascii") + "\n")
            try:
                os.link(temporary, path)
                log.warning(
                    "generated a development key for webhook secrets; losing it makes the"
                    " stored secrets unreadable (set NOTIFIER_SECRETS_KEY in production)",
                    path=str(path),
                )
            except FileExistsError:
                pass
        finally:
            temporary.unlink()
    return path.read_text(encoding="ascii").strip()
