"""The main window opens and closes cleanly inside the test QApplication."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from payout_desk.ui.main_window import MainWindow


def test_main_window_opens_shows_the_banner_and_closes(qtbot: Any) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    banner = window.findChild(QLabel, "environmentBanner")
    assert banner is not None
    assert banner.text() == "SANDBOX"
    with qtbot.waitSignal(window.closing, timeout=2000):
        window.close()
    assert not window.isVisible()
