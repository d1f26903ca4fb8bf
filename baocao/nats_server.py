"""The config file of a nats-server closed by JWT auth: the operator, the accounts, JetStream.

:class:`baocao.embedded.EmbeddedNats` starts the server on it; the layout under ``data_dir`` is
the config, the log, the JetStream store and the account resolver's directory.
"""

from __future__ import annotations

from pathlib import Path

from baocao.nats_authority import NatsAuthority


def write_config(
    authority: NatsAuthority,
    data_dir: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 4222,
    leafnode_port: int | None = None,
) -> Path:
    """Write (or rewrite, with the current account JWTs) ``data_dir/nats-server.conf``."""
    resolver_dir = data_dir / "resolver"
    resolver_dir.mkdir(parents=True, exist_ok=True)
    store_dir = data_dir / "jetstream"
    store_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "nats-server.conf"
    text = authority.server_config(
        store_dir=store_dir,
        resolver_dir=resolver_dir,
        host=host,
        port=port,
        leafnode_port=leafnode_port,
    )
    path.write_text(text)
    # It holds no seed, only public JWTs, but nobody else needs to read it.
    path.chmod(0o600)
    return path
