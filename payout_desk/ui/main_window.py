"""The main window: the payout form, the history and the environment banner live here."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget

from payout_desk import APP_NAME


class MainWindow(QMainWindow):
    """Top-level window of Payout Desk."""

    closing = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.resize(1200, 780)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        banner = QLabel("SANDBOX", central)
        banner.setObjectName("environmentBanner")
        banner.setAccessibleName("Environment")
        layout.addWidget(banner)
        layout.addStretch(1)
        self.setCentralWidget(central)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closing.emit()
        super().closeEvent(event)
