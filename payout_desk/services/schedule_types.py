"""The values the poll scheduler (:mod:`payout_desk.services.scheduler`) takes and gives: its lanes,
a poll's outcome, the cadence's numbers, where one key stands, and the rate limiter's shape."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Cadence", "Lane", "Limiter", "Outcome", "PollResult", "ScheduleInfo"]


class Limiter(Protocol):
    """The request-rate cap (``services.poll.RateLimiter`` has this shape)."""

    async def acquire(self, urgent: bool = False) -> None: ...


class Lane(enum.IntEnum):
    """Why a payout is polled; lower goes first."""

    REFRESH = 0
    CAUGHT = 1
    WATCHED = 2
    RECENT = 3
    BACKGROUND = 4


class Outcome(enum.Enum):
    """What one poll found: a new status (the cadence starts again), the same or no answer (back
    off), or DONE (final, or no longer followed: forget the key)."""

    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    DONE = "done"


@dataclass(frozen=True)
class PollResult:
    """One poll's outcome; ``retry_after`` (seconds, the provider's 429) pauses every poll."""

    outcome: Outcome
    retry_after: float | None = None


@dataclass(frozen=True)
class Cadence:
    """The numbers (seconds)."""

    initial_interval: float = 1.0
    max_interval: float = 60.0
    multiplier: float = 2.0
    burst_interval: float = 1.0
    burst_duration: float = 120.0
    watch_interval: float = 5.0
    recent_window: float = 600.0

    def __post_init__(self) -> None:
        if self.initial_interval <= 0 or self.max_interval < self.initial_interval or self.multiplier < 1:
            raise ValueError("intervals must be positive, max >= initial, multiplier >= 1")
        if min(self.burst_interval, self.watch_interval) <= 0 or min(self.burst_duration, self.recent_window) < 0:
            raise ValueError("burst and watch intervals must be positive, durations not negative")


@dataclass(frozen=True)
class ScheduleInfo:
    """Where one key stands, in the scheduler's clock: ``last_checked`` None = not yet;
    ``next_due`` None = being asked now."""

    lane: Lane
    last_checked: float | None
    next_due: float | None
