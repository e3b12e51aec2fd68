"""Statuses: constants, finality, labels, tones."""

from __future__ import annotations

import pytest

from payout_desk.domain import status as st


def test_constants_match_the_architecture_table() -> None:
    assert {
        "confirmed",
        "outcome_unknown",
        "rejected",
        "pending",
        "succeeded",
        "failed",
        "created",
        "mismatch",
        "needs_reconciliation",
        "awaiting_approval",
        "approval_rejected",
        "withdrawn",
        "expired",
    } == st.KNOWN_STATUSES
    assert {"rejected", "succeeded", "failed"} == st.FINAL_STATUSES
    assert st.FINAL_STATUSES <= st.KNOWN_STATUSES
    assert {"approval_rejected", "withdrawn", "expired"} == st.CLOSED_STATUSES
    assert st.TERMINAL_STATUSES == st.FINAL_STATUSES | st.CLOSED_STATUSES
    assert not st.CLOSED_STATUSES & st.AUTOMATIC_STATUSES  # never sent nor polled


@pytest.mark.parametrize(
    ("status", "closed", "terminal"),
    [
        ("awaiting_approval", False, False),
        ("approval_rejected", True, True),
        ("withdrawn", True, True),
        ("expired", True, True),
        ("succeeded", False, True),
        ("confirmed", False, False),
        ("Withdrawn", False, False),
    ],
)
def test_closed_and_terminal(status: str, closed: bool, terminal: bool) -> None:
    assert st.is_closed(status) is closed
    assert st.is_terminal(status) is terminal
    assert not st.is_final(status) or status == "succeeded"


def test_closed_payouts_say_they_were_never_sent() -> None:
    for status in st.CLOSED_STATUSES:
        assert "never sent" in st.payment_id_words(status, attempted=False)
    assert st.payment_id_words("awaiting_approval", attempted=False) == "none — not sent yet"
    assert st.status_label("awaiting_approval") == "Awaiting approval"


@pytest.mark.parametrize(
    ("status", "final"),
    [
        ("confirmed", False),
        ("outcome_unknown", False),
        ("pending", False),
        ("rejected", True),
        ("succeeded", True),
        ("failed", True),
        ("processing", False),
        ("SUCCEEDED", False),  # exact match only: unknown → keep polling
        (" succeeded", False),
        ("", False),
    ],
)
def test_is_final(status: str, final: bool) -> None:
    assert st.is_final(status) is final


@pytest.mark.parametrize(
    ("status", "label", "tone"),
    [
        ("confirmed", "Sending…", st.StatusTone.PROGRESS),
        ("outcome_unknown", "Outcome unknown — retrying", st.StatusTone.WARNING),
        ("rejected", "Rejected", st.StatusTone.FAILURE),
        ("pending", "Pending", st.StatusTone.PROGRESS),
        ("succeeded", "Succeeded", st.StatusTone.SUCCESS),
        ("failed", "Failed", st.StatusTone.FAILURE),
        ("in_review", "in_review", st.StatusTone.WARNING),
        ("Chargeback", "Chargeback", st.StatusTone.WARNING),
        ("", "Unknown", st.StatusTone.WARNING),
        ("  ", "Unknown", st.StatusTone.WARNING),
        ("bad\nthing", "bad\ufffdthing", st.StatusTone.WARNING),
    ],
)
def test_label_and_tone(status: str, label: str, tone: st.StatusTone) -> None:
    assert st.status_label(status) == label
    assert st.status_tone(status) is tone


def test_every_known_status_has_a_label_and_tone() -> None:
    for status in st.KNOWN_STATUSES:
        assert st.status_label(status) != status
        assert st.status_tone(status) is not st.StatusTone.WARNING or status in (st.OUTCOME_UNKNOWN, st.CREATED)
    assert {t.value for t in st.StatusTone} == {"neutral", "progress", "success", "failure", "warning"}


@pytest.mark.parametrize(
    "text",
    ["rejected", "confirmed", "outcome_unknown", "mismatch", "needs_reconciliation", "Rejected", "Failed", "FAILED",
     "Succeeded", "Pending", "Needs reconciliation"],
)  # fmt: skip
def test_a_provider_status_spelled_like_a_local_state_never_reads_as_it(text: str) -> None:
    """Found by the money audit: a created payout whose provider said "rejected" read "Rejected" in
    red — the app's own word for "the provider never held it, key it again" — while the provider
    holds it and the desk still follows it."""
    shown = st.shown_status(st.CREATED, text)
    assert st.status_label(shown).casefold() not in {st.status_label(s).casefold() for s in st.KNOWN_STATUSES}
    assert text in st.status_label(shown)  # still verbatim, so staff can quote it
    assert st.status_tone(shown) is st.StatusTone.WARNING  # not final, worth a look
    assert not st.is_final(shown)


def test_an_unknown_provider_status_is_shown_verbatim() -> None:
    assert st.shown_status(st.CREATED, "on_hold") == "on_hold"
    assert st.shown_status(st.CREATED, "created") == "created"
    assert st.shown_status(st.PENDING, "pending") == "pending"
