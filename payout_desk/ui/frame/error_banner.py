"""The window's calm inline message (``errorBanner``): a plain-text line and a dismiss button, never a stack
trace. Moved out of ``main_window`` as it was (the window keeps ``error_banner``, ``error_label``,
``show_error`` and ``shown_error``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

__all__ = ["ErrorBanner"]


class ErrorBanner(QFrame):
    """``errorBanner`` with its text ``errorBannerText`` (``label``) and a ✕ that hides it; hidden at first."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet("QFrame#errorBanner { background: #fdecea; border: 1px solid #e3a29d; border-radius: 4px; }")
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setObjectName("errorBannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setStyleSheet("color: #5f1410;")
        close = QToolButton(self)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.hide)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        self.hide()

    def show_message(self, message: str) -> None:
        """Show ``message`` (an empty one hides the banner)."""
        self.label.setText(message)
        self.setVisible(bool(message))

    def shown(self, window: QWidget) -> str:
        """The message visible in ``window`` now, or ''."""
        return self.label.text() if self.isVisibleTo(window) else ""
