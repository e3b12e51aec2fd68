"""Polling N pending payouts (1,000 full, 200 quick): event-loop lag, request rate vs the cap, completion delay.

Each run is a fresh ``benchmarks.polling_child`` (sandbox in its own process). Lag percentiles are
over every 5 ms probe tick of a run, then the median across runs; the request rate is the most
requests seen in any one-second window (sliding, exact) against the configured cap; the completion
delay is over every completed payout of every run. With N payouts and a cap of C requests per
second, one full polling cycle takes about N / C seconds, which bounds the completion delay.
"""

from __future__ import annotations

import sys
from typing import Any

from benchmarks.harness import ChildError, Figure, Options, median, percentile, run_child

NAME = "polling"


def run(opts: Options) -> list[Figure]:
    payouts = 200 if opts.quick else 1000
    complete = 10 if opts.quick else 30
    runs = 1 if opts.quick else 2
    max_wait = 90.0 if opts.quick else 240.0
    results: list[dict[str, Any]] = []
    for _ in range(runs):
        args = ["--payouts", str(payouts), "--complete", str(complete), "--spacing", "1.0", "--max-wait", str(max_wait)]
        try:
            (record,) = run_child("benchmarks.polling_child", args, timeout=max_wait + 300, verbose=opts.verbose)
        except (ChildError, ValueError) as exc:
            print(f"polling run failed: {exc}", file=sys.stderr)
            continue
        results.append(record)
    label = f"{payouts:,} pending"
    if not results:
        return [Figure(NAME, f"event-loop lag p99 ({label})", None, "ms", target_max=16.0, note="child failed")]
    cap = float(results[0]["cap_rps"])
    delays = [float(d) for r in results for d in r["delays_ms"]]
    completed = sum(int(r["completed"]) for r in results)
    cycle = payouts / cap
    dur = median([float(r["duration_s"]) for r in results])
    common = f"{len(results)} run(s) of {dur:.0f} s, {sum(int(r['ticks']) for r in results):,} probe ticks"
    return [
        Figure(
            NAME,
            f"event-loop lag p50 ({label})",
            median([r["lag_p50_ms"] for r in results]),
            "ms",
            runs=len(results),
            samples=[r["lag_p50_ms"] for r in results],
            note=common,
        ),
        Figure(
            NAME,
            f"event-loop lag p99 ({label})",
            median([r["lag_p99_ms"] for r in results]),
            "ms",
            runs=len(results),
            target_max=16.0,
            samples=[r["lag_p99_ms"] for r in results],
            note=f"5 ms QTimer probe; worst tick {max(r['lag_max_ms'] for r in results):.0f} ms",
        ),
        Figure(
            NAME,
            f"requests in the busiest 1-s window ({label})",
            max(r["max_rps_1s"] for r in results),
            "req/s",
            runs=len(results),
            target_max=cap,
            samples=[float(r["max_rps_1s"]) for r in results],
            note=f"cap {cap:g}/s (AppSettings poll_max_requests_per_second), max_concurrent "
            f"{results[0]['max_concurrent']}; counted at the httpx transport",
        ),
        Figure(
            NAME,
            f"mean request rate ({label})",
            median([r["mean_rps"] for r in results]),
            "req/s",
            runs=len(results),
            baseline=cap,
            baseline_name="cap",
            samples=[r["mean_rps"] for r in results],
            note="informational: how much of the cap the poller uses",
        ),
        Figure(
            NAME,
            f"completion at sandbox → row changed, median ({label})",
            median(delays) / 1000 if delays else None,
            "s",
            runs=len(delays),
            samples=[d / 1000 for d in delays],
            note=f"{len(delays)}/{completed} completions observed within {max_wait:.0f} s; one polling "
            f"cycle of {payouts} payouts at {cap:g} req/s is ~{cycle:.0f} s",
        ),
        Figure(
            NAME,
            f"completion at sandbox → row changed, p99 ({label})",
            percentile(delays, 99) / 1000 if delays else None,
            "s",
            runs=len(delays),
            note="informational",
        ),
    ]
