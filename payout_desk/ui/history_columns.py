"""The history table's columns and how each cell of a payout reads (no Qt model here).

``COL_*`` column numbers and ``COLUMNS`` (header, server-side ``SortKey``); ``format_local_time``
(UTC → the machine's local time), ``format_record_amount`` (ISO 4217 minor-unit digits via the
domain's ``format_amount``: JPY 0, BHD 3 — never a float), ``record_text`` / ``record_texts``.
Re-exported by :mod:`payout_desk.ui.history_model`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Final

from PySide6.QtCore import QLocale

from payout_desk.domain.money import UnknownCurrencyError, currency, format_amount
from payout_desk.journal.models import PayoutRecord, SortKey
from payout_desk.ui.status_style import status_style

__all__ = [
    "COLUMNS",
    "COL_AMOUNT",
    "COL_CREATED",
    "COL_CURRENCY",
    "COL_DESCRIPTION",
    "COL_PAYMENT_ID",
    "COL_RECIPIENT",
    "COL_REFERENCE",
    "COL_STATUS",
    "COL_UPDATED",
    "format_local_time",
    "format_record_amount",
    "record_text",
    "record_texts",
]

COL_CREATED, COL_STATUS, COL_AMOUNT, COL_CURRENCY, COL_DESCRIPTION = 0, 1, 2, 3, 4
COL_RECIPIENT, COL_REFERENCE, COL_PAYMENT_ID, COL_UPDATED = 5, 6, 7, 8
#: (header, sort key) per column, in column order.
COLUMNS: Final[tuple[tuple[str, SortKey], ...]] = (
    ("Created", SortKey.CREATED_AT),
    ("Status", SortKey.STATUS),
    ("Amount", SortKey.AMOUNT),
    ("Currency", SortKey.CURRENCY),
    ("Description", SortKey.DESCRIPTION),
    ("Recipient", SortKey.RECIPIENT),
    ("Reference", SortKey.EXTERNAL_ID),
    ("Payment ID", SortKey.PAYMENT_ID),
    ("Last update", SortKey.UPDATED_AT),
)


def format_local_time(moment: datetime | None) -> str:
    """A UTC datetime in the machine's local time zone, ``2026-11-24 21:30:05``."""
    if moment is None:
        return ""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


@lru_cache(maxsize=4096)
def _amount_text(amount: Decimal, code: str, locale: str) -> str:
    try:
        return format_amount(amount, currency(code), locale)
    except (UnknownCurrencyError, ValueError, TypeError):
        return f"{amount:f} {code}".strip()  # exact digits, never a float


def format_record_amount(record: PayoutRecord, locale: str | None = None) -> str:
    """The record's amount with the currency's ISO 4217 minor-unit digits (JPY 0, BHD 3)."""
    return _amount_text(record.amount, record.currency, locale or QLocale().name())


def record_text(record: PayoutRecord, column: int, locale: str) -> str:
    """The text of one history cell."""
    if column == COL_CREATED:
        return format_local_time(record.created_at)
    if column == COL_STATUS:
        return status_style(record.status).label
    if column == COL_AMOUNT:
        return _amount_text(record.amount, record.currency, locale)
    if column == COL_CURRENCY:
        return record.currency
    if column == COL_DESCRIPTION:
        return (record.description or "").replace("\n", " ")
    if column == COL_RECIPIENT:
        name, rid = record.recipient_name or "", record.recipient_id or ""
        return f"{name} ({rid})" if name and rid else name or rid
    if column == COL_REFERENCE:
        return record.external_id or ""
    if column == COL_PAYMENT_ID:
        return record.payment_id or ""
    if column == COL_UPDATED:
        return format_local_time(record.updated_at)
    return ""


def record_texts(record: PayoutRecord, locale: str) -> tuple[str, ...]:
    """Every column's text of one row, in column order (the model caches these per row)."""
    return tuple(record_text(record, column, locale) for column in range(len(COLUMNS)))
