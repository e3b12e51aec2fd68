"""One typed error per SPEC error, each with a finance-friendly message; retryability per SPEC."""

from __future__ import annotations

import pytest

from payout_desk.provider.errors import (
    IdempotencyInProgressError,
    IdempotencyKeyReusedError,
    MalformedRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PayoutsNotEnabledError,
    ProviderError,
    ProviderProtocolError,
    ProviderUnavailableError,
    RateLimitedError,
    RejectedError,
    UnauthorizedError,
    ValidationRejectedError,
    error_for_response,
)


@pytest.mark.parametrize(
    ("status", "code", "cls", "retryable"),
    [
        (400, "malformed_request", MalformedRequestError, False),
        (401, "unauthorized", UnauthorizedError, False),
        (403, "payouts_not_enabled", PayoutsNotEnabledError, False),
        (404, "not_found", NotFoundError, False),
        (409, "idempotency_in_progress", IdempotencyInProgressError, True),
        (422, "validation_error", ValidationRejectedError, False),
        (422, "idempotency_key_reused", IdempotencyKeyReusedError, False),
        (429, "rate_limited", RateLimitedError, True),
        (500, "internal_error", ProviderUnavailableError, True),
        (502, None, ProviderUnavailableError, True),
        (503, "internal_error", ProviderUnavailableError, True),
        # the status decides retryability even when the code is odd
        (409, "validation_error", IdempotencyInProgressError, True),
        (503, "unauthorized", ProviderUnavailableError, True),
        # unknown codes map by status
        (401, None, UnauthorizedError, False),
        (422, "something_new", ValidationRejectedError, False),
        (418, "teapot", RejectedError, False),
    ],
)
def test_mapping(status: int, code: str | None, cls: type[ProviderError], retryable: bool) -> None:
    error = error_for_response(status, code, "Some provider text.", None)
    assert type(error) is cls
    assert error.status == status
    assert error.retryable is retryable
    assert isinstance(error, RejectedError) is (not retryable)
    assert error.user_message
    assert "HTTP" not in error.user_message
    assert str(error) == error.detail
    assert str(status) in error.detail


def test_unauthorized_message_is_actionable() -> None:
    error = error_for_response(401, "unauthorized", "Unknown token.", None)
    assert error.user_message == "The provider did not recognise the API token. Check the token in Settings."


def test_validation_error_names_the_field_and_keeps_the_provider_message() -> None:
    error = error_for_response(422, "validation_error", "amount has more decimals than EUR allows.", "amount")
    assert isinstance(error, ValidationRejectedError)
    assert error.field == "amount"
    assert error.provider_message == "amount has more decimals than EUR allows."
    assert "amount" in error.user_message
    assert "more decimals" in error.user_message
    external = error_for_response(422, "validation_error", None, "externalId")
    assert "external reference" in external.user_message


def test_rate_limited_carries_retry_after() -> None:
    error = error_for_response(429, "rate_limited", "Slow down.", None, retry_after=2.0)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 2.0


def test_unknown_code_on_generic_class_is_kept() -> None:
    error = error_for_response(418, "teapot", None, None)
    assert error.code == "teapot"


def test_outcome_unknown_user_message_promises_no_double_payment() -> None:
    error = OutcomeUnknownError("no answer", last_error=ProviderUnavailableError("timeout"), attempts=5)
    assert "never be paid twice" in error.user_message
    assert error.retryable
    assert error.attempts == 5


def test_protocol_error_is_retryable() -> None:
    assert ProviderProtocolError("bad json").retryable


def test_repr_is_technical() -> None:
    error = error_for_response(404, "not_found", "No payment.", None)
    assert "NotFoundError" in repr(error)
    assert "not_found" in repr(error)
