"""Team-webhook-desk child: a real team desk window (``launch(["--team", CONNINFO, ...])``, offscreen, the app's
Qt start) whose history model is watched while the parent's payouts are finished at the sandbox.

    python -m benchmarks.team_webhook_desk_child --db CONNINFO --sandbox URL --rounds JSON

``--rounds``: ``[[gap_seconds, [[local_id, payment_id], ...]], ...]``. Each payout in turn is completed at the
sandbox (``SandboxControl.complete``, off the loop thread); the moment is taken in the history model's
``dataChanged`` slot when that payout's row shows ``succeeded`` (``time.time()``: the parent compares it with the
database's ``webhooks.received_at``); the next payout is completed once that happened and ``gap_seconds`` passed
since the previous one was. One ``BENCH`` line per payout: ``{"local_id", "at"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import emit
from benchmarks.qtchild import close_window, run_once, start_qt, wait_for, wait_signal


async def scenario(conninfo: str, sandbox: str, rounds: list[tuple[float, list[tuple[int, str]]]], data: Path) -> None:
    from payout_desk.app import launch
    from payout_desk.sandbox.client import SandboxControl
    from payout_desk.ui.history.model import RecordRole, StatusRole

    control = SandboxControl(sandbox)
    window: Any = launch(["--team", conninfo, "--data-dir", str(data)])
    ids = [local_id for _, payouts in rounds for local_id, _ in payouts]
    seen: dict[int, float] = {}

    def changed(top: Any, bottom: Any, _roles: Any = None) -> None:
        now = time.time()
        model = window.history.model
        for row in range(top.row(), bottom.row() + 1):
            index = model.index(row, 0)
            record = model.data(index, RecordRole)
            if record is not None and model.data(index, StatusRole) == "succeeded":
                seen.setdefault(record.local_id, now)

    try:
        await wait_signal(window.connected, 120)
        model = window.history.model  # the history panel exists once connected
        shown = lambda: all(  # noqa: E731
            (row := model.row_of(i)) is not None and model.data(model.index(row, 0), StatusRole) == "pending"
            for i in ids
        )
        if not await wait_for(shown, 60, step=0.01):
            raise RuntimeError("the desk's history does not show every payout pending")
        model.dataChanged.connect(changed)
        loop = asyncio.get_running_loop()
        for gap, payouts in rounds:
            for local_id, payment_id in payouts:
                due = loop.time() + gap
                await loop.run_in_executor(None, control.complete, payment_id, "succeeded")
                if not await wait_for(lambda i=local_id: i in seen, 60, step=0.0005):
                    raise RuntimeError(f"payout {local_id}'s row did not show succeeded within 60 s")
                emit({"local_id": local_id, "at": seen[local_id]})
                await asyncio.sleep(max(0.0, due - loop.time()))  # pacing the provider (benchmark), not the app
    finally:
        await close_window(window)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--sandbox", required=True)
    parser.add_argument("--rounds", required=True)
    args = parser.parse_args(argv)
    rounds = [(float(gap), [(int(i), str(p)) for i, p in payouts]) for gap, payouts in json.loads(args.rounds)]
    _app, loop = start_qt()
    with tempfile.TemporaryDirectory(prefix="pd-bench-team-desk-") as tmp:
        run_once(loop, scenario(args.db, args.sandbox, rounds, Path(tmp)))
    sys.stdout.flush()
    os._exit(0)  # results are out; skip interpreter finalisation


if __name__ == "__main__":
    sys.exit(main())
