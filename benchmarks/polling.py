"""Polling with 100, 1,000 and 10,000 payouts pending (quick: 50, 200, 2,000): the watched payout's
completion delay, the unwatched payouts' cycle, the rate cap, memory and event-loop lag.

Each size is a fresh ``benchmarks.polling_child`` (sandbox in its own process), one after the other
in the same ``make bench`` run. In each, K watched payouts are made as a person makes them (submit,
selected, checkin redirect caught) and completed at the sandbox one after the other while the N
others are polled; the delay runs from the completion to the desk's change for that payout. The
cycle is the gap between two polls of one unwatched payout; its baseline is N divided by the rate
the unwatched payouts actually got (the cap's real rate minus the watched payouts' requests).
Memory: the child's RSS at the end (after a ``gc.collect()``), 10,000 pending against 100.
"""

from __future__ import annotations

import sys
from typing import Any

from benchmarks.harness import ChildError, Figure, Options, median, percentile, run_child

NAME = "polling"


def _size(payouts: int, watched: int, duration: float, opts: Options) -> dict[str, Any] | None:
    args = ["--payouts", str(payouts), "--watched", str(watched), "--duration", str(duration)]
    try:
        (record,) = run_child("benchmarks.polling_child", args, timeout=duration + 900, verbose=opts.verbose)
    except (ChildError, ValueError) as exc:
        print(f"polling run ({payouts} pending) failed: {exc}", file=sys.stderr)
        return None
    return record


def _delay_figures(record: dict[str, Any], label: str) -> list[Figure]:
    delays = [float(d) / 1000 for d in record["delays_ms"]]
    lanes = ", ".join(f"{k} {v}" for k, v in record["sent_by_lane"].items() if v)
    note = f"{len(delays)}/{record['watched']} watched payouts observed; requests by lane: {lanes}"
    return [
        Figure(
            NAME,
            f"watched: completion → row changed, median ({label})",
            median(delays) if delays else None,
            "s",
            runs=len(delays),
            target_max=1.5,
            samples=delays,
            note=note,
        ),
        Figure(
            NAME,
            f"watched: completion → row changed, p99 ({label})",
            percentile(delays, 99) if delays else None,
            "s",
            runs=len(delays),
            target_max=3.0,
            note=f"worst {max(delays, default=0):.2f} s",
        ),
    ]


def _common_figures(record: dict[str, Any], label: str) -> list[Figure]:
    cap = float(record["cap_rps"])
    return [
        Figure(
            NAME,
            f"event-loop lag p50 ({label})",
            record["lag_p50_ms"],
            "ms",
            runs=1,
            note=f"{record['duration_s']:.0f} s, {record['ticks']:,} probe ticks of 5 ms",
        ),
        Figure(
            NAME,
            f"event-loop lag p99 ({label})",
            record["lag_p99_ms"],
            "ms",
            runs=1,
            target_max=16.0,
            note=f"worst tick {record['lag_max_ms']:.0f} ms",
        ),
        Figure(
            NAME,
            f"requests in the busiest 1-s window ({label})",
            float(record["max_rps_1s"]),
            "req/s",
            runs=1,
            target_max=cap,
            note=f"cap {cap:g}/s, max_concurrent {record['max_concurrent']}; counted at the httpx transport",
        ),
        Figure(
            NAME,
            f"mean request rate ({label})",
            record["mean_rps"],
            "req/s",
            runs=1,
            baseline=cap,
            baseline_name="cap",
            note="informational: the cap's real rate (a token returns 1.1 s after use)",
        ),
    ]


def run(opts: Options) -> list[Figure]:
    small, middle, large = (50, 200, 2000) if opts.quick else (100, 1000, 10_000)
    watched = 10 if opts.quick else 30
    runs = {
        small: _size(small, 5, 30.0 if opts.quick else 60.0, opts),
        middle: _size(middle, watched, 120.0 if opts.quick else 500.0, opts),
        large: _size(large, watched, 60.0 if opts.quick else 150.0, opts),
    }
    figures: list[Figure] = []
    for size in (middle, large):
        record = runs[size]
        label = f"{size:,} pending"
        if record is None:
            figures.append(Figure(NAME, f"watched: completion → row changed ({label})", None, "s", note="child failed"))
            continue
        figures += _delay_figures(record, label)
        figures += _common_figures(record, label)
    record = runs[middle]
    if record is not None and record["cycle_median_s"] is not None:
        ideal = middle / record["background_rps"] if record["background_rps"] else None
        figures.append(
            Figure(
                NAME,
                f"unwatched: full cycle, median gap between two polls ({middle:,} pending)",
                record["cycle_median_s"],
                "s",
                runs=record["cycle_count"],
                baseline=ideal,
                baseline_name=f"{middle:,} / background rate",
                target_ratio=1.15,
                note=f"p99 {record['cycle_p99_s']:.0f} s; background rate {record['background_rps']:.2f} req/s "
                f"of {record['mean_rps']:.2f} req/s in all",
            )
        )
    if runs[large] is not None and runs[small] is not None:
        figures.append(
            Figure(
                NAME,
                f"memory (RSS) with {large:,} pending",
                runs[large]["rss_mib"],
                "MiB",
                runs=1,
                baseline=runs[small]["rss_mib"],
                baseline_name=f"{small:,} pending",
                target_ratio=1.2,
                note=f"the desk's process (Qt, journal, history model, poller; the set-up and the sandbox run apart): "
                f"anonymous {runs[large]['anon_mib']:.0f} vs {runs[small]['anon_mib']:.0f} MiB, "
                f"mapped files (libraries, the journal through SQLite's mmap) {runs[large]['file_mib']:.0f} vs "
                f"{runs[small]['file_mib']:.0f} MiB",
            )
        )
    return figures
