"""History at N payouts (1,000,000 by default): first page after search / filter / sort, jump, export, memory.

Each measurement runs in a fresh child (``benchmarks.history_child``) over a working copy of the
cached generated journal. Memory pairs, in the same run, a child holding the panel over the big
journal with one holding it over an empty journal (alternating, ``runs`` of each).
"""

from __future__ import annotations

import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.harness import ChildError, Figure, Options, median, run_child
from benchmarks.journals import cached_journal, data_dir_with

NAME = "history"
_KIB_PER_MIB = 1024.0


def _by_op(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[str(record.get("op"))].append(record)
    return grouped


def run(opts: Options) -> list[Figure]:
    rows = opts.rows
    big = cached_journal(rows)
    runs = opts.runs
    export_runs = 1 if opts.quick else 3
    label = f"{rows:,} payouts"
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="pd-bench-history-", dir=opts.workdir) as tmp:
        work = data_dir_with(big, Path(tmp) / "big")
        empty_dir = data_dir_with(None, Path(tmp) / "empty")
        journal = work / "journal.sqlite3"
        empty = empty_dir / "journal.sqlite3"

        # -- timings (one child: the page cache is as warm as in a session that has been open a while)
        timeout = 600 + 240 * export_runs * max(1, rows // 1_000_000)
        try:
            records = run_child(
                "benchmarks.history_child",
                [
                    "ops",
                    "--journal",
                    str(journal),
                    "--runs",
                    str(runs),
                    "--export-runs",
                    str(export_runs),
                    "--out",
                    str(work),
                ],
                timeout=timeout,
                verbose=opts.verbose,
            )
        except ChildError as exc:
            print(f"history ops failed: {exc}", file=sys.stderr)
            records = []
        ops = _by_op(records)
        spec = (
            (
                "search",
                f"first page after a text search ({label})",
                100.0,
                "terms " + ", ".join(sorted({str(r.get("term")) for r in ops.get("search", [])})),
            ),
            (
                "filter",
                f"first page after a status filter ({label})",
                50.0,
                "statuses " + ", ".join(sorted({str(r.get("status")) for r in ops.get("filter", [])})),
            ),
            ("sort", f"first page after a sort by amount ({label})", 200.0, "descending and ascending"),
            ("jump", f"jump to the last row ({label})", 50.0, "scrollToBottom → last row painted"),
        )
        for op, name, target, note in spec:
            samples = [float(r["ms"]) for r in ops.get(op, [])]
            data = [float(r["data_ms"]) for r in ops.get(op, []) if "data_ms" in r]
            if data:
                note += f"; median {median(data):.0f} ms until the rows were in the model, the rest is painting"
            figures.append(
                Figure(
                    NAME,
                    name,
                    median(samples) if samples else None,
                    "ms",
                    runs=len(samples),
                    target_max=target,
                    note=note if samples else "child failed",
                    samples=samples,
                )
            )
        exports = ops.get("export", [])
        samples = [float(r["ms"]) / 1000 for r in exports]
        note = f"{exports[0]['rows']:,} rows, {exports[0]['bytes'] / 1e6:.0f} MB CSV" if exports else "child failed"
        figures.append(
            Figure(
                NAME,
                f"CSV export of all rows ({label})",
                median(samples) if samples else None,
                "s",
                runs=len(samples),
                target_max=10.0,
                note=note,
                samples=samples,
            )
        )
        if "open" in ops:
            figures.append(
                Figure(
                    NAME,
                    f"panel open: count + first page ({label})",
                    float(ops["open"][0]["ms"]),
                    "ms",
                    runs=1,
                    note="informational; first query on a cold connection",
                )
            )

        # -- memory: fresh children, big and empty alternating
        mem_runs = max(2, runs // 2 + 1)
        big_rss: list[float] = []
        empty_rss: list[float] = []
        big_hwm: list[float] = []
        empty_hwm: list[float] = []
        for _ in range(mem_runs):
            for path, rss, hwm in ((empty, empty_rss, empty_hwm), (journal, big_rss, big_hwm)):
                try:
                    (rec,) = run_child(
                        "benchmarks.history_child",
                        ["memory", "--journal", str(path)],
                        timeout=300,
                        verbose=opts.verbose,
                    )
                except (ChildError, ValueError) as exc:
                    print(f"history memory failed: {exc}", file=sys.stderr)
                    continue
                rss.append(rec["rss_kib"] / _KIB_PER_MIB)
                hwm.append(rec["hwm_kib"] / _KIB_PER_MIB)
        figures.append(
            Figure(
                NAME,
                f"memory (RSS) holding the history over {label}",
                median(big_rss) if big_rss else None,
                "MiB",
                runs=len(big_rss),
                baseline=median(empty_rss) if empty_rss else None,
                baseline_name="empty journal",
                target_ratio=1.3,
                samples=big_rss,
                note="RSS after the first page, a jump to the last row and a 1 s settle; "
                "the app's process shape (QtWebEngine not loaded, as until the first checkin)",
            )
        )
        figures.append(
            Figure(
                NAME,
                f"peak memory (VmHWM) holding the history over {label}",
                median(big_hwm) if big_hwm else None,
                "MiB",
                runs=len(big_hwm),
                baseline=median(empty_hwm) if empty_hwm else None,
                baseline_name="empty journal",
                samples=big_hwm,
                note="informational",
            )
        )
    return figures
