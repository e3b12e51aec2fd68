"""Pure business rules: money (Decimal, ISO 4217 minor units), the payout request and its validation,
statuses. No Qt, no I/O."""

from payout_desk.domain.money import (
    MAX_AMOUNT,
    AmountError,
    Currency,
    UnknownCurrencyError,
    active_currencies,
    amount_to_wire,
    currency,
    format_amount,
    parse_amount,
)
from payout_desk.domain.payout import FieldError, PayoutDraft, PayoutRequest, metadata_size, validate_draft
from payout_desk.domain.status import FINAL_STATUSES, KNOWN_STATUSES, is_final, status_label

__all__ = [
    "FINAL_STATUSES",
    "KNOWN_STATUSES",
    "MAX_AMOUNT",
    "AmountError",
    "Currency",
    "FieldError",
    "PayoutDraft",
    "PayoutRequest",
    "UnknownCurrencyError",
    "active_currencies",
    "amount_to_wire",
    "currency",
    "format_amount",
    "is_final",
    "metadata_size",
    "parse_amount",
    "status_label",
    "validate_draft",
]
