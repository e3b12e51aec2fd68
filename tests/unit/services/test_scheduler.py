"""The poll scheduler over simulated time: lanes, the cap, Retry-After, fairness, the bound.

The real PollScheduler and the real RateLimiter run on a virtual clock (minutes of schedule in
milliseconds); the poll is a stand-in that notes when each key was asked and takes a set time.
The Poller on top of it, with the real sandbox and journal, is in test_poller_cadence.py and
tests/integration/core/test_poll_recover.py.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from dataclasses import dataclass, field

import pytest

from payout_desk.services.poll import RateLimiter
from payout_desk.services.scheduler import Cadence, Lane, Outcome, PollResult, PollScheduler
from tests.unit.services.conftest import VirtualClock

FAST = Cadence(max_interval=4.0, recent_window=0.0)


@dataclass
class Provider:
    """Answers every poll after ``latency`` virtual seconds; notes (time, key) of each request."""

    clock: VirtualClock
    latency: float = 0.05
    answers: dict[tuple[str, int], PollResult] = field(default_factory=dict)
    calls: list[tuple[float, str]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    async def poll(self, key: str) -> PollResult:
        self.calls.append((self.clock.time(), key))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.clock.sleep(self.latency)
        finally:
            self.in_flight -= 1
        count = sum(1 for _, k in self.calls if k == key)
        return self.answers.get((key, count), PollResult(Outcome.UNCHANGED))

    def times(self, key: str) -> list[float]:
        return [t for t, k in self.calls if k == key]


def scheduler(
    clock: VirtualClock, provider: Provider, *, rate: float = 5.0, concurrent: int = 4, cadence: Cadence = FAST
) -> PollScheduler[str]:
    limiter = RateLimiter(rate, clock=clock.time, sleep=clock.sleep)
    return PollScheduler(
        provider.poll, limiter=limiter, max_concurrent=concurrent, cadence=cadence, clock=clock.time, sleep=clock.sleep
    )


def busiest_window(times: list[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    return max((sum(1 for t in ordered[i:] if t - start <= window) for i, start in enumerate(ordered)), default=0)


async def run_until(clock: VirtualClock, until: float) -> None:
    await clock.run(limit=until)


async def test_one_pending_payout_backs_off_and_restarts_after_a_change(clock: VirtualClock) -> None:
    provider = Provider(clock, latency=0.0, answers={("a", 4): PollResult(Outcome.CHANGED)})
    provider.answers[("a", 7)] = PollResult(Outcome.DONE)
    sched = scheduler(clock, provider, cadence=Cadence(max_interval=60.0, recent_window=0.0))
    assert sched.add("a")
    await run_until(clock, 600)
    gaps = [round(b - a, 2) for a, b in itertools.pairwise([0.0, *provider.times("a")])]
    assert gaps == [1, 2, 4, 8, 1, 2, 4]
    assert "a" not in sched
    await sched.stop()


async def test_a_watched_payout_goes_ahead_of_a_backlog(clock: VirtualClock) -> None:
    provider = Provider(clock)
    sched = scheduler(clock, provider)
    for i in range(200):  # 40 s of requests at 5/s: a deep backlog
        sched.add(f"bg{i}")
    sched.add("w")
    await run_until(clock, 10)
    sched.watch(["w"])
    watched_at = clock.time()
    await run_until(clock, 40)
    times = [t for t in provider.times("w") if t >= watched_at]
    assert times[0] - watched_at <= 1.2  # at the next token
    assert all(b - a <= 5.0 + 1.2 for a, b in itertools.pairwise(times))
    assert len(times) >= 6
    sched.watch([])
    assert sched.watched == frozenset()
    await sched.stop()


async def test_caught_polls_every_second_for_two_minutes_then_backs_off(clock: VirtualClock) -> None:
    provider = Provider(clock)
    sched = scheduler(clock, provider, cadence=Cadence(max_interval=60.0, recent_window=0.0))
    for i in range(100):
        sched.add(f"bg{i}")
    sched.add("c")
    await run_until(clock, 5)
    sched.caught("c")
    caught_at = clock.time()
    assert sched.info("c") is not None
    assert sched.info("c").lane is Lane.CAUGHT
    await run_until(clock, 400)
    times = [t for t in provider.times("c") if t >= caught_at]
    burst = [t for t in times if t < caught_at + 120]
    after = [t for t in times if t >= caught_at + 120]
    assert burst[0] - caught_at <= 1.2
    assert all(b - a <= 1.0 + 1.2 for a, b in itertools.pairwise(burst))
    assert len(burst) >= 100
    gaps_after = [round(b - a, 2) for a, b in itertools.pairwise(after)]
    assert gaps_after == sorted(gaps_after)
    assert gaps_after[-1] > 10
    await sched.stop()


async def test_refresh_takes_the_next_token(clock: VirtualClock) -> None:
    provider = Provider(clock)
    sched = scheduler(clock, provider, rate=2.0)
    for i in range(100):
        sched.add(f"bg{i}")
    sched.add("r")
    await run_until(clock, 3)
    sched.refresh("r")
    asked = clock.time()
    await run_until(clock, 6)
    assert min(t for t in provider.times("r") if t >= asked) - asked <= 1.2
    assert sched.sent[Lane.REFRESH] == 1
    await sched.stop()


async def test_retry_after_pauses_every_payout(clock: VirtualClock) -> None:
    provider = Provider(clock, latency=0.0)
    provider.answers[("bg3", 1)] = PollResult(Outcome.FAILED, retry_after=10.0)
    sched = scheduler(clock, provider)
    for i in range(50):
        sched.add(f"bg{i}")
    await run_until(clock, 30)
    throttled_at = provider.times("bg3")[0]
    assert sched.paused_until == pytest.approx(throttled_at + 10.0)
    later = [t for t, _ in provider.calls if t > throttled_at]
    assert later
    assert later[0] >= throttled_at + 10.0
    await sched.stop()


async def test_concurrency_bound_and_done_forgets(clock: VirtualClock) -> None:
    provider = Provider(clock, latency=3.0)
    provider.answers.update({(f"k{i}", 1): PollResult(Outcome.DONE) for i in range(20)})
    sched = scheduler(clock, provider, rate=10.0, concurrent=2)
    for i in range(20):
        sched.add(f"k{i}")
    await run_until(clock, 120)
    assert provider.most_in_flight == 2
    assert len(sched) == 0
    assert Counter(k for _, k in provider.calls) == Counter({f"k{i}": 1 for i in range(20)})
    await sched.stop()


async def test_info_says_when_last_and_next(clock: VirtualClock) -> None:
    provider = Provider(clock, latency=0.0)
    sched = scheduler(clock, provider, cadence=Cadence(max_interval=60.0))
    sched.add("a", age=0.0)
    info = sched.info("a")
    assert info is not None
    assert info.lane is Lane.RECENT
    assert info.last_checked is None
    assert info.next_due == 1.0
    await run_until(clock, 1.5)
    info = sched.info("a")
    assert info is not None
    assert info.last_checked == pytest.approx(1.0)
    assert info.next_due == pytest.approx(3.0)
    sched.discard("a")
    assert sched.info("a") is None
    await run_until(clock, 10)
    assert provider.times("a") == [1.0]
    await sched.stop()
    assert not sched.add("b")


async def test_a_full_cycle_uses_the_cap(clock: VirtualClock) -> None:
    """1,000 pending at 5/s: each payout asked once per ~1,000 / real rate seconds, in turn."""
    provider = Provider(clock, latency=0.02)
    limiter_rate = 5.0
    sched = scheduler(clock, provider, rate=limiter_rate, cadence=Cadence(recent_window=0.0))
    for i in range(1000):
        sched.add(f"bg{i}")
    await run_until(clock, 700)
    real_rate = len(provider.calls) / (provider.calls[-1][0] - provider.calls[0][0])
    firsts = {k: provider.times(k)[:2] for k in (f"bg{i}" for i in range(1000))}
    cycles = [b - a for a, b in firsts.values()]
    assert max(cycles) <= 1.15 * 1000 / real_rate
    assert busiest_window([t for t, _ in provider.calls]) <= 5
    await sched.stop()


def test_cadence_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="intervals"):
        Cadence(initial_interval=0)
    with pytest.raises(ValueError, match="watch"):
        Cadence(watch_interval=0)


async def test_stop_cancels_polls_in_flight(clock: VirtualClock) -> None:
    provider = Provider(clock, latency=100.0)
    sched = scheduler(clock, provider)
    sched.add("a")
    await run_until(clock, 2)
    assert provider.in_flight == 1
    await sched.stop()
    await asyncio.sleep(0)
    assert provider.in_flight == 0
    assert len(sched) == 0
