"""A HistoryQuery's filters compiled to SQL (status, dates, text), and the journal's time encoding.

Text: the text is split on whitespace; every term must occur as literal text. Terms of three or more
characters go to the FTS5 trigram index as quoted phrases (``"`` doubled, so no FTS syntax survives);
shorter terms, which a trigram index cannot serve, become ``LIKE`` patterns with ``%``, ``_`` and
``\\`` escaped. Both ``history`` (which orders and pages) and ``history_first`` (which finds a text
search's first rows without a count) work from a :class:`CompiledQuery`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from payout_desk.journal.models import HistoryQuery

#: ``amount_scaled`` = amount × AMOUNT_SCALE (as ``schema.AMOUNT_SCALE``; repeated here so the
#: queries need not import the schema).
AMOUNT_SCALE: Final = 10_000

__all__ = [
    "EPOCH",
    "CompiledQuery",
    "compile_query",
    "from_micros",
    "fts_expression",
    "like_pattern",
    "to_micros",
]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO: Final = timedelta(microseconds=1)
#: The columns text search looks in (the FTS5 columns).
TEXT_COLUMNS: Final = ("description", "recipient_name", "recipient_id", "external_id", "payment_id", "amount")
#: Terms shorter than this cannot use the trigram index.
MIN_FTS_TERM: Final = 3


def to_micros(moment: datetime) -> int:
    """UTC epoch microseconds of an aware datetime (exact, no float)."""
    if moment.utcoffset() is None:
        raise ValueError("naive datetime: the journal needs timezone-aware datetimes")
    return (moment - EPOCH) // _MICRO


def from_micros(value: int) -> datetime:
    """The aware UTC datetime of epoch microseconds (exact)."""
    return EPOCH + timedelta(0, 0, value)


def fts_expression(terms: list[str]) -> str:
    """An FTS5 MATCH expression requiring every term as a literal phrase."""
    return " AND ".join('"' + term.replace('"', '""') + '"' for term in terms)


def like_pattern(term: str) -> str:
    """``%term%`` with LIKE's wildcards and the escape character escaped (ESCAPE '\\')."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class CompiledQuery:
    """The filter part of a query: plain filters over ``payouts p`` (status, dates), short-term LIKE
    filters, and the FTS5 expression; each as SQL with its parameters."""

    filters: tuple[str, ...] = ()
    filter_params: tuple[object, ...] = ()
    likes: tuple[str, ...] = ()
    like_params: tuple[object, ...] = ()
    fts: str | None = None
    #: Also matched: payouts of exactly this ``amount_scaled`` (under the same filters).
    amount: int | None = None
    statuses: tuple[str, ...] | None = None
    empty: bool = False
    key: tuple[object, ...] = field(default=())

    @property
    def has_text(self) -> bool:
        """Whether the query searches text."""
        return self.fts is not None or bool(self.likes)


def compile_query(query: HistoryQuery) -> CompiledQuery:
    """Compile the filters of ``query`` (its order is applied by HistoryReader)."""
    filters: list[str] = []
    params: list[object] = []
    statuses = None if query.statuses is None else tuple(sorted(query.statuses))
    if statuses:
        filters.append(f"p.status IN ({', '.join('?' * len(statuses))})")
        params.extend(statuses)
    if query.created_from is not None:
        filters.append("p.created_at >= ?")
        params.append(to_micros(query.created_from))
    if query.created_to is not None:
        filters.append("p.created_at < ?")
        params.append(to_micros(query.created_to))
    terms = query.text.split()
    amount = None if query.amount is None else int(query.amount * AMOUNT_SCALE)
    columns = TEXT_COLUMNS if amount is None else tuple(c for c in TEXT_COLUMNS if c != "amount")
    likes: list[str] = []
    like_params: list[object] = []
    for term in (t for t in terms if len(t) < MIN_FTS_TERM):
        likes.append("(" + " OR ".join(f"p.{c} LIKE ? ESCAPE '\\'" for c in columns) + ")")
        like_params.extend([like_pattern(term)] * len(columns))
    long_terms = [t for t in terms if len(t) >= MIN_FTS_TERM]
    fts = fts_expression(long_terms) if long_terms else None
    if fts is not None and amount is not None:  # the amount is compared exactly, never as a substring
        fts = "{" + " ".join(columns) + "} : (" + fts + ")"
    key = (tuple(filters), tuple(params), tuple(likes), tuple(like_params), fts, amount)
    return CompiledQuery(
        tuple(filters), tuple(params), tuple(likes), tuple(like_params), fts, amount, statuses, statuses == (), key
    )
