"""Team desks in tests: ``launch(["--team", conninfo])`` windows as people of a real team database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from payout_desk.app import launch
from payout_desk.journal.models import PayoutRecord


def open_desk(qtbot: Any, conninfo: str, data_dir: Path, *, connected: bool = True) -> Any:
    """A team desk window; waits until it is connected (or until it said why not)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    window = launch(["--team", conninfo, "--data-dir", str(data_dir)])
    signal = window.connected if connected else window.connectFailed
    with qtbot.waitSignal(signal, timeout=30000):
        pass
    return window


def close_desk(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=20000):
        window.close()


def shown_record(window: Any, local_id: int) -> PayoutRecord | None:
    """The record the history's model holds for ``local_id`` now (None: not among the loaded rows)."""
    model = window.history.model
    row = model.row_of(local_id)
    if row is None:
        return None
    from payout_desk.ui.history.model import RecordRole

    record: PayoutRecord | None = model.data(model.index(row, 0), RecordRole)
    return record
