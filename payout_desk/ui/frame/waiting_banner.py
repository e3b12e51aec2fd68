"""The "waiting for another connection" banner: open payouts bound to a connection other than the
active one are neither sent nor checked here (``domain.identity``). The banner says so, and offers
the one way to move them — a person's explicit, audited re-bind (a renamed or edited profile, or a
new Live token the person confirms belongs to the same merchant account)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from payout_desk.domain.identity import ConnectionIdentity, describe_key

log = logging.getLogger(__name__)


def waiting_text(waiting: Any, active: ConnectionIdentity) -> tuple[str, str]:
    """(banner text, confirmation question) for one group of waiting payouts."""
    count = f"{waiting.count} open payout{'s' if waiting.count != 1 else ''}"
    try:
        other = ConnectionIdentity.parse(waiting.connection_id) if waiting.connection_id else None
    except ValueError:
        other = None
    if other is not None and other.same_place(active) and active.environment == "live":
        text = (
            f"{count} of profile “{other.profile}” were confirmed with a different API token. "
            "They are not resent with the new token until you confirm it belongs to the same merchant account."
        )
        question = (
            f"Does the new token of “{active.profile}” belong to the SAME merchant account as the old one?\n\n"
            f"Only then resume the {count}: they are resent with their original keys, which cannot pay twice "
            "at the same account — at another account they would be paid again. This decision is recorded."
        )
        return text, question
    where = describe_key(waiting.connection_id)
    verb = "waits" if waiting.count == 1 else "wait"
    text = f"{count} {verb} for {where}; {'it is' if waiting.count == 1 else 'they are'} sent and checked only there."
    question = (
        f"Move the {count} of {where} to {active.describe()}?\n\n"
        "Do this only when both are the same provider and merchant account (for example a renamed profile). "
        "They are then resent with their original keys or followed here. If it is another provider or "
        "account, a payout the old one already holds is paid a second time. This decision is recorded."
    )
    return text, question


class WaitingBanner(QFrame):
    """Shown while some open payouts wait for another connection; ``rebound`` after a re-bind."""

    rebound = Signal(int)

    def __init__(self, parent: QWidget | None = None, *, confirm: Callable[[str], bool] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waitingBanner")
        self.setAccessibleName("Payouts waiting for another connection")
        self.setStyleSheet(
            "QFrame#waitingBanner { background: #fff4e5; border: 1px solid #e0b26b; border-radius: 4px; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel(self)
        self.label.setObjectName("waitingLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.button = QPushButton("Resume them here…", self)
        self.button.setObjectName("rebindButton")
        self.button.setAccessibleName("Resume the waiting payouts on this connection")
        self.button.clicked.connect(self._clicked)
        row.addWidget(self.label, 1)
        row.addWidget(self.button)
        self._confirm = confirm or self._ask
        self._desk: Any = None
        self._first: Any = None
        self._question = ""
        self.task: asyncio.Future[None] | None = None
        self.hide()

    def _ask(self, question: str) -> bool:
        from payout_desk.ui.frame.reconcile_dialog import ask_yes_no

        return ask_yes_no(self, "Resume payouts on this connection", question)

    async def refresh(self, desk: Any) -> None:
        """Look up what waits (off the GUI thread, in the journal) and show or hide the banner."""
        self._desk = desk
        waiting = await desk.waiting()
        self._first = waiting[0] if waiting else None
        if self._first is None:
            self.hide()
            return
        text, self._question = waiting_text(self._first, desk.identity)
        more = sum(w.count for w in waiting[1:])
        self.label.setText(text + (f" ({more} more wait for other connections.)" if more else ""))
        self.show()

    def _clicked(self) -> None:
        if self._first is None or self._desk is None or not self._confirm(self._question):
            return
        self.task = asyncio.ensure_future(self._rebind(self._desk, self._first.connection_id))

    async def _rebind(self, desk: Any, connection_id: str | None) -> None:
        reason = "a person confirmed in the window that these payouts belong to this connection's account"
        try:
            moved = await desk.rebind(connection_id, reason=reason)
        except Exception:
            log.exception("re-binding the waiting payouts failed")
            self.label.setText("The payouts could not be moved; nothing was changed. Try again.")
            return
        self.rebound.emit(len(moved))
        await self.refresh(desk)
