"""Every store's contract runs twice: on its in-memory fake and on PostgreSQL.

A test asking for ``backend`` is parametrized over both; ``stores`` fixtures in each file build
the fake when ``backend`` is None and the PostgreSQL adapters on the URL otherwise, so one set of
cases holds the fake to what the real store does (in the style of the eventsourcing library).
"""

from __future__ import annotations

import pytest


@pytest.fixture(params=["memory", "postgres"])
def backend(request: pytest.FixtureRequest) -> str | None:
    """The owner's URL of a fresh database for PostgreSQL; None for the fakes (no server)."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("database_url")
        return url
    return None
