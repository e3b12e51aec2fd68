"""History queries on PostgreSQL: the filter (status, dates, ``pg_trgm``-indexed text), the sort expressions
(each backed by an index ending in ``local_id``) and keyset conditions; rows to PayoutRecords. Pure SQL
composition, no I/O.

Text sorts are ASCII case-insensitive with missing values first (``lower(… COLLATE "C")`` folds ASCII only,
as SQLite's NOCASE does), so both journals list the same history in the same order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from psycopg import sql

from payout_desk.domain.payout import FrozenMetadata
from payout_desk.journal.export.rows import FIELDS
from payout_desk.journal.history import like_pattern
from payout_desk.journal.migrations import AMOUNT_SCALE
from payout_desk.journal.models import HistoryQuery, PayoutRecord, SortKey

__all__ = ["COLUMNS", "IMMUTABLE_SORTS", "SORTS", "PgQuery", "compile_pg", "record_from_pg"]

#: The PayoutRecord fields, in order, as columns of ``payout_desk.payouts p``.
COLUMNS: Final = sql.SQL(", ").join(sql.SQL("p.{}").format(sql.Identifier(name)) for name in FIELDS)
#: The sort expressions; each matches an index of migration 1 (``payouts_<key>``).
SORTS: Final[dict[SortKey, str]] = {
    SortKey.CREATED_AT: "p.created_at",
    SortKey.UPDATED_AT: "p.updated_at",
    SortKey.STATUS: 'p.status COLLATE "C"',
    SortKey.AMOUNT: "p.amount_scaled",
    SortKey.CURRENCY: 'p.currency COLLATE "C"',
    SortKey.DESCRIPTION: "lower(coalesce(p.description, '') COLLATE \"C\")",
    SortKey.RECIPIENT: "lower(coalesce(p.recipient_name, '') COLLATE \"C\")",
    SortKey.EXTERNAL_ID: "lower(coalesce(p.external_id, '') COLLATE \"C\")",
    SortKey.PAYMENT_ID: "coalesce(p.payment_id, '') COLLATE \"C\"",
}
#: Sort keys a payout never changes: iterating them by keyset can neither skip nor repeat a row.
IMMUTABLE_SORTS: Final = frozenset({SortKey.CREATED_AT, SortKey.AMOUNT, SortKey.CURRENCY})
_I_AMOUNT, _I_METADATA = FIELDS.index("amount"), FIELDS.index("metadata")
#: A term in the search text; and, for a search by amount, in the search text but its last line (the amount).
_TERM: Final = sql.SQL("p.search_text ILIKE %s ESCAPE '\\'")
_TERM_NOT_AMOUNT: Final = sql.SQL(
    "p.search_text ILIKE %s ESCAPE '\\'"
    " AND left(p.search_text, length(p.search_text) - length(p.amount) - 1) ILIKE %s ESCAPE '\\'"
)


@dataclass(frozen=True)
class PgQuery:
    """A compiled HistoryQuery: WHERE clause and parameters, the sort key expression and direction."""

    where: sql.Composable
    params: tuple[object, ...]
    key: sql.Composable
    descending: bool
    empty: bool
    #: The same filter in two parts: without the text terms, and the text terms alone (None without text).
    base: sql.Composable
    base_params: tuple[object, ...]
    text: sql.Composable | None
    text_params: tuple[object, ...]

    @property
    def order(self) -> sql.Composable:
        """``ORDER BY`` body: the key, then local_id, both in the query's direction."""
        direction = sql.SQL("DESC" if self.descending else "ASC")
        return sql.SQL("{} {}, p.local_id {}").format(self.key, direction, direction)

    def after(self, key: object, local_id: int) -> tuple[sql.Composable, tuple[object, ...]]:
        """A keyset condition for the rows following (key, local_id) in this order, and its parameters."""
        op = sql.SQL("<" if self.descending else ">")
        return sql.SQL("({}, p.local_id) {} (%s, %s)").format(self.key, op), (key, local_id)

    def where_and(self, extra: sql.Composable | None = None) -> sql.Composable:
        """The WHERE clause, with ``extra`` ANDed when given."""
        return self.where if extra is None else sql.SQL("({}) AND {}").format(self.where, extra)


def compile_pg(query: HistoryQuery) -> PgQuery:
    """Compile ``query``: every whitespace-separated term must occur literally (ILIKE, escaped) in the
    payout's search text, which the ``payouts_search`` trigram index serves for terms of 3+ characters.

    A search by the amount as displayed (``query.amount``, issue 16) means what it means on the desk's own
    journal (``journal.query``): the payouts of exactly that amount (``amount_scaled``, an exact integer; an
    amount finer than the scale matches none) match beside the text matches, and the text is then not looked
    for in the amount column (the search text's last line), so "1250.00" never finds 11250.00."""
    clauses: list[sql.Composable] = []
    params: list[object] = []
    if query.statuses is not None:
        clauses.append(sql.SQL("p.status = ANY(%s)"))
        params.append(sorted(query.statuses))
    if query.created_from is not None:
        clauses.append(sql.SQL("p.created_at >= %s"))
        params.append(query.created_from)
    if query.created_to is not None:
        clauses.append(sql.SQL("p.created_at < %s"))
        params.append(query.created_to)
    base = sql.SQL(" AND ").join(clauses) if clauses else sql.SQL("true")
    base_params = tuple(params)
    text, text_params = _text(query)
    parts = clauses if text is None else [*clauses, text]
    where = sql.SQL(" AND ").join(parts) if parts else sql.SQL("true")
    empty = query.statuses is not None and not query.statuses
    key = sql.SQL(SORTS[query.sort])
    return PgQuery(where, base_params + text_params, key, query.descending, empty, base, base_params, text, text_params)


def _text(query: HistoryQuery) -> tuple[sql.Composable | None, tuple[object, ...]]:
    """The text terms (and the amount) as one condition over ``p``, and its parameters; None without either."""
    words = query.text.split()
    if query.amount is None:
        if not words:
            return None, ()
        return sql.SQL(" AND ").join([_TERM] * len(words)), tuple(like_pattern(w) for w in words)
    params: list[object] = [p for w in words for p in (like_pattern(w),) * 2]
    scaled = query.amount * AMOUNT_SCALE
    if scaled == scaled.to_integral_value():
        same_amount: sql.Composable = sql.SQL("p.amount_scaled = %s")
        params.append(int(scaled))
    else:
        same_amount = sql.SQL("false")
    if not words:
        return same_amount, tuple(params)
    terms = sql.SQL(" AND ").join([_TERM_NOT_AMOUNT] * len(words))
    return sql.SQL("(({}) OR {})").format(terms, same_amount), tuple(params)


def record_from_pg(row: tuple[Any, ...]) -> PayoutRecord:
    """A PayoutRecord from a row of COLUMNS (timestamps arrive as aware UTC datetimes)."""
    values = list(row)
    values[_I_AMOUNT] = Decimal(values[_I_AMOUNT])
    if values[_I_METADATA] is not None:
        values[_I_METADATA] = FrozenMetadata(json.loads(values[_I_METADATA]))
    return PayoutRecord(*values)
