"""What the provider answers, parsed tolerantly, and what the client reports back.

Only ``id`` and ``status`` are required of a payment. Every other field is optional; a field of
an unexpected type reads as ``None`` (numbers are turned into text); unknown fields stay in
``raw``; an unknown status is kept verbatim (the domain treats it as not final).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from payout_desk.provider.errors import ProviderProtocolError

__all__ = [
    "Attempt",
    "ConnectionCheck",
    "ConnectionStatus",
    "CreateResult",
    "Payment",
    "token_kind",
]


def _text(value: object) -> str | None:
    """A JSON value as text: strings as they are, numbers as their JSON text, else None."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


@dataclass(frozen=True)
class Payment:
    """A payment (a payout) as the provider describes it; ``raw`` is the whole JSON object."""

    id: str
    status: str
    url: str | None = None
    amount: str | None = None
    currency: str | None = None
    external_id: str | None = None
    description: str | None = None
    failure_reason: str | None = None
    created_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: object) -> Payment:
        """Parse a decoded JSON value; ProviderProtocolError unless an object with id + status."""
        if not isinstance(data, dict):
            raise ProviderProtocolError(f"expected a JSON object for a payment, got {type(data).__name__}")
        payment_id = data.get("id")
        status = data.get("status")
        if not isinstance(payment_id, str) or not payment_id.strip():
            raise ProviderProtocolError("the payment has no usable 'id'")
        if not isinstance(status, str) or not status.strip():
            raise ProviderProtocolError(f"payment {payment_id} has no usable 'status'")
        return cls(
            id=payment_id,
            status=status.strip(),
            url=_text(data.get("url")),
            amount=_text(data.get("amount")),
            currency=_text(data.get("currency")),
            external_id=_text(data.get("externalId")),
            description=_text(data.get("description")),
            failure_reason=_text(data.get("failureReason")),
            created_at=_text(data.get("createdAt")),
            raw=MappingProxyType(dict(data)),
        )


@dataclass(frozen=True)
class Attempt:
    """One HTTP attempt of a create: for the journal's audit trail (never holds the token).

    ``status_code`` is None when no answer came (timeout, dropped connection); ``error`` is None
    for an answer that settled the payout (created, replayed) and the technical text otherwise.
    """

    number: int
    status_code: int | None
    error: str | None
    duration_ms: float
    idempotency_key: str = ""
    error_code: str | None = None
    #: What went wrong, by kind: an httpx exception name (``ConnectError``, ``ReadTimeout`` …) or a
    #: provider error class (``ProviderProtocolError`` …); None for a clean answer.
    error_kind: str | None = None


@dataclass(frozen=True)
class CreateResult:
    """A created (201) or replayed (200, ``Idempotent-Replayed``) payout."""

    payment: Payment
    replayed: bool
    status_code: int
    attempts: tuple[Attempt, ...] = ()


class ConnectionStatus(StrEnum):
    """The verdict of a connection test."""

    OK = "ok"
    BAD_TOKEN = "bad_token"  # noqa: S105 - a verdict name, not a secret
    NO_PAYOUT_PERMISSION = "no_payout_permission"
    UNREACHABLE = "unreachable"
    TLS_ERROR = "tls_error"
    INSECURE_URL = "insecure_url"
    PROVIDER_ERROR = "provider_error"


@dataclass(frozen=True)
class ConnectionCheck:
    """The result of :meth:`PayoutsClient.check_connection`: a verdict a person can act on.

    ``user_message`` is for the settings dialog; ``detail`` is technical (for the log);
    ``token_kind`` is "test", "live" or None (unrecognised prefix) — the kind is not secret.
    """

    status: ConnectionStatus
    user_message: str
    detail: str = ""
    token_kind: str | None = None
    duration_ms: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the token is valid and may create payouts."""
        return self.status is ConnectionStatus.OK


def token_kind(token: str) -> str | None:
    """The kind of a token: "test" (``tk_test_…``), "live" (``tk_live_…``) or None; never echoes it."""
    if token.startswith("tk_test_"):
        return "test"
    if token.startswith("tk_live_"):
        return "live"
    return None
