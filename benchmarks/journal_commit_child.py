"""Journal-commit child: the submit path's ``record_confirmed`` commit, timed one by one.

    python -m benchmarks.journal_commit_child --journal A [--journal B …] --commits N

What the app does on confirm — ``Submitter.confirm(request)``: a fresh UUID v4 key, then
``AsyncJournal.record_confirmed`` (an insert + the ``confirmed`` event + FTS update, committed
with ``synchronous=FULL`` in WAL on the journal's worker thread), awaited on the app's qasync loop.
Commits alternate between the given journals so each is paired with the others under the same load.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import emit
from benchmarks.qtchild import run_once, start_qt


async def scenario(paths: list[Path], commits: int) -> None:
    from payout_desk.domain.payout import PayoutDraft, validate_draft
    from payout_desk.journal import AsyncJournal
    from payout_desk.provider.client import PayoutsClient
    from payout_desk.services.poll import RateLimiter
    from payout_desk.services.submit import Submitter

    client = PayoutsClient("http://127.0.0.1:9", "tk_test_benchmarkbenchmark")  # never called
    journals = [await AsyncJournal.open(path) for path in paths]
    submitters = [
        Submitter(
            journal,
            client,
            environment="sandbox",
            profile="Benchmark",
            actor="bench",
            notify=lambda *_args: None,
            limiter=RateLimiter(5.0),
        )
        for journal in journals
    ]
    timings: list[list[float]] = [[] for _ in paths]
    try:
        for i in range(commits):
            draft = PayoutDraft(
                amount=f"{10 + i % 900}.{i % 100:02d}",
                currency="EUR",
                description=f"Invoice INV-2026-{i:05d} payout",
                recipient_name="Zoë Müller",
                external_id=f"BENCH-{i}",
                metadata=(("batch", "benchmark"),),
            )
            request = validate_draft(draft)
            if isinstance(request, list):
                raise ValueError(f"invalid draft: {request}")
            for number, submitter in enumerate(submitters):
                began = time.perf_counter()
                await submitter.confirm(request)
                timings[number].append((time.perf_counter() - began) * 1000)
    finally:
        for journal in journals:
            await journal.close()
        await client.aclose()
    for path, samples in zip(paths, timings, strict=True):
        emit({"journal": str(path), "ms": samples})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--journal", type=Path, action="append", required=True)
    parser.add_argument("--commits", type=int, default=500)
    args = parser.parse_args(argv)
    _app, loop = start_qt()
    result: Any = run_once(loop, scenario(args.journal, args.commits))
    del result
    sys.stdout.flush()
    os._exit(0)  # results are out; skip interpreter finalisation (PySide6 teardown can crash there)


if __name__ == "__main__":
    sys.exit(main())
