"""Properties of the poll scheduler over random loads and hints (hypothesis, simulated time):
never above the cap, the caught payout first, background payouts in turn."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payout_desk.services.scheduler import Cadence, Outcome, PollResult
from tests.unit.services.conftest import VirtualClock
from tests.unit.services.test_scheduler import Provider, busiest_window, scheduler

CADENCE = Cadence(max_interval=4.0, recent_window=0.0, burst_duration=20.0)


@st.composite
def loads(draw: st.DrawFn) -> dict[str, object]:
    return {
        "rate": draw(st.sampled_from([1.0, 2.0, 3.5, 5.0, 8.0])),
        "concurrent": draw(st.integers(1, 4)),
        "background": draw(st.integers(0, 40)),
        "latency": draw(st.sampled_from([0.0, 0.01, 0.2, 0.6])),
        "caught_at": draw(st.floats(0.5, 15.0)),
        "watch_at": draw(st.floats(0.5, 15.0)),
        "throttle": draw(st.one_of(st.none(), st.integers(1, 30))),
    }


async def _simulate(load: dict[str, object]) -> tuple[Provider, float, float]:
    clock = VirtualClock()
    provider = Provider(clock, latency=float(load["latency"]))  # type: ignore[arg-type]
    if load["throttle"] is not None:
        provider.answers[("bg0", int(load["throttle"]))] = PollResult(Outcome.FAILED, retry_after=3.0)  # type: ignore[call-overload]
    sched = scheduler(
        clock,
        provider,
        rate=float(load["rate"]),
        concurrent=int(load["concurrent"]),
        cadence=CADENCE,  # type: ignore[call-overload]
    )
    for i in range(int(load["background"])):  # type: ignore[call-overload]
        sched.add(f"bg{i}")
    sched.add("caught")
    sched.add("watched")
    await clock.run(limit=float(load["caught_at"]))  # type: ignore[arg-type]
    sched.caught("caught")
    caught_at = clock.time()
    await clock.run(limit=max(clock.time(), float(load["watch_at"])))  # type: ignore[arg-type]
    sched.watch(["watched"])
    watched_at = clock.time()
    await clock.run(limit=60.0)
    await sched.stop()
    return provider, caught_at, watched_at


def _run(load: dict[str, object]) -> tuple[Provider, float, float]:
    return asyncio.run(_simulate(load))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loads())
def test_never_above_the_cap(load: dict[str, object]) -> None:
    provider, _, _ = _run(load)
    assert busiest_window([t for t, _ in provider.calls]) <= int(float(load["rate"]))  # type: ignore[arg-type]
    assert provider.most_in_flight <= int(load["concurrent"])  # type: ignore[call-overload]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loads())
def test_the_caught_and_the_watched_payout_go_first(load: dict[str, object]) -> None:
    provider, caught_at, watched_at = _run(load)
    rate, latency = float(load["rate"]), float(load["latency"])  # type: ignore[arg-type]
    token = 1.0 / int(rate) + 0.1 if rate >= 1 else 1.0 / rate  # a token comes back within one period
    throttle = 3.0 if load["throttle"] is not None else 0.0
    # whatever the backlog: a free slot within one request's latency, a token within one period
    bound = CADENCE.burst_interval + 2 * latency + 1.1 + throttle + 1e-6
    burst = [t for t in provider.times("caught") if caught_at <= t < caught_at + CADENCE.burst_duration]
    assert burst
    assert burst[0] - caught_at <= latency + 1.1 + throttle + token
    assert all(b - a <= bound for a, b in itertools.pairwise(burst))
    if rate < 2:
        return  # one token a second is all the caught payout's: the watched one waits by design
    watched = [t for t in provider.times("watched") if t >= watched_at]
    assert watched
    assert watched[0] - watched_at <= CADENCE.watch_interval + 2 * latency + 2.2 + throttle


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loads())
def test_background_payouts_are_asked_in_turn(load: dict[str, object]) -> None:
    """Payouts that got no hint are asked equally often: round-robin, no one starves."""
    provider, _, _ = _run(load)
    counts = Counter(k for _, k in provider.calls if k.startswith("bg"))
    background = int(load["background"])  # type: ignore[call-overload]
    if background == 0:
        return
    asked = [counts.get(f"bg{i}", 0) for i in range(background)]
    assert max(asked) - min(asked) <= 1  # and so every one is asked once there are enough tokens
