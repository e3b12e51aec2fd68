"""Start-up: process start → main window exposed, bare PySide6 window vs the app (empty / N-payout journal).

Each round starts three fresh processes — the bare window (the floor), the app over an empty
journal, the app over the big journal — in a rotating order, so each figure is paired with its
baseline under the same machine load. One warm-up round (not counted) fills the OS file cache and
lets the app create its empty journal and sandbox state, as after a first start. The copy of the big
journal is flushed to disk (``os.sync``) before the first round, so its write-back does not compete
with the measured starts. A start is a fresh ~0.3 s process, the noisiest sample here (seen: 300 to
530 ms for the same start on a quiet machine), so a full run takes at least ``MIN_ROUNDS`` rounds.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.harness import ChildError, Figure, Options, median, run_child
from benchmarks.journals import cached_journal, data_dir_with

NAME = "startup"
_MIB = 1024.0
#: Rounds of a full run at least (``--quick`` and an explicit smaller ``--runs`` of a quick run aside).
MIN_ROUNDS = 9


def _start(mode: str, data_dir: Path | None, verbose: bool) -> dict[str, Any]:
    args = ["--mode", mode, "--label", str(data_dir or "")]
    if data_dir is not None:
        args += ["--data-dir", str(data_dir)]
    (record,) = run_child("benchmarks.startup_child", args, timeout=240, t0_arg=True, verbose=verbose)
    if "error" in record:
        raise ChildError(f"the app did not connect: {record['error']}")
    return record


def run(opts: Options) -> list[Figure]:
    big = cached_journal(opts.rows)
    label = f"{opts.rows:,} payouts"
    kinds = ("bare", "empty", "big")
    samples: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="pd-bench-startup-", dir=opts.workdir) as tmp:
        dirs: dict[str, Path | None] = {
            "bare": None,
            "empty": data_dir_with(None, Path(tmp) / "empty"),
            "big": data_dir_with(big, Path(tmp) / "big"),
        }
        os.sync()  # the 1.8 GB copy's write-back would otherwise run during the first rounds
        rounds = opts.runs if opts.quick else max(opts.runs, MIN_ROUNDS)
        for round_no in range(rounds + 1):  # round 0 is the warm-up
            order = kinds[round_no % 3 :] + kinds[: round_no % 3]
            for kind in order:
                try:
                    record = _start("bare" if kind == "bare" else "app", dirs[kind], opts.verbose)
                except (ChildError, ValueError) as exc:
                    print(f"startup {kind} failed: {exc}", file=sys.stderr)
                    continue
                if round_no:
                    samples[kind].append(record)

    def med(kind: str, key: str, scale: float = 1.0) -> float | None:
        values = [float(r[key]) / scale for r in samples[kind] if key in r]
        return median(values) if values else None

    def values(kind: str, key: str, scale: float = 1.0) -> list[float]:
        return [float(r[key]) / scale for r in samples[kind] if key in r]

    bare_ms, bare_mib = med("bare", "exposed_ms"), med("bare", "peak_kib", _MIB)
    figures: list[Figure] = []
    for kind, title, ratio in (("empty", "empty journal", 2.0), ("big", label, 2.5)):
        figures.append(
            Figure(
                NAME,
                f"window exposed, {title}",
                med(kind, "exposed_ms"),
                "ms",
                runs=len(samples[kind]),
                baseline=bare_ms,
                baseline_name="bare QMainWindow",
                target_ratio=ratio,
                samples=values(kind, "exposed_ms"),
                note="process start (clock read before Popen) → first Expose of the main window",
            )
        )
        figures.append(
            Figure(
                NAME,
                f"peak memory, {title}",
                med(kind, "peak_kib", _MIB),
                "MiB",
                runs=len(samples[kind]),
                baseline=bare_mib,
                baseline_name="bare QMainWindow",
                target_ratio=ratio,
                samples=values(kind, "peak_kib", _MIB),
                note="VmHWM of the process tree, 1.5 s after the history's first page "
                "(includes the embedded sandbox thread)",
            )
        )
    for kind, title in (("empty", "empty journal"), ("big", label)):
        figures.append(
            Figure(
                NAME,
                f"connected + history first page, {title}",
                med(kind, "history_ms"),
                "ms",
                runs=len(samples[kind]),
                samples=values(kind, "history_ms"),
                note="informational: sandbox started, token minted, journal opened, recovery "
                "started, history's count + first page shown",
            )
        )
    return figures
