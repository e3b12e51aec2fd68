"""The confirmation's near-duplicate warning: the journaled payouts this one looks like (when,
amount, status, who, why) and the "Send anyway" tick the confirmation waits for.

The rule is the domain's (``domain.duplicates``); this only shows what the journal found.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QLabel, QVBoxLayout, QWidget

from payout_desk.domain.duplicates import DuplicateMatch
from payout_desk.domain.money import UnknownCurrencyError, currency, format_amount
from payout_desk.domain.status import status_label
from payout_desk.ui.style.banner import WARNING_STYLE

__all__ = ["DuplicateWarning", "describe_match", "local_time"]

#: At most this many near-duplicates are listed; the rest are counted.
SHOWN = 5


def local_time(moment: datetime) -> str:
    """``2026-12-06 03:41 CET``: the machine's local time with its zone's name."""
    local = moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or "local time")


def describe_match(match: DuplicateMatch, locale_name: str) -> str:
    """One line: when, amount, status, who, and why it matched."""
    past = match.past
    try:
        amount = format_amount(past.amount, currency(past.currency), locale_name)
    except UnknownCurrencyError:
        amount = f"{past.currency} {past.amount}"
    why = "same recipient" if match.reason == "recipient" else "same description and amount"
    who = past.recipient_name or (f"ID {past.recipient_id}" if past.recipient_id else "no recipient")
    return (
        f"{local_time(past.created_at)} · {amount} to {who} · {status_label(past.status)} · "
        f"sent by {past.created_by} ({why}, payout #{past.local_id})"
    )


class DuplicateWarning(QFrame):
    """The warning box; :attr:`overrideChanged` follows the "Send anyway" tick."""

    overrideChanged = Signal(bool)

    def __init__(self, matches: Sequence[DuplicateMatch], locale_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicateWarning")
        self.matches = tuple(matches)
        self.setStyleSheet(f"#duplicateWarning {{ {WARNING_STYLE} border-radius: 4px; }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        count = len(self.matches)
        title = QLabel(
            "This looks like a payout already made in the last 90 days:"
            if count == 1
            else f"This looks like {count} payouts already made in the last 90 days:",
            self,
        )
        title.setObjectName("duplicateWarningTitle")
        title.setWordWrap(True)
        title.setStyleSheet("font-weight: bold; border: none; background: transparent;")
        layout.addWidget(title)
        lines = [describe_match(m, locale_name) for m in self.matches[:SHOWN]]
        if count > SHOWN:
            lines.append(f"… and {count - SHOWN} more (see the history).")
        self.list_label = QLabel("\n".join(f"• {line}" for line in lines), self)
        self.list_label.setObjectName("duplicateList")
        self.list_label.setTextFormat(Qt.TextFormat.PlainText)
        self.list_label.setWordWrap(True)
        self.list_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.list_label.setStyleSheet("border: none; background: transparent;")
        self.list_label.setAccessibleName("Similar payouts: " + "; ".join(lines))
        layout.addWidget(self.list_label)
        advice = QLabel("Check the history before sending. If this is a new payout, tick “Send anyway”.", self)
        advice.setWordWrap(True)
        advice.setStyleSheet("border: none; background: transparent;")
        layout.addWidget(advice)
        self.send_anyway = QCheckBox("Send &anyway: this is not a duplicate", self)
        self.send_anyway.setObjectName("sendAnywayCheck")
        self.send_anyway.setAccessibleName("Send anyway")
        self.send_anyway.setAccessibleDescription("Confirming is possible only once this is ticked")
        self.send_anyway.toggled.connect(self.overrideChanged)
        layout.addWidget(self.send_anyway)

    @property
    def overridden(self) -> bool:
        return self.send_anyway.isChecked()

    @property
    def shown_ids(self) -> list[int]:
        """Local ids of every near-duplicate the warning stands for."""
        return [m.past.local_id for m in self.matches]
