"""The pure exactly-once rules: connection identity, attempt ambiguity, answer checks, bounds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payout_desk.domain.ambiguity import attempt_is_ambiguous, next_step_for
from payout_desk.domain.answers import (
    MAX_STATUS_CHARS,
    AnswerFields,
    Expected,
    answer_mismatches,
    bounded,
    is_stale,
    lifecycle_status,
)
from payout_desk.domain.identity import ConnectionIdentity, describe_key, token_fingerprint


def test_identity_round_trips_and_never_holds_the_token() -> None:
    token = "tk_test_" + "a1" * 16
    fingerprint = token_fingerprint(token, b"k" * 32)
    identity = ConnectionIdentity("live", "Live | EU", "https://api.example.com", f"token:{fingerprint}")
    assert ConnectionIdentity.parse(identity.key) == identity
    assert token not in identity.key
    assert token_fingerprint(token, b"k" * 32) == fingerprint
    assert token_fingerprint(token, b"other key") != fingerprint
    assert token_fingerprint(token + "x", b"k" * 32) != fingerprint
    assert identity.same_place(ConnectionIdentity("live", "Live | EU", "https://api.example.com", "token:other"))
    assert not identity.same_place(ConnectionIdentity("live", "Live", "https://api.example.com", "token:other"))
    assert describe_key(identity.key) == "profile “Live | EU” (live, https://api.example.com)"
    assert "earlier version" in describe_key(None)


def test_identity_refuses_what_it_cannot_store() -> None:
    with pytest.raises(ValueError, match="environment"):
        ConnectionIdentity("prod", "P", "embedded", "merchant:m")
    with pytest.raises(ValueError, match="endpoint"):
        ConnectionIdentity("sandbox", "P", "http://a|b", "merchant:m")
    with pytest.raises(ValueError, match="not a connection identity"):
        ConnectionIdentity.parse("sandbox|embedded")
    with pytest.raises(ValueError, match="key"):
        token_fingerprint("t", b"")


@pytest.mark.parametrize(
    ("status_code", "kind", "ambiguous"),
    [
        (None, "ConnectError", False),
        (None, "ConnectTimeout", False),
        (None, "PoolTimeout", False),
        (None, "ReadTimeout", True),
        (None, "RemoteProtocolError", True),
        (None, "TimeoutError", True),
        (None, "WriteError", True),
        (201, None, False),
        (200, None, False),
        (201, "ProviderProtocolError", True),  # an unreadable or too large 2xx
        (409, "IdempotencyInProgressError", True),
        (429, "RateLimitedError", True),
        (500, "ProviderUnavailableError", True),
        (503, "ProviderUnavailableError", True),
        (400, "MalformedRequestError", False),
        (401, "UnauthorizedError", False),
        (403, "PayoutsNotEnabledError", False),
        (404, "NotFoundError", False),
        (422, "ValidationRejectedError", False),
    ],
)
def test_only_a_connection_failure_or_a_definitive_answer_is_unambiguous(
    status_code: int | None, kind: str | None, ambiguous: bool
) -> None:
    assert attempt_is_ambiguous(status_code, kind) is ambiguous


def test_next_step_after_an_ambiguous_attempt() -> None:
    assert "Fix the API token" in next_step_for(401)
    assert "Fix the API token" in next_step_for(403)
    assert "do not key it again" in next_step_for(404)


EXPECTED = Expected(Decimal("10.00"), "EUR", "ORDER-1", "pay_1")


@pytest.mark.parametrize(
    ("answer", "problems"),
    [
        (AnswerFields("pay_1", "10.00", "EUR", "ORDER-1"), []),
        (AnswerFields("pay_1", "10", "EUR", "ORDER-1"), []),
        (AnswerFields("pay_1", "10.000", "EUR", "ORDER-1"), []),
        (AnswerFields("pay_2", "10.00", "EUR", "ORDER-1"), ["payment id 'pay_2' instead of 'pay_1'"]),
        (AnswerFields("pay_1", "1000.00", "EUR", "ORDER-1"), ["amount '1000.00' instead of '10.00'"]),
        (AnswerFields("pay_1", "10.00", "JPY", "ORDER-1"), ["currency 'JPY' instead of 'EUR'"]),
        (AnswerFields("pay_1", "10.00", "EUR", None), ["externalId (none) instead of 'ORDER-1'"]),
        (
            AnswerFields("pay_1", None, None, "ORDER-1"),
            ["amount (none) instead of '10.00'", "currency (none) instead of 'EUR'"],
        ),
        (AnswerFields("pay_1", "NaN", "EUR", "ORDER-1"), ["amount 'NaN' instead of '10.00'"]),
        (AnswerFields("pay_1", "1e1", "EUR", "ORDER-1"), []),
    ],
)
def test_answer_mismatches(answer: AnswerFields, problems: list[str]) -> None:
    assert answer_mismatches(EXPECTED, answer) == problems


def test_a_missing_value_reads_none_in_words_not_as_python() -> None:
    """Found by the money audit: the reconciliation dialog and the mismatch line read "externalId
    'e82c…' instead of None" — Python's None, in front of a finance user."""
    problems = answer_mismatches(Expected(Decimal("5"), "JPY", None), AnswerFields("pay_9", None, "JPY", "X"))
    assert problems == ["amount (none) instead of '5'", "externalId 'X' instead of (none)"]
    assert not any("None" in problem for problem in problems)


def test_a_create_answer_is_checked_without_an_id_and_an_extra_reference_is_a_mismatch() -> None:
    unsent = Expected(Decimal("5"), "JPY", None)
    assert answer_mismatches(unsent, AnswerFields("pay_9", "5", "JPY", None)) == []
    assert answer_mismatches(unsent, AnswerFields("pay_9", "5", "JPY", "")) == []
    assert answer_mismatches(unsent, AnswerFields("pay_9", "5", "JPY", "X")) == ["externalId 'X' instead of (none)"]


@pytest.mark.parametrize(
    ("provider", "local"),
    [
        ("pending", "pending"),
        ("succeeded", "succeeded"),
        ("failed", "failed"),
        ("rejected", "created"),
        ("confirmed", "created"),
        ("outcome_unknown", "created"),
        ("mismatch", "created"),
        ("on_hold", "created"),
        ("", "created"),
    ],
)
def test_no_provider_status_is_a_local_state(provider: str, local: str) -> None:
    assert lifecycle_status(provider) == local


def test_bounded() -> None:
    assert bounded(None, 5) is None
    assert bounded("abc", 5) == "abc"
    assert bounded("x" * 200, MAX_STATUS_CHARS) == "x" * 63 + "…"
    assert len(bounded("y" * 5_000_000, 1000) or "") == 1000


@pytest.mark.parametrize(
    ("current", "answer", "stale"),
    [
        ("succeeded", "pending", True),
        ("failed", "pending", True),
        ("succeeded", "on_hold", True),  # an unknown status is open, so it cannot follow a final one
        ("succeeded", "failed", False),  # a bank return
        ("failed", "succeeded", False),
        ("pending", "pending", False),
        ("created", "pending", False),
        ("pending", "succeeded", False),
    ],
)
def test_a_finished_payout_is_never_reopened_by_an_older_answer(current: str, answer: str, stale: bool) -> None:
    assert is_stale(current, answer) is stale
