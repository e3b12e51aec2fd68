"""Tells the person when a payout reached a final status: a tray message when the platform has a
system tray, otherwise a calm toast inside the window and a status-bar message."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLocale, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QStyle, QSystemTrayIcon, QWidget

from payout_desk.domain.failures import failure_text
from payout_desk.domain.money import UnknownCurrencyError, currency, format_amount

TOAST_MS = 8000


def amount_words(record: Any, locale: str | None = None) -> tuple[str, str]:
    """(the amount in ``locale``'s format — the machine's by default —, " to <recipient>" or "")."""
    try:
        amount = format_amount(record.amount, currency(record.currency), locale or QLocale().name())
    except (UnknownCurrencyError, ValueError, TypeError):
        amount = f"{record.amount} {record.currency}"
    return amount, f" to {record.recipient_name}" if getattr(record, "recipient_name", None) else ""


def describe(record: Any, locale: str | None = None) -> tuple[str, str]:
    """(title, message) for a record that reached a final status; the amount in ``locale``'s format
    (the machine's by default), a failure reason in words with the next step and its code."""
    amount, who = amount_words(record, locale)
    status = str(record.status)
    if status == "succeeded":
        return "Payout succeeded", f"{amount}{who} succeeded."
    if status == "rejected":
        detail = f": {record.last_error}" if record.last_error else "."
        return "Payout rejected", f"{amount}{who} was rejected by the provider{detail}"
    if status == "needs_reconciliation":
        return "Payout needs reconciliation", f"{amount}{who} is not sent again by itself; open it and reconcile."
    if status == "mismatch":
        return "Payout needs checking", f"{amount}{who}: the provider's answer does not match; nothing more is sent."
    reason = failure_text(record.failure_reason) or record.last_error or ""
    detail = f" {reason}" if reason else ""
    return f"Payout {status}", f"{amount}{who} {status}.{detail}"


class Notifier(QObject):
    """:attr:`notified` (title, message) fires for every notification shown, whatever the channel."""

    notified = Signal(str, str)

    def __init__(self, window: QMainWindow, *, use_tray: bool | None = None) -> None:
        super().__init__(window)
        self._window = window
        available = QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages()
        self._tray: QSystemTrayIcon | None = None
        if available if use_tray is None else use_tray:
            icon = window.windowIcon()
            if icon.isNull():
                icon = window.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
            self._tray = QSystemTrayIcon(icon, self)
            self._tray.setToolTip(window.windowTitle())
            self._tray.show()
        self.toast = QLabel(window)
        self.toast.setObjectName("notificationToast")
        self.toast.setWordWrap(True)
        self.toast.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.toast.setStyleSheet(
            "background: #263238; color: white; border-radius: 6px; padding: 8px 14px; font-weight: bold;"
        )
        self.toast.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # never takes a click
        self.toast.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.toast.hide)

    @property
    def uses_tray(self) -> bool:
        return self._tray is not None

    def payout_final(self, change: Any) -> None:
        """Slot for ``DeskBridge.payoutFinal``."""
        title, message = describe(change.record)
        self.notify(title, message)

    def notify(self, title: str, message: str, *, warning: bool | None = None) -> None:
        """Show one notification; ``warning`` (default: unless the title says it succeeded) picks the tray's icon."""
        failed = not title.endswith("succeeded") if warning is None else warning
        if self._tray is not None:
            icon = QSystemTrayIcon.MessageIcon.Warning if failed else QSystemTrayIcon.MessageIcon.Information
            self._tray.showMessage(title, message, icon, TOAST_MS)
        else:
            self.toast.setText(message)
            self.toast.setAccessibleName(f"{title}: {message}")
            self._place_toast()
            self.toast.show()
            self.toast.raise_()
            self._timer.start(TOAST_MS)
        status_bar = self._window.statusBar()
        status_bar.showMessage(message, TOAST_MS * 2)
        self.notified.emit(title, message)

    def _place_toast(self) -> None:
        parent = self.toast.parentWidget()
        if not isinstance(parent, QWidget):
            return
        # Over the history, clear of the form and its "Review and send…" (the window's width otherwise).
        area = getattr(parent, "history_stack", None)
        left, span = (0, parent.width())
        if isinstance(area, QWidget) and area.isVisible():
            left, span = area.mapTo(parent, QPoint(0, 0)).x(), area.width()
        width = min(460, max(240, span - 40))
        self.toast.setFixedWidth(width)
        self.toast.adjustSize()
        x = left + (span - width) // 2
        y = parent.height() - self.toast.height() - 48
        self.toast.move(max(0, x), max(0, y))

    def close(self) -> None:
        self._timer.stop()
        if self._tray is not None:
            self._tray.hide()
