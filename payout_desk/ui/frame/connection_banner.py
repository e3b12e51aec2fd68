"""The "not connected" banner: what is missing (no token, keychain locked, provider unreachable …) in
plain words, and the one button that fixes it. The history stays usable underneath."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class ConnectionBanner(QFrame):
    """Shown while the desk is not connected; ``actionRequested(reason)`` when its button is pressed."""

    actionRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason = ""
        self.setObjectName("connectionBanner")
        self.setAccessibleName("Not connected")
        self.setStyleSheet(
            "QFrame#connectionBanner { background: #fff4e5; border: 1px solid #e0b26b; border-radius: 4px; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setObjectName("connectionBannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setStyleSheet("color: #4a3000;")
        self.button = QPushButton(self)
        self.button.setObjectName("connectionBannerAction")
        self.button.clicked.connect(lambda: self.actionRequested.emit(self.reason))
        row.addWidget(self.label, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_problem(self, reason: str, message: str, action: str) -> None:
        """Say what is missing and offer ``action`` (the button's label)."""
        self.reason = reason
        self.label.setText(f"Not connected — sending is off; your history is all here. {message}")
        self.button.setText(action)
        self.button.setAccessibleName(action)
        self.setAccessibleDescription(message)
        self.show()

    def clear(self) -> None:
        self.reason = ""
        self.hide()
