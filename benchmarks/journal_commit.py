"""The submit path's journal commit: ``Submitter.confirm`` → ``record_confirmed``, median and p99.

One child commits ``commits`` payouts to a fresh journal and to a working copy of the big generated
journal, alternating (so the pair shares the machine's load); a real file on this disk, WAL,
``synchronous=FULL`` as the app opens it.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from benchmarks.harness import ChildError, Figure, Options, median, percentile, run_child
from benchmarks.journals import cached_journal

NAME = "journal commit"


def run(opts: Options) -> list[Figure]:
    import shutil

    commits = 100 if opts.quick else 500
    big = cached_journal(opts.rows)
    label = f"{opts.rows:,} payouts"
    with tempfile.TemporaryDirectory(prefix="pd-bench-commit-", dir=opts.workdir) as tmp:
        empty = Path(tmp) / "empty.sqlite3"
        copy = Path(tmp) / "big.sqlite3"
        shutil.copyfile(big, copy)
        try:
            records = run_child(
                "benchmarks.journal_commit_child",
                ["--journal", str(empty), "--journal", str(copy), "--commits", str(commits)],
                timeout=600,
                verbose=opts.verbose,
            )
        except ChildError as exc:
            print(f"journal commit failed: {exc}", file=sys.stderr)
            return [Figure(NAME, "record_confirmed commit, median", None, "ms", note="child failed")]
    by_path = {Path(r["journal"]).name: [float(v) for v in r["ms"]] for r in records}
    empty_ms, big_ms = by_path.get("empty.sqlite3", []), by_path.get("big.sqlite3", [])
    figures: list[Figure] = []
    for title, samples in (("new journal", empty_ms), (label, big_ms)):
        if not samples:
            continue
        note = "Submitter.confirm on the qasync loop; insert + event + FTS, WAL, synchronous=FULL (fsync)"
        figures.append(
            Figure(
                NAME,
                f"record_confirmed commit, median ({title})",
                median(samples),
                "ms",
                runs=len(samples),
                note=note if title == "new journal" else "",
            )
        )
        figures.append(
            Figure(NAME, f"record_confirmed commit, p99 ({title})", percentile(samples, 99), "ms", runs=len(samples))
        )
    return figures
