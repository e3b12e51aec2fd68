"""The history table's columns and how each cell of a payout reads (no Qt model here).

``COL_*`` column numbers and ``COLUMNS`` (header, server-side ``SortKey``); ``format_local_time``
(UTC → the machine's local time, to the second), ``format_record_amount`` (the full currency format,
e.g. ``"$4,999.99"``, for the details pane), ``record_text`` / ``record_texts`` (the cells: Created to
the minute, Amount as a plain locale number with exactly the ISO 4217 minor-unit digits and no symbol
— ``"4,999.99"``, ``"98,000"``, ``"310.500"`` — since the Currency column sits beside it),
``record_tooltip`` (the full values behind a cell), ``amount_widest`` (the widest amount text) and
``default_column_widths`` (measured from the font). Never a float. Re-exported by :mod:`payout_desk.ui.history.model`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QLocale
from PySide6.QtGui import QFontMetrics

from payout_desk.domain.failures import failure_text
from payout_desk.domain.identity import waiting_note
from payout_desk.domain.money import MAX_AMOUNT, UnknownCurrencyError, currency, format_amount, format_amount_number
from payout_desk.domain.status import shown_status
from payout_desk.journal.models import PayoutRecord, SortKey
from payout_desk.ui.style.status import status_style

if TYPE_CHECKING:
    from payout_desk.services.poll import PollTimes

__all__ = [
    "COLUMNS",
    "COL_AMOUNT",
    "COL_CREATED",
    "COL_CREATED_BY",
    "COL_CURRENCY",
    "COL_DESCRIPTION",
    "COL_PAYMENT_ID",
    "COL_RECIPIENT",
    "COL_REFERENCE",
    "COL_STATUS",
    "COL_UPDATED",
    "amount_widest",
    "default_column_widths",
    "describe_checks",
    "format_local_time",
    "format_record_amount",
    "local_zone_name",
    "record_text",
    "record_texts",
    "record_tooltip",
]

COL_CREATED, COL_STATUS, COL_AMOUNT, COL_CURRENCY, COL_DESCRIPTION = 0, 1, 2, 3, 4
COL_RECIPIENT, COL_REFERENCE, COL_PAYMENT_ID, COL_UPDATED = 5, 6, 7, 8
#: Who confirmed the payout (their database login): shown on a team desk only (the window hides it otherwise).
COL_CREATED_BY = 9
#: (header, sort key) per column, in column order (None: the column does not sort).
COLUMNS: Final[tuple[tuple[str, SortKey | None], ...]] = (
    ("Created", SortKey.CREATED_AT),
    ("Status", SortKey.STATUS),
    ("Amount", SortKey.AMOUNT),
    ("Currency", SortKey.CURRENCY),
    ("Description", SortKey.DESCRIPTION),
    ("Recipient", SortKey.RECIPIENT),
    ("Reference", SortKey.EXTERNAL_ID),
    ("Payment ID", SortKey.PAYMENT_ID),
    ("Last update", SortKey.UPDATED_AT),
    ("Created by", None),
)

#: Sample texts the default column widths are measured from (cell padding and the icon come on top).
_SAMPLES: Final = {
    COL_CREATED: "2026-11-24 22:05",
    COL_STATUS: "Succeeded",
    COL_CURRENCY: "MMM",
    COL_DESCRIPTION: "Marketplace payout week 12 (extra)",
    COL_RECIPIENT: "Katherine Johnson (cus_2093)",
    COL_REFERENCE: "PO-2024-10440",
    COL_PAYMENT_ID: "pay_30c62ebe95f550002ad4504a",
    COL_UPDATED: "2026-11-24 22:05",
    COL_CREATED_BY: "katherine.johnson",
}
#: A team desk's Status column fits this (the approval states).
_TEAM_STATUS_SAMPLE: Final = "Rejected by an approver"
_PADDING: Final = 16
_ICON: Final = 22


def format_local_time(moment: datetime | None, *, seconds: bool = True) -> str:
    """A UTC datetime in the machine's local time zone with the zone's name, ``2026-11-24 21:30:05 CET``
    ("local time" when the zone has no name), or, with ``seconds=False``, ``2026-11-24 21:30`` as the
    table shows it (its header's tooltip names the zone)."""
    if moment is None:
        return ""
    local = moment.astimezone()
    if not seconds:
        return local.strftime("%Y-%m-%d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.tzname() or "local time")


def local_zone_name() -> str:
    """The machine's time zone as the times show it (``CET``), or "local time"."""
    return datetime.now().astimezone().tzname() or "local time"


@lru_cache(maxsize=4096)
def _amount_text(amount: Decimal, code: str, locale: str) -> str:
    try:
        return format_amount(amount, currency(code), locale)
    except (UnknownCurrencyError, ValueError, TypeError):
        return f"{amount:f} {code}".strip()  # exact digits, never a float


@lru_cache(maxsize=4096)
def _amount_number(amount: Decimal, code: str, locale: str) -> str:
    try:
        return format_amount_number(amount, currency(code), locale)
    except (UnknownCurrencyError, ValueError, TypeError):
        return f"{amount:f}"  # exact digits, never a float; the Currency column shows the code


def amount_widest(locale: str) -> str:
    """The widest text the Amount column can hold: the largest allowed amount in a 3-digit currency
    (BHD, KWD, IQD …); the column is sized to fit it, so an amount is never cut."""
    return _amount_number(MAX_AMOUNT, "BHD", locale)


def format_record_amount(record: PayoutRecord, locale: str | None = None) -> str:
    """The record's amount with the currency's ISO 4217 minor-unit digits (JPY 0, BHD 3)."""
    return _amount_text(record.amount, record.currency, locale or QLocale().name())


def default_column_widths(metrics: QFontMetrics, locale: str, *, team: bool = False) -> dict[int, int]:
    """Default widths per column for this font: Created fits "2026-11-24 22:05", Status an icon and
    "Succeeded" (on a team desk "Rejected by an approver": the approval states are not cut; longer labels
    elide, the tooltip has them), Amount the largest allowed amount."""
    widths = {column: metrics.horizontalAdvance(text) + _PADDING for column, text in _SAMPLES.items()}
    if team:
        widths[COL_STATUS] = metrics.horizontalAdvance(_TEAM_STATUS_SAMPLE) + _PADDING
    widths[COL_STATUS] += _ICON
    widths[COL_AMOUNT] = metrics.horizontalAdvance(amount_widest(locale)) + _PADDING
    return widths


def status_text(record: PayoutRecord, active: str | None = None, *, full: bool = False) -> str:
    """The status cell: the provider's own text for an unknown provider status, and "Waiting for
    profile X" for an open payout of another connection than ``active`` (``full``: with its status)."""
    label = status_style(shown_status(record.status, record.provider_status)).label
    note = waiting_note(record.connection_id, record.profile, record.status, active)
    if not note:
        return label
    return f"{label} — {note}" if full else note[0].upper() + note[1:]


def record_text(record: PayoutRecord, column: int, locale: str, active: str | None = None) -> str:
    """The text of one history cell (``active``: the connection the desk is on)."""
    if column == COL_CREATED:
        return format_local_time(record.created_at, seconds=False)
    if column == COL_STATUS:
        return status_text(record, active)
    if column == COL_AMOUNT:
        return _amount_number(record.amount, record.currency, locale)
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
        return format_local_time(record.updated_at, seconds=False)
    if column == COL_CREATED_BY:
        return record.created_by
    return ""


def record_tooltip(record: PayoutRecord, column: int, locale: str, active: str | None = None) -> str | None:
    """The full value behind a cell: the time to the second, the amount with its currency, the
    status with the provider's reason, the whole description."""
    if column == COL_CREATED:
        return format_local_time(record.created_at)
    if column == COL_UPDATED:
        return format_local_time(record.updated_at)
    if column == COL_AMOUNT:
        return _amount_text(record.amount, record.currency, locale)
    if column == COL_STATUS:
        label = status_text(record, active, full=True)
        reason = failure_text(record.failure_reason) or record.last_error
        return f"{label}: {reason}" if reason else label
    if column == COL_DESCRIPTION:
        return record.description or None
    if column in (COL_RECIPIENT, COL_REFERENCE, COL_PAYMENT_ID):
        return record_text(record, column, locale) or None
    return None


def record_texts(record: PayoutRecord, locale: str, active: str | None = None) -> tuple[str, ...]:
    """Every column's text of one row, in column order (the model caches these per row)."""
    return tuple(record_text(record, column, locale, active) for column in range(len(COLUMNS)))


_WHY: Final = {
    "caught": ", every second for two minutes after the checkin",
    "watched": ", at least every 5 s while selected",
}


def _clock_and_distance(moment: datetime, now: datetime) -> str:
    seconds = round((moment - now).total_seconds())
    distance = f"in {seconds} s" if seconds > 0 else "now" if seconds == 0 else f"{-seconds} s ago"
    return f"{moment.astimezone().strftime('%H:%M:%S')} ({distance})"


def describe_checks(times: PollTimes, now: datetime) -> str:
    """When a polled payout was last checked and when it will be next, in plain words."""
    last = "not checked yet" if times.last_checked is None else "last " + _clock_and_distance(times.last_checked, now)
    if times.next_check is None:
        following = "being checked now"
    elif times.next_check <= now:
        following = "next as soon as its turn comes"
    else:
        following = "next " + _clock_and_distance(times.next_check, now)
    return f"{last.capitalize()}; {following}{_WHY.get(times.lane, '')}"
