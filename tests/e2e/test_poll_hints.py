"""End to end: what a person looks at is polled first, and the details say when it was checked.

The real window, the real QtWebEngine checkin page, a real sandbox: closing the checkin early leaves
the payout pending; selecting it in the history makes it *watched* (every 5 s) and the details pane
shows its last and next check; the checkin redirect, once caught, puts it on the 1-s burst; final, the
row of checks disappears.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QPushButton

from payout_desk.ui.history.details_pane import ValueText
from tests.e2e.helpers import (
    close,
    complete_checkin,
    fill_form,
    launch_connected,
    reopen_checkin,
    submit_and_confirm,
    wait_status,
)

pytestmark = pytest.mark.e2e


def test_selected_then_caught_then_final(qtbot: Any, qt_loop: Any, sandbox_factory: Any, data_dir: Path) -> None:
    sandbox = sandbox_factory(processing_seconds=4.0)  # long enough to see the burst before the end
    window = launch_connected(qtbot, sandbox.base_url, data_dir)
    try:
        desk = window.context.desk
        fill_form(qtbot, window, "21.00")
        dialog = submit_and_confirm(qtbot, window)
        local_id = dialog.local_id
        with qtbot.waitSignal(dialog.closedEarly, timeout=3000):
            dialog.findChild(QPushButton, "checkinCloseButton").click()
        assert desk.poll_times(local_id) is not None  # pending: followed

        panel = window.history
        qtbot.waitUntil(lambda: panel.model.row_of(local_id) is not None, timeout=5000)
        panel.select_row(panel.model.row_of(local_id))
        qtbot.waitUntil(lambda: desk.poll_times(local_id).lane == "watched", timeout=3000)
        checks = panel.details.findChild(ValueText, "detail_checks")
        assert checks.isVisibleTo(panel.details)
        qtbot.waitUntil(lambda: checks.text().startswith("Last "), timeout=8000)  # asked within 5 s
        assert "every 5 s while selected" in checks.text()
        assert desk.poll_times(local_id).last_checked is not None

        again = reopen_checkin(qtbot, window)
        complete_checkin(qtbot, again, "GB82WEST12345698765432")
        qtbot.waitUntil(lambda: not again.isVisible(), timeout=5000)
        times = desk.poll_times(local_id)
        assert times is not None
        assert times.lane == "caught"  # the redirect was caught: every second now
        qtbot.waitUntil(lambda: "every second for two minutes after the checkin" in checks.text(), timeout=3000)

        wait_status(qtbot, window, local_id, "succeeded")
        assert desk.poll_times(local_id) is None  # final: no longer polled
        qtbot.waitUntil(lambda: not checks.isVisibleTo(panel.details), timeout=3000)
    finally:
        close(qtbot, window)
