"""The SQL that turns payout rows into CSV cells: the exact line (``export_line``) and the fast row
(``csv_row``), with the Python helpers they call for rare values (``register_functions``).

Both give, cell for cell, what ``csv.writer`` (excel dialect) writes for the record-based cells
(``services.export.record_row``):

- ``local_id``: the integer's digits;
- ``created_at`` / ``updated_at``: ISO 8601 UTC to the second, ``2026-12-06T02:34:09Z`` (the
  microseconds dropped, never rounded up), from SQLite's date functions on the exact integer
  microseconds; a value outside 1970–9999 is formatted by Python;
- ``amount``: the stored wire text, which is ``format(Decimal(text), "f")`` already unless it has a
  redundant leading zero or a leading / trailing point (then Python formats it);
- ``metadata``: ``""`` for NULL, else the stored JSON re-encoded canonically by Python (``""`` for an
  empty object), as a CSV cell (a journal's payouts often share their metadata: the last few
  thousand texts are remembered);
- ``failure_reason_text``: the failure reason's words and next step (``domain.failures``), by Python,
  only for a payout that has a reason (``""`` otherwise);
- every other column: the stored text (``""`` for NULL), defused and quoted as below.

The column names never change (scripts read them); new columns are added at the end.

Defusing: a text cell (or ``local_id``) whose first character is one of ``defuse`` gets a leading
``'``. Times start with a digit of the year, amounts are digits and ``.`` only and ``environment``
is ``sandbox`` or ``live`` (the schema's CHECKs), so those are neither defused nor quoted; metadata
is ``""`` or a JSON object (``{``), so it is quoted but never needs defusing. Quoting: a cell holding
a comma, ``"``, CR or LF is put in quotes with ``"`` doubled, as ``csv`` does (its ``QUOTE_MINIMAL``);
``instr``, ``replace`` and ``||`` work on byte lengths, so an embedded NUL hides nothing.

``export_line`` computes the whole line (≈ 10 µs a row: four ``instr`` and a ``unicode`` per text
cell). ``csv_row`` leaves the CSV quoting to ``export_render``: it gives the formatted, defused
cells as one ``json_array`` (≈ 4 µs a row), which escapes ``"``, ``\\`` and every control character
(NUL, CR and LF included) with a backslash, so one byte search tells whether any cell needs more
than a comma test.
"""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from payout_desk.domain.failures import failure_words
from payout_desk.journal.query import from_micros

__all__ = [
    "EXPORT_COLUMNS",
    "csv_cell",
    "csv_row",
    "export_line",
    "iso_utc_seconds",
    "register_functions",
]

#: The exported columns, in order (the CSV header).
EXPORT_COLUMNS: Final[tuple[str, ...]] = (
    "local_id",
    "created_at",
    "updated_at",
    "status",
    "amount",
    "currency",
    "description",
    "recipient_id",
    "recipient_name",
    "external_id",
    "metadata",
    "payment_id",
    "failure_reason",
    "last_error",
    "environment",
    "profile",
    "created_by",
    "idempotency_key",
    "checkin_url",
    "failure_reason_text",
)
#: Cells formatted by their own rules (never defused or quoted as text).
_FORMATTED: Final = frozenset({"local_id", "created_at", "updated_at", "amount", "metadata", "environment"})
#: Cells computed from another column (then defused and quoted as text): name → SQL expression.
_FAILURE_FN: Final = "payout_export_failure"
_COMPUTED: Final = {"failure_reason_text": f"{_FAILURE_FN}(p.failure_reason)"}
#: 9999-12-31T23:59:59.999999 UTC (``datetime.max``) in epoch microseconds.
_MAX_MICROS: Final = 253_402_300_799_999_999
_ISO_FN, _AMOUNT_FN, _METADATA_FN = "payout_export_iso", "payout_export_amount", "payout_export_metadata"


def iso_utc_seconds(moment: datetime) -> str:
    """``2026-12-06T02:34:09Z``: ISO 8601, UTC, to the second (the fraction dropped)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _iso(micros: int) -> str:
    return iso_utc_seconds(from_micros(micros))


def _amount(text: str) -> str:
    return format(Decimal(text), "f")


def csv_cell(value: str) -> str:
    """``value`` as ``csv.writer`` (excel dialect, QUOTE_MINIMAL) writes it in a row of several cells."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@functools.lru_cache(maxsize=4096)
def _metadata(text: str) -> str:
    """The metadata cell: the JSON re-encoded as the record-based export does, as a CSV cell."""
    mapping = dict(json.loads(text) or {})  # as FrozenMetadata(json.loads(text)) reads it
    if not mapping:
        return ""
    return csv_cell(json.dumps(mapping, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


def register_functions(conn: sqlite3.Connection) -> None:
    """Define the SQL functions the export SQL calls on ``conn`` (once per connection)."""
    conn.create_function(_ISO_FN, 1, _iso, deterministic=True)
    conn.create_function(_AMOUNT_FN, 1, _amount, deterministic=True)
    conn.create_function(_METADATA_FN, 1, _metadata, deterministic=True)
    conn.create_function(_FAILURE_FN, 1, _failure, deterministic=True)


@functools.lru_cache(maxsize=256)
def _failure(code: str | None) -> str | None:
    return None if code is None else failure_words(code)


def _codes(defuse: Collection[str]) -> list[int]:
    return sorted({ord(c) for c in defuse})  # one character each (TypeError otherwise)


def _time(column: str) -> str:
    """``2026-12-06T02:34:09Z`` of a UTC epoch-microseconds column. ``date`` and ``time`` (whole
    seconds) cost about half a ``strftime`` with a format."""
    seconds = f"{column} / 1000000"
    fast = f"date({seconds}, 'unixepoch') || 'T' || time({seconds}, 'unixepoch') || 'Z'"
    return f"iif({column} BETWEEN 0 AND {_MAX_MICROS}, {fast}, {_ISO_FN}({column}))"


def _amount_cell(column: str) -> str:
    """The amount's cell; digits and points only (CHECK), so comparisons spot the odd forms: a
    leading point (below '0'), a leading zero before a digit ('00' … '0:'), a trailing point, two points."""
    odd = f"{column} < '0' OR ({column} >= '00' AND {column} < '0:') OR {column} GLOB '*.' OR {column} GLOB '*.*.*'"
    return f"iif({odd}, {_AMOUNT_FN}({column}), {column})"


def _metadata_cell(column: str) -> str:
    """A not-NULL metadata column's CSV cell: re-encoded by Python (``_metadata``). Measured: the
    cheapest SQL test that a stored text is already canonical (valid, compact, strings only, keys
    sorted and unique: ``json_valid``, ``json``, ``json_each`` with ``lag``) costs 13 µs a row,
    more than the 9 µs of re-encoding it; and the benchmark's journal has no metadata at all."""
    return f"{_METADATA_FN}({column})"


def _text(column: str, codes: str) -> str:
    """A text column's CSV cell: '' for NULL, defused (``codes``: code points) and quoted."""
    special = " OR ".join(f"instr({column}, {x})" for x in ("','", "'\"'", "char(10)", "char(13)"))
    defused = f"unicode({column}) IN ({codes})"
    quoted = f"""'"' || iif({defused}, '''', '') || replace({column}, '"', '""') || '"'"""
    return f"CASE WHEN {column} IS NULL THEN '' WHEN {special} THEN {quoted} WHEN {defused} THEN '''' || {column} ELSE {column} END"  # noqa: E501


def export_line(defuse: Collection[str]) -> str:
    """The SQL expression of a payout's CSV line (columns of ``payouts p``), without its line end."""
    codes = ", ".join(map(str, _codes(defuse))) or "NULL"
    cells = {
        "local_id": f"iif(unicode(p.local_id) IN ({codes}), '''' || p.local_id, p.local_id)",
        "created_at": _time("p.created_at"),
        "updated_at": _time("p.updated_at"),
        "amount": _amount_cell("p.amount"),
        "metadata": f"iif(p.metadata IS NULL, '', {_metadata_cell('p.metadata')})",
        "environment": "p.environment",
    }
    for name, expression in _COMPUTED.items():
        source = expression[expression.index("(") + 1 : -1]
        cells[name] = f"iif({source} IS NULL, '', {_text(expression, codes)})"
    return " || ',' || ".join(cells.get(name) or _text(f"p.{name}", codes) for name in EXPORT_COLUMNS)


def _literal(code: int) -> str | None:
    """An SQL text literal of one code point (None when it cannot be one)."""
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    if code < 32 or code == 39:
        return f"char({code})"  # a constant: computed once per statement
    return f"'{chr(code)}'"


def _defused(column: str, codes: list[int], plain: str) -> str:
    """``column`` with a leading ``'`` when its first character is in ``codes``, else ``plain``.

    ``column < hi`` (hi: the code point after the highest of ``codes``; a byte comparison of UTF-8,
    which orders as code points do) rules out most cells before ``unicode()`` is called."""
    if not codes:
        return plain
    test = f"unicode({column}) IN ({', '.join(map(str, codes))})"
    hi = _literal(codes[-1] + 1)
    if hi is not None:
        test = f"{column} < {hi} AND {test}"
    return f"iif({test}, '''' || {column}, {plain})"


def csv_row(defuse: Collection[str]) -> str:
    """The SQL expression (text) of a payout's row for ``export_render`` (columns of ``payouts p``):

    the ``json_array`` of the cells, ``["c0","c1",…]``, every cell a JSON string (``''`` for
    NULL, and always ``''`` in the metadata slot), formatted and defused like ``export_line``'s; then,
    when the payout has metadata, a 0x01 character and the metadata's CSV cell (JSON escapes every
    control character, so 0x01, CR and LF appear nowhere else).
    """
    codes = _codes(defuse)
    if any(48 <= c <= 57 for c in codes):  # a digit can start any id
        local_id = _defused("p.local_id", codes, "CAST(p.local_id AS TEXT)")
    elif 45 in codes:  # '-': a negative id
        local_id = "iif(p.local_id < 0, '''' || p.local_id, CAST(p.local_id AS TEXT))"
    else:
        local_id = "CAST(p.local_id AS TEXT)"
    cells = {
        "local_id": local_id,
        "created_at": _time("p.created_at"),
        "updated_at": _time("p.updated_at"),
        "amount": _amount_cell("p.amount"),
        "metadata": "''",
        "environment": "p.environment",
    }
    assert cells.keys() == _FORMATTED
    for name, expression in _COMPUTED.items():
        source = expression[expression.index("(") + 1 : -1]
        cells[name] = f"iif({source} IS NULL, '', {_defused(expression, codes, expression)})"
    values = ", ".join(
        cells.get(name) or _defused(f"p.{name}", codes, f"coalesce(p.{name}, '')") for name in EXPORT_COLUMNS
    )
    array = f"json_array({values})"
    # Both branches spelled out, so a row without metadata is not copied by a concatenation.
    return f"iif(p.metadata IS NULL, {array}, {array} || char(1) || {_metadata_cell('p.metadata')})"
