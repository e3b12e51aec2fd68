"""The request-rate cap: never more than the cap in any one-second window; urgent first."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from payout_desk.services.poll import PollPolicy, RateLimiter, next_interval
from tests.unit.services.conftest import VirtualClock


def _max_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t - start <= window))  # closed window
    return best


@pytest.mark.parametrize("rate", [1.0, 2.5, 5.0, 10.0])
async def test_never_above_the_cap(clock: VirtualClock, rate: float) -> None:
    limiter = RateLimiter(rate, clock=clock.time, sleep=clock.sleep)
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(10):
            await limiter.acquire()
            stamps.append(clock.time())

    done = asyncio.gather(*(worker() for _ in range(6)))
    await clock.run(done)
    await done
    assert len(stamps) == 60
    assert _max_in_window(stamps, 1.0) <= int(rate)
    # and it is not needlessly slow: the cap is actually used
    assert stamps[-1] <= 60 / int(rate) * 1.1 + 1


async def test_rate_below_one_spaces_requests(clock: VirtualClock) -> None:
    limiter = RateLimiter(0.5, clock=clock.time, sleep=clock.sleep)
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(4):
            await limiter.acquire()
            stamps.append(clock.time())

    done = asyncio.ensure_future(worker())
    await clock.run(done)
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(gap >= 2.0 for gap in gaps)


async def test_urgent_goes_ahead_of_the_background_queue(clock: VirtualClock) -> None:
    limiter = RateLimiter(1, clock=clock.time, sleep=clock.sleep)
    order: list[str] = []

    async def take(name: str, urgent: bool) -> None:
        await limiter.acquire(urgent=urgent)
        order.append(name)

    background = [asyncio.ensure_future(take(f"bg{i}", False)) for i in range(4)]
    await clock.run(background[0])  # bg0 got the only token; the rest queue
    urgent = asyncio.ensure_future(take("urgent", True))
    everything = asyncio.gather(*background, urgent)
    await clock.run(everything)
    assert order[0] == "bg0"
    assert order[1] == "urgent"


def test_rejects_non_positive_rate() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)


def test_poll_cadence_doubles_to_the_cap_and_resets_on_change() -> None:
    policy = PollPolicy()
    seen = [policy.initial_interval]
    for _ in range(8):
        seen.append(next_interval(seen[-1], policy, changed=False))
    assert seen == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert next_interval(60, policy, changed=True) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"initial_interval": 0},
        {"max_interval": 0.5},
        {"multiplier": 0.5},
        {"max_concurrent": 0},
        {"max_requests_per_second": 0},
        {"resend_initial_interval": 0},
    ],
)
def test_poll_policy_validates(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        PollPolicy(**kwargs)  # type: ignore[arg-type]
