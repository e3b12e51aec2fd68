"""The "not connected" banner: what is missing (no token, keychain locked, provider unreachable …) in
plain words, and the one button that fixes it. The history stays usable underneath."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from payout_desk.ui.sending.role_notice import NOT_A_PREPARER, role_words, set_role_notice


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

    def show_problem(
        self,
        reason: str,
        message: str,
        action: str,
        *,
        lead: str = "Not connected — sending is off; your history is all here.",
    ) -> None:
        """Say what is missing (after ``lead``) and offer ``action`` (the button's label)."""
        self.reason = reason
        self.label.setText(f"{lead} {message}")
        self.button.setText(action)
        self.button.setAccessibleName(action)
        self.setAccessibleDescription(message)
        self.show()

    def show_lost(self, database: str) -> None:
        """A team desk lost its database: what it shows is kept, and it reconnects by itself."""
        self.reason = "team_lost"
        message = (
            f"Lost the team database {database}. The payouts shown are kept as they were and may be out of date; "
            "sending is off. Reconnecting by itself — changes made meanwhile appear once it is back."
        )
        self.label.setText(message)
        self.button.setText("Try again")
        self.button.setAccessibleName("Try again")
        self.setAccessibleDescription(message)
        self.show()

    def clear(self) -> None:
        self.reason = ""
        self.hide()


def follow_team_desk(window: Any) -> None:
    """A team desk (``--team``) on ``window``: an approver's or a viewer's form stays off, saying why (ui/sending/
    role_notice.py); losing the team database shows this banner (the rows shown are kept, sending is off) until
    the desk is back and has caught up from its cursor. A single desk has no ``subscribe_state``: its form is
    enabled again (after a switch from a team profile), nothing else to do."""
    desk = window.context.desk
    subscribe = getattr(desk, "subscribe_state", None)
    set_role_notice(window.form, None if subscribe is None else role_words(desk.roles))
    if subscribe is None:
        return
    if not desk.can_prepare:  # an approver or a viewer: the fields off, and words for the role
        window.form.set_ready(False, NOT_A_PREPARER)

    def changed(online: bool) -> None:
        if window.context.desk is not desk:
            return  # an older desk, replaced by a reconnect
        banner: ConnectionBanner = window.connection_banner
        if online:
            banner.clear()
            window.form.set_ready(desk.can_prepare, "" if desk.can_prepare else NOT_A_PREPARER)
            window.statusBar().showMessage("Back on the team database: caught up with every change.", 8000)
        else:
            banner.show_lost(desk.database)
            window.form.set_ready(False, "Team database lost")

    subscribe(changed)
