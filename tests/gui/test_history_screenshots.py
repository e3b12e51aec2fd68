"""Opt-in screenshots of the history panel, details pane, checkin dialog and settings dialog, for
looking at them (not assertions of pixels). Run with ``PAYOUT_DESK_SHOTS=/tmp/shots pytest this_file``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from payout_desk.journal import AsyncJournal
from payout_desk.provider.client import PayoutsClient
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.desk import PayoutDesk
from payout_desk.services.settings import AppSettings, Profile
from payout_desk.ui.history.panel import HistoryPanel
from payout_desk.ui.sending.checkin_view import CheckinDialog
from payout_desk.ui.settings.dialog import SettingsDialog
from tests.gui.test_checkin_dialog import create_payout, open_dialog
from tests.gui.test_history_fixtures import copy_of, template

SHOTS = os.environ.get("PAYOUT_DESK_SHOTS", "")
pytestmark = pytest.mark.skipif(not SHOTS, reason="set PAYOUT_DESK_SHOTS=<dir> to take screenshots")


def test_history_panel_and_details(
    qtbot: Any, run_async: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    journal = run_async(AsyncJournal.open(copy_of(template(tmp_path_factory.getbasetemp()), tmp_path)))
    client = PayoutsClient("http://127.0.0.1:9", "tk_test_unused")
    desk = PayoutDesk(journal, client, environment="sandbox", profile="Sandbox", actor="tester")
    panel = HistoryPanel(desk)
    qtbot.addWidget(panel)
    panel.resize(1500, 720)
    panel.show()
    run_async(panel.reload())
    with qtbot.waitSignal(panel.details.eventsLoaded, timeout=5000):
        panel.select_row(3)
    qtbot.wait(200)
    panel.grab().save(str(out / "history_panel.png"))
    panel.details.grab().save(str(out / "details_pane.png"))
    panel.table.scrollTo(panel.model.index(1500, 0))
    panel.table.viewport().repaint()
    panel.grab().save(str(out / "history_placeholders.png"))  # rows not loaded yet show "…"

    from PySide6.QtGui import QColor, QGuiApplication, QPalette

    light = QGuiApplication.palette()
    dark = QPalette(QColor("#353535"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    dark.setColor(QPalette.ColorRole.AlternateBase, QColor("#2a2a2a"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8e8e8"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e8e8e8"))
    QGuiApplication.setPalette(dark)
    try:
        run_async(panel.reload())
        panel.table.scrollToTop()
        qtbot.wait(200)
        panel.grab().save(str(out / "history_dark.png"))
    finally:
        QGuiApplication.setPalette(light)
    run_async(client.aclose())
    run_async(journal.close())


def test_checkin_and_settings(
    qtbot: Any, run_async: Callable[..., Any], sandbox_server: EmbeddedSandbox, api_client: httpx.Client
) -> None:
    out = Path(SHOTS)
    dialog: CheckinDialog = open_dialog(qtbot, sandbox_server, create_payout(api_client))
    qtbot.wait(300)
    dialog.grab().save(str(out / "checkin_dialog.png"))
    dialog.page.runJavaScript("location.href = 'https://example.org/';")
    qtbot.waitUntil(lambda: dialog.notice.isVisible(), timeout=5000)
    dialog.grab().save(str(out / "checkin_refused.png"))
    dialog.reject()

    settings = AppSettings(profiles=[Profile("Sandbox", "sandbox", sandbox_server.base_url),
                                     Profile("Live", "live", "https://api.provider.example")])  # fmt: skip
    from payout_desk.services.secrets import TokenStore

    settings_dialog = SettingsDialog(settings, TokenStore())
    qtbot.addWidget(settings_dialog)
    settings_dialog.show()
    run_async(settings_dialog.ready)
    settings_dialog.token_edit.setText("tk_test_not_a_real_token")
    settings_dialog._edited()
    run_async(settings_dialog.test_connection())
    settings_dialog.grab().save(str(out / "settings_dialog.png"))
    settings_dialog.profile_list.setCurrentRow(1)
    settings_dialog.url_edit.setText("http://api.provider.example")
    settings_dialog._edited()
    settings_dialog.grab().save(str(out / "settings_live_http.png"))
