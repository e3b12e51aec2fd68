"""Submit to checkin shown: confirm click → checkin page loaded (``loadFinished(True)``), on loopback.

``runs`` fresh app processes (``benchmarks.submit_child``), each submitting several payouts through
the real window: the first submit of each process is *cold* (QtWebEngine is imported and starts its browser
process), the others *warm*. Each figure is the median of its samples.
"""

from __future__ import annotations

import sys

from benchmarks.harness import ChildError, Figure, Options, median, run_child

NAME = "submit → checkin"


def run(opts: Options) -> list[Figure]:
    processes = 2 if opts.quick else 3
    submits = 3 if opts.quick else 5
    cold: list[float] = []
    warm: list[float] = []
    dialog: list[float] = []
    for _ in range(processes):
        try:
            records = run_child(
                "benchmarks.submit_child", ["--submits", str(submits)], timeout=300, verbose=opts.verbose
            )
        except ChildError as exc:
            print(f"submit run failed: {exc}", file=sys.stderr)
            continue
        for record in records:
            (cold if record["cold"] else warm).append(float(record["ms"]))
            dialog.append(float(record["dialog_ms"]))
    note = "journal commit + create at the embedded sandbox + checkin dialog + page load"
    return [
        Figure(
            NAME,
            "confirm click → checkin page loaded (warm)",
            median(warm) if warm else None,
            "ms",
            runs=len(warm),
            target_max=1000.0,
            samples=warm,
            note=note,
        ),
        Figure(
            NAME,
            "confirm click → checkin page loaded (cold: first in the process)",
            median(cold) if cold else None,
            "ms",
            runs=len(cold),
            target_max=1000.0,
            samples=cold,
            note="includes QtWebEngine's import and first start (the app loads it with the first checkin)",
        ),
        Figure(
            NAME,
            "confirm click → checkin dialog opened (all)",
            median(dialog) if dialog else None,
            "ms",
            runs=len(dialog),
            samples=dialog,
            note="informational: before the page loads",
        ),
    ]
