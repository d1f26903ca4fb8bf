"""Every attempt the suite makes to get in where it should not, and how many got in.

Security tests record each forbidden attempt here; the suite prints the tally at its end
(tests/conftest.py), so a run shows at a glance that the count of those that got in is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Ledger:
    attempts: int = 0
    got_in: list[str] = field(default_factory=list)

    def record(self, what: str, refused: bool) -> None:
        self.attempts += 1
        if not refused:
            self.got_in.append(what)


LEDGER = Ledger()
