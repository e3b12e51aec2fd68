"""History queries on a few thousand generated payouts: filters, sorts, paging, reversed deep offsets,
text search (FTS and short-term LIKE), literal special characters, unicode, date boundaries. On both
backends: the same rows are copied into PostgreSQL, whose answers must be exactly SQLite's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from benchmarks.journal_fill import fill
from benchmarks.pg_load import copy_payouts
from payout_desk.journal import HistoryQuery, Journal, SortKey
from payout_desk.journal.history import SMALL, from_micros
from payout_desk.journal.postgres import store as pg_store
from payout_desk.journal.postgres.store import PgJournal
from tests.fixtures.postgres import PgServer, create_database, drop_database
from tests.unit.journal.backends import AnyJournal, Backend
from tests.unit.journal.helpers import confirm, request

ROWS = 3000
SPECIAL = [
    'Refund "quoted" order',
    "100% cashback",
    "snake_case_id payout",
    "AND OR NOT NEAR",
    "wildcard* payout",
    "back\\slash",
    "Zoë Ørsted bonus",
    "中文描述 payout",
    "ÉCOLE fee",
    "a",
]


@dataclass(frozen=True)
class Row:
    local_id: int
    created_at: int
    updated_at: int
    status: str
    amount_scaled: int
    currency: str
    description: str | None
    recipient_name: str | None
    recipient_id: str | None
    external_id: str | None
    payment_id: str | None
    amount: str

    @property
    def texts(self) -> list[str]:
        return [
            t
            for t in (
                self.description,
                self.recipient_name,
                self.recipient_id,
                self.external_id,
                self.payment_id,
                self.amount,
            )
            if t is not None
        ]


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Journal, list[Row]]]:
    path = tmp_path_factory.mktemp("history") / "journal.sqlite3"
    stats = fill(path, ROWS, seed=11)
    assert stats.rows == ROWS
    assert stats.events >= 3 * ROWS
    journal = Journal.open(path)
    for i, text in enumerate(SPECIAL):
        confirm(journal, f"special-{i}", request("12.34", description=text, recipient_name=None, external_id=None))
    cols = ", ".join(Row.__dataclass_fields__)
    rows = [Row(*r) for r in journal.conn.execute(f"SELECT {cols} FROM payouts")]
    yield journal, rows
    journal.close()


@pytest.fixture(scope="module")
def filled_pg(
    filled: tuple[Journal, list[Row]], pg_server: PgServer, pg_template: str
) -> Iterator[tuple[PgJournal, list[Row]]]:
    """The same payouts, local ids and times copied into a team database (read as its superuser)."""
    source, rows = filled
    name = create_database(pg_server, pg_template)
    assert copy_payouts(source.conn, pg_server.conninfo(name)) == len(rows)
    conninfo = pg_server.conninfo(name)  # the superuser, past PgJournal.open's person check (F9): reads only
    journal = PgJournal(pg_store.connect(conninfo), conninfo)
    yield journal, rows
    journal.close()
    drop_database(pg_server, name)


@pytest.fixture(params=["sorted-once", "index-walk", "postgres", "postgres-short-walk"])
def db(request: pytest.FixtureRequest, filled: tuple[Journal, list[Row]]) -> Iterator[tuple[AnyJournal, list[Row]]]:
    """Both SQLite plans: small results sorted once and cached, and walking the sort index (reversed
    past the middle), which a million-row journal uses for large results; and PostgreSQL, whose text
    search first walks a few thousand rows in order (here also only 300: found there, or falling back)."""
    if request.param.startswith("postgres"):
        if request.param == "postgres-short-walk":
            request.getfixturevalue("monkeypatch").setattr(pg_store, "_WALK_ROWS", 300)
        yield request.getfixturevalue("filled_pg")
        return
    journal, rows = filled
    journal._history.small = SMALL if request.param == "sorted-once" else 0
    yield journal, rows
    journal._history.small = SMALL


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

SORT_VALUE: dict[SortKey, Callable[[Row], Any]] = {
    SortKey.CREATED_AT: lambda r: r.created_at,
    SortKey.UPDATED_AT: lambda r: r.updated_at,
    SortKey.STATUS: lambda r: r.status,
    SortKey.AMOUNT: lambda r: r.amount_scaled,
    SortKey.CURRENCY: lambda r: r.currency,
    SortKey.DESCRIPTION: lambda r: r.description,
    SortKey.RECIPIENT: lambda r: r.recipient_name,
    SortKey.EXTERNAL_ID: lambda r: r.external_id,
    SortKey.PAYMENT_ID: lambda r: r.payment_id,
}
NOCASE = {SortKey.DESCRIPTION, SortKey.RECIPIENT, SortKey.EXTERNAL_ID}


def text_match(row: Row, text: str) -> bool:
    """The documented semantics: every whitespace-separated term occurs literally, case-insensitively
    (full folding for FTS terms of 3+ characters, ASCII folding for shorter LIKE terms)."""
    for term in text.split():
        if len(term) >= 3:
            if not any(term.lower() in t.lower() for t in row.texts):
                return False
        elif not any(term.translate(_ASCII_LOWER) in t.translate(_ASCII_LOWER) for t in row.texts):
            return False
    return True


def expected(rows: list[Row], q: HistoryQuery) -> list[int]:
    def keep(r: Row) -> bool:
        if q.statuses is not None and r.status not in q.statuses:
            return False
        if q.created_from is not None and from_micros(r.created_at) < q.created_from:
            return False
        if q.created_to is not None and from_micros(r.created_at) >= q.created_to:
            return False
        return text_match(r, q.text)

    def key(r: Row) -> tuple[Any, ...]:
        value = SORT_VALUE[q.sort](r)
        if isinstance(value, str) and q.sort in NOCASE:
            value = value.translate(_ASCII_LOWER)
        return (value is not None, value if value is not None else 0, r.local_id)

    return [r.local_id for r in sorted(filter(keep, rows), key=key, reverse=q.descending)]


def ids(journal: AnyJournal, q: HistoryQuery, offset: int = 0, limit: int = 10**9) -> list[int]:
    return [r.local_id for r in journal.page(q, offset, limit)]


@pytest.mark.parametrize("sort", list(SortKey))
@pytest.mark.parametrize("descending", [True, False])
def test_every_sort_matches_python_order(db: tuple[AnyJournal, list[Row]], sort: SortKey, descending: bool) -> None:
    journal, rows = db
    q = HistoryQuery(sort=sort, descending=descending)
    want = expected(rows, q)
    assert journal.count(q) == len(want) == ROWS + len(SPECIAL)
    assert ids(journal, q) == want
    # deep offsets (read through the reversed order past the middle) agree with the forward order
    for offset in (0, 37, 1999, 2001, 2500, len(want) - 100, len(want) - 3, len(want) - 1):
        assert ids(journal, q, offset, 50) == want[offset : offset + 50], offset
    assert ids(journal, q, len(want), 50) == []
    assert ids(journal, q, len(want) + 10, 50) == []
    assert [r.local_id for r in journal.iter_matching(q, batch=97)] == want  # keyset or id batches


@pytest.mark.parametrize("sort", [SortKey.CREATED_AT, SortKey.STATUS, SortKey.UPDATED_AT])
def test_iterating_while_writing_yields_each_row_once(backend: Backend, sort: SortKey) -> None:
    journal = backend.open()
    for i in range(30):
        confirm(journal, f"k{i}")
    seen = []
    for record in journal.iter_matching(HistoryQuery(sort=sort), batch=4):
        seen.append(record.local_id)
        if len(seen) == 5:  # between batches: statuses change, a payout is added
            for lid in range(1, 31, 3):
                journal.record_outcome_unknown(lid, message="timeout", actor="t")
            confirm(journal, "late")
    assert len(seen) == len(set(seen))
    assert set(range(1, 31)) <= set(seen)


@pytest.mark.parametrize(
    "q",
    [
        HistoryQuery(statuses=frozenset({"failed"})),
        HistoryQuery(statuses=frozenset({"pending", "rejected"}), sort=SortKey.AMOUNT),
        HistoryQuery(statuses=frozenset({"succeeded"}), sort=SortKey.RECIPIENT, descending=False),
        HistoryQuery(text="refund", sort=SortKey.CREATED_AT),
        HistoryQuery(text="order 4", sort=SortKey.AMOUNT, descending=False),
        HistoryQuery(text="Müller", statuses=frozenset({"succeeded", "failed"})),
        HistoryQuery(
            created_from=datetime(2021, 1, 1, tzinfo=UTC),
            created_to=datetime(2023, 6, 1, tzinfo=UTC),
            sort=SortKey.UPDATED_AT,
        ),
    ],
)
def test_filters_count_page_and_reverse(db: tuple[AnyJournal, list[Row]], q: HistoryQuery) -> None:
    journal, rows = db
    want = expected(rows, q)
    assert len(want) > 0
    assert journal.count(q) == len(want)
    assert ids(journal, q) == want
    for offset in {0, len(want) // 2, len(want) // 2 + 1, max(len(want) - 20, 0), 2100, 2600}:
        assert ids(journal, q, offset, 40) == want[offset : offset + 40], offset
    assert [r.local_id for r in journal.iter_matching(q, batch=7)] == want


def test_empty_status_set_matches_nothing(db: tuple[AnyJournal, list[Row]]) -> None:
    journal, _ = db
    q = HistoryQuery(statuses=frozenset())
    assert journal.count(q) == 0
    assert journal.page(q, 0, 10) == []
    assert list(journal.iter_matching(q)) == []


@pytest.mark.parametrize(
    "text",
    [
        "Refund",
        "rEfUnD",
        "müller",
        "MÜLLER",
        "ørsted",
        "ZOË",
        "中文描述",
        "文描",
        "école",
        "ord",
        "#4",
        "4",
        '"quoted"',
        '"',
        "'",
        "100%",
        "%",
        "_",
        "e_c",
        "case_id",
        "AND",
        "OR",
        "NOT NEAR",
        "NEAR(",
        "wildcard*",
        "*",
        "back\\slash",
        "\\",
        "12.34",
        "pay_",
        "cus_00",
        "O'Brien",
        "d'angelo",
        "x" * 40,
        "  refund   order  ",
    ],
)
def test_text_search_is_literal(db: tuple[AnyJournal, list[Row]], text: str) -> None:
    journal, rows = db
    q = HistoryQuery(text=text)
    want = expected(rows, q)
    assert journal.count(q) == len(want)
    assert ids(journal, q) == want


def test_text_search_finds_special_rows(db: tuple[AnyJournal, list[Row]]) -> None:
    journal, _ = db
    for text, description in [
        ('"quoted"', 'Refund "quoted" order'),
        ("100%", "100% cashback"),
        ("snake_case", "snake_case_id payout"),
        ("AND OR NOT", "AND OR NOT NEAR"),
        ("wildcard*", "wildcard* payout"),
        ("ZOË øRSTED BONUS", "Zoë Ørsted bonus"),
        ("中文", "中文描述 payout"),
        ("\\", "back\\slash"),
    ]:
        assert [r.description for r in journal.page(HistoryQuery(text=text), 0, 5)] == [description], text
    assert journal.count(HistoryQuery(text="%%")) == 0
    assert journal.count(HistoryQuery(text="wildcard payout")) == 1  # terms, not a phrase


def test_date_range_boundaries(db: tuple[AnyJournal, list[Row]]) -> None:
    journal, rows = db
    pivot = sorted(rows, key=lambda r: r.created_at)[1000]
    at = from_micros(pivot.created_at)
    just_after = at + timedelta(microseconds=1)
    assert pivot.local_id in ids(journal, HistoryQuery(created_from=at, created_to=just_after))
    assert pivot.local_id not in ids(journal, HistoryQuery(created_to=at))  # the end is exclusive
    assert pivot.local_id in ids(journal, HistoryQuery(created_from=at))  # the start is inclusive
    assert pivot.local_id not in ids(journal, HistoryQuery(created_from=just_after))
    other_zone = at.astimezone(__import__("datetime").timezone(timedelta(hours=-5)))
    assert pivot.local_id in ids(journal, HistoryQuery(created_from=other_zone, created_to=just_after))
    assert journal.count(HistoryQuery(created_from=at, created_to=at)) == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        HistoryQuery(created_from=datetime(2024, 1, 1))


def test_count_follows_new_payouts(backend: Backend) -> None:
    journal = backend.open()
    q = HistoryQuery(text="refund")
    assert journal.count(q) == 0
    confirm(journal, "k1")
    assert journal.count(q) == 1
    assert journal.count(HistoryQuery(statuses=frozenset({"confirmed"}))) == 1
    journal.record_created(1, payment_id="pay_xyz123", checkin_url=None, status="pending", actor="t")
    assert journal.count(HistoryQuery(text="xyz123")) == 1  # the FTS index follows payment ids
    assert journal.count(HistoryQuery(statuses=frozenset({"confirmed"}))) == 0


def test_paging_arguments(db: tuple[AnyJournal, list[Row]]) -> None:
    journal, _ = db
    assert journal.page(HistoryQuery(), 0, 0) == []
    with pytest.raises(ValueError):
        journal.page(HistoryQuery(), -1, 10)
    with pytest.raises(ValueError):
        list(journal.iter_matching(HistoryQuery(), batch=0))


def test_scrolling_page_after_page_reads_what_one_read_does(db: tuple[AnyJournal, list[Row]]) -> None:
    """The next page after the one just read continues from its last row (PostgreSQL: by keyset)."""
    journal, rows = db
    for q in (HistoryQuery(), HistoryQuery(sort=SortKey.DESCRIPTION, descending=False), HistoryQuery(text="refund")):
        want = expected(rows, q)
        scrolled: list[int] = []
        while page := ids(journal, q, len(scrolled), 250):
            scrolled.extend(page)
        assert scrolled == want, q


def test_a_change_between_pages_is_seen_by_the_next_page(backend: Backend) -> None:
    journal = backend.open()
    for i in range(6):
        confirm(journal, f"k{i}")
    q = HistoryQuery(sort=SortKey.STATUS, descending=False)
    first = ids(journal, q, 0, 3)
    journal.record_rejected(first[0], code="x", message="no", actor="t")  # moves to the end of this order
    assert ids(journal, q, 3, 3) == [r.local_id for r in journal.page(q, 0, 10)][3:6]
