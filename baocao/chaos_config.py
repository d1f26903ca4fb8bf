"""What one chaos run sends and breaks (:class:`ChaosConfig`), with the defaults of `make chaos`."""

from __future__ import annotations

from dataclasses import dataclass

from baocao.load import Mix

# Seconds planned per disruption while sending (a kill's down time included), when the send
# phase's length is not given: dense enough for 20 kills in about a minute of sending.
KILL_STEP = 2.5
# The load module's noise (missing, invalid, corrected, re-sent), with both ways in exercised.
NATIONAL_MIX = Mix(over_http=0.3)


@dataclass(frozen=True)
class ChaosConfig:
    """What one run sends and breaks. The defaults are ``make chaos``: the whole nation."""

    kills: int = 24
    provinces: tuple[str, ...] | None = None
    seed: int = 2026
    mix: Mix = NATIONAL_MIX
    kills_after_sending: int | None = None  # default: a sixth of the kills, at least 2
    send_seconds: float | None = None  # default: enough for the kills planned during sending
    down_for: tuple[float, float] = (0.2, 1.5)  # how long a killed service stays down
    infra_down_for: tuple[float, float] = (0.5, 2.0)  # how long nats-server / PostgreSQL stay down
    status_sample: int = 200
    settle_timeout: float = 300.0

    @property
    def after_sending(self) -> int:
        if self.kills_after_sending is not None:
            return self.kills_after_sending
        return min(self.kills, max(2, self.kills // 6))

    @property
    def during_sending(self) -> int:
        return max(self.kills - self.after_sending, 0)

    @property
    def planned_send_seconds(self) -> float:
        if self.send_seconds is not None:
            return self.send_seconds
        return max(15.0, KILL_STEP * (self.during_sending + 2))
