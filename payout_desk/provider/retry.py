"""Retry timing: the policy, exponential backoff with jitter, and ``Retry-After`` parsing.

Pure functions (the random source and the clock are parameters), so the schedule is unit tested.
*Which* failures may be retried is the SPEC's rule and lives in the client and the errors.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["RetryPolicy", "backoff_delay", "parse_retry_after", "retry_delay"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried (only where the SPEC allows it).

    ``max_attempts`` counts the first try. The n-th retry waits a random time in
    ``[d/2, d]`` with ``d = min(max_delay, base_delay * 2**(n-1))`` ("equal jitter": never
    zero, never above the cap), or the provider's ``Retry-After`` capped at ``retry_after_cap``.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_after_cap: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.retry_after_cap < 0:
            raise ValueError("delays must not be negative")


def backoff_delay(retry_number: int, policy: RetryPolicy, rand: Callable[[], float] = random.random) -> float:
    """The wait before retry number ``retry_number`` (1 = the first retry), with equal jitter."""
    if retry_number < 1:
        raise ValueError("retry_number starts at 1")
    exponent = min(retry_number - 1, 62)  # 2**62 is already far past any cap
    ceiling = min(policy.max_delay, policy.base_delay * math.pow(2.0, exponent))
    return ceiling / 2 + rand() * (ceiling / 2)


def parse_retry_after(value: str | None, *, cap: float, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, clamped to ``[0, cap]``; None if unusable.

    Accepts delta-seconds (``"2"``, tolerant of ``"2.5"``) and an HTTP-date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``), which is measured against ``now()`` (UTC).
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not math.isfinite(seconds):
            return None
    else:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        current = now() if now is not None else datetime.now(UTC)
        seconds = (when - current).total_seconds()
    return max(0.0, min(seconds, cap))


def retry_delay(
    retry_number: int,
    policy: RetryPolicy,
    retry_after: float | None,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait before a retry: the provider's (capped) ``Retry-After`` when it gave one,
    else the jittered backoff. ``retry_after`` must already be capped."""
    if retry_after is not None:
        return min(retry_after, policy.retry_after_cap)
    return backoff_delay(retry_number, policy, rand)
