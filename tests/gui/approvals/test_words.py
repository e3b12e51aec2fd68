"""Team mode's statuses and approval events in the desk's words (issue 21): the status column's label, tone
and icon, and one timeline line per approval, rejection, withdrawal and expiry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from payout_desk.domain.status import StatusTone
from payout_desk.journal.models import JournalEvent
from payout_desk.ui.history.event_words import closed_words, describe_event
from payout_desk.ui.style.status import status_style

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def event(kind: str, actor: str = "ann", **detail: Any) -> JournalEvent:
    return JournalEvent(event_id=1, local_id=7, at=AT, kind=kind, actor=actor, detail=detail)


@pytest.mark.parametrize(
    ("status", "label", "tone"),
    [
        ("awaiting_approval", "Awaiting approval", StatusTone.NEUTRAL),
        ("approval_rejected", "Rejected by an approver", StatusTone.FAILURE),
        ("withdrawn", "Withdrawn", StatusTone.NEUTRAL),
        ("expired", "Expired — not approved in time", StatusTone.NEUTRAL),
    ],
)
def test_new_statuses_have_words_a_tone_and_an_icon(qapp: Any, status: str, label: str, tone: StatusTone) -> None:
    style = status_style(status)
    assert (style.label, style.tone) == (label, tone)
    assert not style.icon.isNull()


def test_every_approval_step_is_a_timeline_line() -> None:
    confirmed = event("confirmed", "pia", environment="sandbox", profile="Team", new="awaiting_approval",
                      approvals_required=2)  # fmt: skip
    assert describe_event(confirmed) == "Confirmed and recorded (sandbox, profile Team); waits for 2 approvals"
    first = event("approval_granted", approvals=1, required=2, body_sha256="ab")
    assert describe_event(first) == "Approved by ann (1 of 2 approvals)"
    last = event("approval_granted", "bo", approvals=2, required=2, old="awaiting_approval", new="confirmed")
    assert describe_event(last) == "Approved by bo (2 of 2 approvals); ready to send"
    rejected = event("approval_rejected", reason="Wrong IBAN", old="awaiting_approval", new="approval_rejected")
    assert describe_event(rejected) == "Rejected by ann, an approver: Wrong IBAN. Never sent"
    assert describe_event(event("withdrawn", "pia")) == "Withdrawn by pia while it awaited approval. Never sent"
    expired = event("expired", "payout_desk_agent", approvals=0, required=1, new="expired")
    assert describe_event(expired) == "Expired: not approved in time (0 of 1 approval). Never sent"


def test_a_payout_closed_before_approval_says_why_in_the_approvers_words() -> None:
    """F11: the details pane's words for a closed payout: the approver and the reason, the preparer, the expiry."""
    rejected = event("approval_rejected", "carl", reason="Amount looks wrong — invoice says 12,345.67")
    words = closed_words("approval_rejected", [event("confirmed", "dora"), rejected], "ignored", "dora")
    assert words == "Rejected by carl: Amount looks wrong — invoice says 12,345.67"
    assert closed_words("approval_rejected", [], "Wrong IBAN", "dora") == "Rejected by an approver: Wrong IBAN"
    assert closed_words("withdrawn", [], None, "dora") == "Withdrawn by dora while it awaited approval"
    expired = event("expired", "payout_desk_agent", approvals=1, required=2)
    assert closed_words("expired", [expired], None, "dora") == "Expired: not approved in time (1 of 2 approvals)"
