"""Failure reasons in words with the next step; the code kept beside; unknown codes as they are."""

from __future__ import annotations

from payout_desk.domain.failures import failure_text, failure_words


def test_known_codes_read_as_words_with_a_next_step() -> None:
    assert failure_words("account_closed") == (
        "The recipient's bank account is closed. Ask them for another account and send a new payout."
    )
    assert failure_text("account_closed").endswith(". (account_closed)")
    assert "declined" in failure_words("declined_by_recipient")
    assert "expired" in failure_words("expired")


def test_unknown_codes_are_shown_as_they_are() -> None:
    assert failure_words("bank_return_R04") == "bank_return_R04"
    assert failure_text("bank_return_R04") == "bank_return_R04"
    assert failure_text("bad\x07code") == "bad\ufffdcode"  # control characters made visible
    assert failure_text(None) == ""
    assert failure_words("") == ""
