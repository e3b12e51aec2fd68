"""The journal's public value types: records, events, attempts and history queries. Pure; no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Final, Protocol, cast

__all__ = [
    "EVENT_KINDS",
    "STATUS_SOURCES",
    "AttemptInfo",
    "AttemptLike",
    "DuplicateIdempotencyKeyError",
    "DuplicateReferenceError",
    "HistoryQuery",
    "JournalError",
    "JournalEvent",
    "LeaseLostError",
    "PaymentIdTakenError",
    "PayoutNotFoundError",
    "PayoutRecord",
    "SchemaTooNewError",
    "SortKey",
]

#: Every ``JournalEvent.kind`` the journal writes.
EVENT_KINDS: Final[frozenset[str]] = frozenset(
    {
        "confirmed",
        "attempt_started",
        "attempt",
        "created",
        "status",
        "rejected",
        "outcome_unknown",
        "mismatch",
        "rebound",
        "needs_reconciliation",
        "reconciled",
        "note",
    }
)
#: Where a status change came from (``record_status(source=...)``).
STATUS_SOURCES: Final[frozenset[str]] = frozenset({"create", "poll", "refresh", "webhook", "recover"})


class JournalError(Exception):
    """Base class of the journal's own errors."""


class SchemaTooNewError(JournalError):
    """The database was written by a newer Payout Desk (its schema version is above ours)."""

    def __init__(self, path: str, found: int, supported: int) -> None:
        super().__init__(
            f"The payout journal {path} has schema version {found}, but this version of "
            f"Payout Desk only understands up to version {supported}. It was written by a newer "
            "Payout Desk: update the application. The journal was not changed."
        )
        self.found = found
        self.supported = supported


class DuplicateIdempotencyKeyError(JournalError):
    """A payout with this Idempotency-Key is already journaled (keys are UNIQUE); nothing was written."""

    def __init__(self, key: str) -> None:
        super().__init__(f"A payout with Idempotency-Key {key} is already in the journal")
        self.key = key


class DuplicateReferenceError(JournalError):
    """The reference (``externalId``) is already used by another payout of this connection."""

    def __init__(self, external_id: str, owner: int) -> None:
        super().__init__(f"Reference {external_id!r} is already used by payout {owner} on this connection")
        self.external_id = external_id
        self.owner = owner


class PaymentIdTakenError(JournalError):
    """The provider's payment id already belongs to another journaled payout; nothing was written."""

    def __init__(self, payment_id: str, owner: int) -> None:
        super().__init__(f"Payment {payment_id} already belongs to payout {owner}")
        self.payment_id = payment_id
        self.owner = owner


class LeaseLostError(JournalError):
    """The agent's claim of a payout is no longer its own (another claim came since, or the lease ran out by
    the database's clock); nothing was written. The payout is another agent's to send now."""

    def __init__(self, local_id: int, generation: int | None) -> None:
        if generation is None:
            message = f"Payout {local_id}: this agent no longer holds a claim of it; nothing was written"
        else:
            message = f"Payout {local_id}: claim {generation} is no longer this agent's; nothing was written"
        super().__init__(message)
        self.local_id = local_id
        self.generation = generation


class PayoutNotFoundError(JournalError, LookupError):
    """No payout with this local id."""

    def __init__(self, local_id: int) -> None:
        super().__init__(f"No payout with local id {local_id} in the journal")
        self.local_id = local_id


@dataclass(frozen=True)
class PayoutRecord:
    """One confirmed payout as journaled. Datetimes are timezone-aware UTC.

    ``amount`` is ``Decimal(wire text)``, so it keeps the wire's exact digits (``Decimal("10.00")``).
    ``request_body`` is the exact JSON text sent (``PayoutRequest.body_json()``), byte for byte.
    """

    local_id: int
    created_at: datetime
    updated_at: datetime
    status: str
    amount: Decimal
    currency: str
    description: str | None
    recipient_id: str | None
    recipient_name: str | None
    external_id: str | None
    metadata: Mapping[str, str] | None
    webhook_url: str | None
    payment_id: str | None
    checkin_url: str | None
    idempotency_key: str
    request_body: str
    failure_reason: str | None
    last_error: str | None
    environment: str
    profile: str
    created_by: str
    redirect_url: str | None = None
    #: The provider's own status text, verbatim (at most 64 characters); None before any answer.
    provider_status: str | None = None
    #: ``domain.identity.ConnectionIdentity.key`` of the connection it was confirmed for (None:
    #: confirmed before schema 3; such a payout waits for an audited re-bind).
    connection_id: str | None = None
    #: 1 once any attempt may have reached the provider without a definitive answer; never cleared.
    ambiguous: int = 0
    #: 1 between an ``attempt_started`` and its outcome (a crash in between: ambiguous at the next).
    attempt_open: int = 0
    #: UTC epoch microseconds of the first ``attempt_started`` (the key's retention runs from it).
    first_attempt_at: int | None = None
    #: A provider answer that was refused (``mismatch``), raw.
    answer: str | None = None


@dataclass(frozen=True)
class JournalEvent:
    """One append-only audit event. ``at`` is timezone-aware UTC.

    ``detail`` by kind (every status-changing kind carries ``old`` and ``new``):

    - ``confirmed``: idempotency_key, body_sha256, environment, profile, old (None), new
    - ``attempt``: number, key, body_sha256, status_code, error, duration_ms
    - ``created``: payment_id, checkin_url, old, new, source ("create"), previous_payment_id (only
      when a different id was already stored)
    - ``status``: old, new, source (create/poll/refresh/webhook/recover), failure_reason
    - ``rejected``: code, message, old, new
    - ``outcome_unknown``: message, old, new
    - ``attempt_started``: number, key (None: sent without it, past the retention); committed before the request
    - ``mismatch``: problems (sentences), source (create/poll/refresh), old, new
    - ``rebound``: old_connection, new_connection, reason (an audited re-bind by a person)
    - ``needs_reconciliation``: message, old, new
    - ``reconciled``: decision ("found" with payment_id, or "not_found"), reason, old, new
    - ``note``: free-form (e.g. a failure reason that appeared without a status change)
    """

    event_id: int
    local_id: int
    at: datetime
    kind: str
    actor: str
    detail: Mapping[str, Any]


class AttemptLike(Protocol):
    """What ``record_attempt`` reads; ``provider.client.Attempt`` fits as is."""

    @property
    def number(self) -> int: ...
    @property
    def status_code(self) -> int | None: ...
    @property
    def error(self) -> str | None: ...
    @property
    def duration_ms(self) -> float: ...


@dataclass(frozen=True)
class AttemptInfo:
    """One HTTP attempt to create a payout: its number (1-based), the response status code (None
    when no response arrived), an error code or short text (None on success) and the duration.

    The key and the body hash are not part of it: the journal records the payout's own stored
    key and body, which are the only ones ever sent.
    """

    number: int
    status_code: int | None
    error: str | None
    duration_ms: float


class SortKey(StrEnum):
    """History sort columns; ties are broken by local id in the same direction (stable order)."""

    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    STATUS = "status"
    AMOUNT = "amount"
    CURRENCY = "currency"
    DESCRIPTION = "description"
    RECIPIENT = "recipient"
    EXTERNAL_ID = "external_id"
    PAYMENT_ID = "payment_id"


@dataclass(frozen=True)
class HistoryQuery:
    """A history filter and order.

    - ``statuses``: None for every status; a set keeps only those (an empty set matches nothing).
    - ``text``: whitespace-separated terms; a row matches when every term occurs, case-insensitively,
      as literal text (quotes, ``%``, ``_``, ``*``, ``AND`` … have no special meaning) in its
      description, recipient name or id, external id, payment id or amount text.
    - ``amount``: when the text is an amount as displayed (the UI reads it in its locale), rows whose
      amount is exactly this one match too, and the amount column is no longer searched as text
      ("1250.00" never finds 11250.00).
    - ``created_from`` (inclusive) / ``created_to`` (exclusive): timezone-aware datetimes; naive
      ones raise ValueError here rather than being guessed at.
    - ``sort`` / ``descending``: the order; text sorts (description, recipient, external id) are
      ASCII case-insensitive and put missing values first in ascending order.
    """

    statuses: frozenset[str] | None = None
    text: str = ""
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: SortKey = SortKey.CREATED_AT
    descending: bool = True
    amount: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("created_from", "created_to"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"HistoryQuery.{name} must be timezone-aware (got a naive datetime)")
        statuses: object = self.statuses  # tolerate a set or list from callers: store a frozenset
        if statuses is not None and not isinstance(statuses, frozenset):
            object.__setattr__(self, "statuses", frozenset(cast("Iterable[str]", statuses)))
        sort: object = self.sort  # tolerate the plain string value ("amount")
        if not isinstance(sort, SortKey):
            object.__setattr__(self, "sort", SortKey(str(sort)))
