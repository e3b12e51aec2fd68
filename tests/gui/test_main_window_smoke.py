"""The main window opens and closes cleanly inside the test QApplication."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton

from payout_desk.app.context import AppContext, AppPaths, LaunchOptions
from payout_desk.ui.frame.main_window import MainWindow


def test_main_window_opens_shows_the_banner_and_closes(qtbot: Any, data_dir: Path) -> None:
    context = AppContext(LaunchOptions(sandbox=True, data_dir=data_dir), AppPaths.resolve(data_dir))
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    banner = window.findChild(QLabel, "environmentBanner")
    assert banner is not None
    assert banner.text() == "SANDBOX"
    assert not window.findChild(QPushButton, "submitButton").isEnabled()  # not connected (never started)
    with qtbot.waitSignal(window.closing, timeout=2000), qtbot.waitSignal(window.shutdownFinished, timeout=5000):
        window.close()
    assert not window.isVisible()
