"""The words of a team desk's approval line and notices (audit F17), without a database: the confirmation when the
team's rules could not be read ("may need approval"), its Confirm button for a payout that waits, and the notices
for a withdrawal and an expiry."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from PySide6.QtWidgets import QLabel, QPushButton

from payout_desk.journal.models import JournalEvent
from payout_desk.ui.frame.team_notices import describe_decision
from payout_desk.ui.sending.confirm_dialog import ConfirmDialog
from payout_desk.ui.sending.team_checkin import approval_line, waiting_text
from tests.unit.journal.helpers import request

RECORD = SimpleNamespace(
    local_id=7, amount=Decimal("15000.00"), currency="EUR", recipient_name="Globex", last_error=None
)


def event(kind: str, actor: str, **detail: Any) -> JournalEvent:
    return JournalEvent(event_id=1, local_id=7, at=datetime.now(UTC), kind=kind, actor=actor, detail=detail)


def test_unread_rules_say_may_need_approval_and_confirm_says_it_waits(qtbot: Any) -> None:
    note = approval_line(None)
    assert note.waits
    dialog = ConfirmDialog(request("15000.00"), environment="sandbox", approval_line=note)
    qtbot.addWidget(dialog)
    assert dialog.findChild(QLabel, "confirmApprovals").text().startswith("This payout may need approval")
    button = dialog.findChild(QPushButton, "confirmButton")
    assert button.text() == "&Confirm — send once approved"
    assert "sent once approved" in button.accessibleDescription()
    single = ConfirmDialog(request("15000.00"), environment="sandbox")  # a single desk: no approval line
    qtbot.addWidget(single)
    assert single.findChild(QLabel, "confirmApprovals") is None
    assert single.findChild(QPushButton, "confirmButton").text() == "&Confirm and send"


def test_waiting_text_counts_what_is_missing() -> None:
    at = datetime(2026, 12, 13, 20, 21, tzinfo=UTC)
    text = waiting_text(9, 2, 1, at, "C")  # a "C" locale: the app's default words
    assert text.startswith("Payout #9 saved; it waits for 1 approval until Dec 13, 2026 ")
    assert waiting_text(9, 3, 0, None) == "Payout #9 saved; it waits for 3 approvals, then the agent sends it."


def test_withdrawn_and_expired_notices() -> None:
    withdrawn = describe_decision(RECORD, "withdrawn", event("withdrawn", "pia"), me="pia", opens_here=False,
                                  locale="en_US")  # fmt: skip
    assert withdrawn == ("Payout withdrawn", "€15,000.00 to Globex (#7) was withdrawn by you: it will never be sent.")
    expired = describe_decision(RECORD, "expired", event("expired", "agent_a", approvals=1, required=2), me="pia",
                                opens_here=False, locale="en_US")  # fmt: skip
    assert expired == (
        "Payout expired",
        "€15,000.00 to Globex (#7) expired without its approvals (1 of 2 approvals): it will never be sent.",
    )
    approved = describe_decision(RECORD, "approved", None, me="pia", opens_here=False, locale="en_US")
    assert approved[1] == (
        "€15,000.00 to Globex (#7) approved by an approver — the agent sends it; open its checkin page from its"
        " history row (Reopen checkin…, Copy checkin link)."
    )
