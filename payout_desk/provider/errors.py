"""Typed errors of the provider's Payouts API: one class per SPEC error, plus the client's own.

Every error carries:

* ``user_message`` — one or two sentences a finance user understands and can act on;
* ``code`` — the provider's snake_case error code (or the client's own, e.g. ``outcome_unknown``);
* ``status`` — the HTTP status code when there was an answer, else ``None``;
* ``field`` — the body field the provider named (validation errors), else ``None``;
* ``detail`` — the technical text for the journal and the log (``str(error)`` is the detail).

Nothing here ever holds the API token: the client builds every detail from status codes, error
codes and the provider's message, and scrubs its own token out of them besides.
"""

from __future__ import annotations

import json
import ssl

__all__ = [
    "DEFINITIVE_ERRORS",
    "IdempotencyInProgressError",
    "IdempotencyKeyReusedError",
    "InsecureBaseUrlError",
    "MalformedRequestError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PayoutsNotEnabledError",
    "ProviderError",
    "ProviderProtocolError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "RejectedError",
    "UnauthorizedError",
    "ValidationRejectedError",
    "error_for_response",
]

# Finance-friendly names for the body fields the provider may name in a validation error.
_FIELD_LABELS = {
    "amount": "amount",
    "currency": "currency",
    "type": "payout type",
    "description": "description",
    "metadata": "metadata",
    "externalId": "external reference",
    "redirectUrl": "return address (redirect URL)",
    "webhookUrl": "webhook address",
    "customer": "recipient",
    "customer.id": "recipient ID",
    "customer.name": "recipient name",
}


class ProviderError(Exception):
    """Any failure talking to the provider. ``str(error)`` is the technical detail."""

    code: str = "provider_error"
    default_user_message = "The provider could not process the request."
    #: True when the SPEC says the same request may be sent again with the same key.
    retryable: bool = False

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        provider_message: str | None = None,
        user_message: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.status = status
        if code is not None:
            self.code = code
        self.field = field
        self.provider_message = provider_message
        #: The provider's ``Retry-After`` in seconds (already capped by the client), if any.
        self.retry_after = retry_after
        self.user_message = user_message or self._build_user_message()

    def _build_user_message(self) -> str:
        return self.default_user_message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
            f"field={self.field!r}, detail={self.detail!r})"
        )


class RejectedError(ProviderError):
    """A definitive refusal (a 4xx other than 409/429): the payout was not created; never resend."""

    code = "rejected"
    default_user_message = "The provider refused the payout."


class MalformedRequestError(RejectedError):
    """400 ``malformed_request``: the body was not a JSON object (a bug on our side)."""

    code = "malformed_request"
    default_user_message = (
        "The provider could not read the request. This is a fault in Payout Desk; please report it to support."
    )


class UnauthorizedError(RejectedError):
    """401 ``unauthorized``: missing, unknown or revoked token."""

    code = "unauthorized"
    default_user_message = "The provider did not recognise the API token. Check the token in Settings."


class PayoutsNotEnabledError(RejectedError):
    """403 ``payouts_not_enabled``: the token lacks the Payout permission."""

    code = "payouts_not_enabled"
    default_user_message = (
        "The API token is valid but is not allowed to send payouts. Create a token with the "
        "“Payout” box ticked in the Merchant Dashboard and enter it in Settings."
    )


class ValidationRejectedError(RejectedError):
    """422 ``validation_error``: a field breaks a rule; ``field`` names it."""

    code = "validation_error"

    def _build_user_message(self) -> str:
        label = _FIELD_LABELS.get(self.field or "", self.field or "")
        reason = (self.provider_message or "").strip()
        if label and reason:
            return f"The provider rejected the {label}: {reason}"
        if label:
            return f"The provider rejected the {label}."
        if reason:
            return f"The provider rejected the payout: {reason}"
        return "The provider rejected the payout details."


class IdempotencyKeyReusedError(RejectedError):
    """422 ``idempotency_key_reused``: the same key came with a different body.

    Impossible by construction (the journaled body is sent byte for byte), so it means a bug or
    a tampered journal; the payout is treated as rejected and logged loudly.
    """

    code = "idempotency_key_reused"
    default_user_message = (
        "The provider refused this payout because its reference was already used for a "
        "different payout. Nothing was sent twice. Please report this to support."
    )


class NotFoundError(RejectedError):
    """404 ``not_found``: no such payment for this token's merchant."""

    code = "not_found"
    default_user_message = (
        "The provider does not know this payout. It may belong to another account or environment (Sandbox/Live)."
    )


class IdempotencyInProgressError(ProviderError):
    """409 ``idempotency_in_progress``: the first request with this key is still running."""

    code = "idempotency_in_progress"
    retryable = True
    default_user_message = "The provider is still processing this payout. It will be checked again."


class RateLimitedError(ProviderError):
    """429 ``rate_limited``; ``retry_after`` is the provider's wait in seconds (capped), if given."""

    code = "rate_limited"
    retryable = True
    default_user_message = "The provider is receiving too many requests. Payout Desk will try again shortly."


class ProviderUnavailableError(ProviderError):
    """5xx, a timeout or a network failure: the provider could not be reached or answered badly."""

    code = "provider_unavailable"
    retryable = True
    default_user_message = (
        "The provider could not be reached or is having problems. Check the network "
        "connection; Payout Desk will try again."
    )


class ProviderProtocolError(ProviderError):
    """The answer could not be understood (malformed JSON, no ``id``/``status``, odd status)."""

    code = "protocol_error"
    retryable = True
    default_user_message = "The provider sent an answer Payout Desk could not understand. It will check again."


class OutcomeUnknownError(ProviderError):
    """A create ran out of retries with no definitive answer: the payout may or may not exist.

    It is sent again later with the same key and body; the replay tells the truth.
    ``last_error`` is the final retryable error.
    """

    code = "outcome_unknown"
    retryable = True
    default_user_message = (
        "No clear answer from the provider yet, so it is not known whether the payout was "
        "created. Payout Desk will check again automatically with the same reference — it "
        "will never be paid twice."
    )

    def __init__(
        self,
        detail: str,
        *,
        last_error: ProviderError | None = None,
        attempts: int = 0,
        status: int | None = None,
    ) -> None:
        super().__init__(detail, status=status)
        self.last_error = last_error
        self.attempts = attempts


class InsecureBaseUrlError(ProviderError, ValueError):
    """The base URL is not HTTPS and not loopback (or is not a usable URL at all)."""

    code = "insecure_base_url"
    default_user_message = (
        "The provider address must start with https:// (plain http is only allowed for a "
        "sandbox on this computer). Check the address in Settings."
    )


#: Errors after which a create must never be resent.
DEFINITIVE_ERRORS: tuple[type[ProviderError], ...] = (RejectedError,)

_BY_CODE: dict[str, type[ProviderError]] = {
    cls.code: cls
    for cls in (
        MalformedRequestError,
        UnauthorizedError,
        PayoutsNotEnabledError,
        ValidationRejectedError,
        IdempotencyKeyReusedError,
        NotFoundError,
        IdempotencyInProgressError,
        RateLimitedError,
    )
}
_BY_STATUS: dict[int, type[ProviderError]] = {
    400: MalformedRequestError,
    401: UnauthorizedError,
    403: PayoutsNotEnabledError,
    404: NotFoundError,
    409: IdempotencyInProgressError,
    422: ValidationRejectedError,
    429: RateLimitedError,
}


def error_for_response(
    status: int,
    code: str | None,
    message: str | None,
    field: str | None,
    *,
    retry_after: float | None = None,
) -> ProviderError:
    """The typed error for an HTTP error answer (status plus the parsed SPEC error object).

    The status decides retryability (the SPEC's rule); the code picks the class within it, so
    a known code on an unexpected status still maps by status first. Unknown codes map by
    status; unknown 4xx are definitive rejections, 5xx are ``ProviderUnavailableError``.
    """
    detail = f"HTTP {status}"
    if code:
        detail += f" {code}"
    if field:
        detail += f" (field {field})"
    if message:
        detail += f": {message}"
    cls: type[ProviderError]
    if status >= 500:
        cls = ProviderUnavailableError
    elif status in (409, 429):
        cls = _BY_STATUS[status]
    elif 400 <= status < 500:
        by_code = _BY_CODE.get(code or "")
        if by_code is not None and issubclass(by_code, RejectedError):
            cls = by_code
        else:
            cls = _BY_STATUS.get(status, RejectedError)
    else:
        cls = ProviderProtocolError
    generic = cls in (RejectedError, ProviderUnavailableError, ProviderProtocolError)
    return cls(
        detail,
        status=status,
        code=code if (code and generic) else None,
        field=field,
        provider_message=message,
        retry_after=retry_after,
    )


def parse_error_body(content: bytes) -> tuple[str | None, str | None, str | None]:
    """``(code, message, field)`` from a SPEC error body; Nones where the body is not one."""
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None, None, None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None, None

    def text(name: str) -> str | None:
        value = error.get(name)
        return value if isinstance(value, str) else None

    return text("code"), text("message"), text("field")


def is_tls_failure(exc: BaseException) -> bool:
    """True when a transport error was caused by TLS (certificate, handshake)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError | ssl.CertificateError):
            return True
        text = str(current)
        if "CERTIFICATE_VERIFY_FAILED" in text or "[SSL" in text:
            return True
        current = current.__cause__ or current.__context__
    return False
