"""The first rows of a text search in created order, read before any count (journal/history_first.py):
always exactly the rows and order of the full query — also when created_at does not follow the local
id (clock steps back, equal times) — and the counted plan whenever the proof is not tried."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from benchmarks.journal_fill import fill
from payout_desk.journal import HistoryQuery, Journal, SortKey, history_first
from payout_desk.journal import history as history_module
from payout_desk.journal.history import HistoryReader, compile_query
from tests.unit.journal.helpers import confirm, request
from tests.unit.journal.test_history import Row, expected

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def rows_of(journal: Journal) -> list[Row]:
    cols = ", ".join(Row.__dataclass_fields__)
    return [Row(*r) for r in journal.conn.execute(f"SELECT {cols} FROM payouts")]


def fresh_page(journal: Journal, q: HistoryQuery, offset: int, limit: int) -> list[int]:
    """A page read with empty caches (no count known): what the model's first request gets."""
    journal._history = HistoryReader(journal.conn)
    return [r.local_id for r in journal.page(q, offset, limit)]


def first(journal: Journal, q: HistoryQuery, need: int) -> tuple[list[int], bool] | None:
    return history_first.first_ids(journal.conn, compile_query(q), q.descending, need)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Journal, list[Row]]]:
    """3,000 generated payouts (created_at grows with the local id), as the benchmark's journal."""
    path = tmp_path_factory.mktemp("first") / "journal.sqlite3"
    fill(path, 3000, seed=5)
    journal = Journal.open(path)
    yield journal, rows_of(journal)
    journal.close()


class SetClock:
    """A clock the test sets: every write until the next ``at`` gets this time."""

    def __init__(self) -> None:
        self.now = T0

    def at(self, moment: datetime) -> None:
        self.now = moment

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def disordered(tmp_path: Path) -> Iterator[tuple[Journal, list[Row]]]:
    """created_at out of local-id order on purpose: the oldest ids carry the newest times, the newest
    ids the oldest times, 40 payouts share one time, and non-matching payouts sit in between."""
    clock = SetClock()
    journal = Journal.open(tmp_path / "j.sqlite3", clock=clock)

    def add(key: str, moment: datetime, text: str) -> None:
        clock.at(moment)
        confirm(journal, key, request(description=text, recipient_name=None, external_id=None))

    for i in range(5):  # ids 1-5: the newest times of all (a clock that was ahead, then fixed)
        add(f"ahead-{i}", T0 + timedelta(days=400 + i), "alpha refund ahead")
    for i in range(400):  # ids 6-...: the bulk, time growing with the id, every 4th not matching
        add(f"bulk-{i}", T0 + timedelta(minutes=i), "beta other" if i % 4 == 3 else "alpha refund")
        if i == 200:
            for j in range(40):  # one burst of equal times in the middle
                add(f"same-{j}", T0 + timedelta(minutes=i), "alpha refund same")
    for i in range(3):  # the newest ids: the oldest times (a clock that stepped back)
        add(f"behind-{i}", T0 - timedelta(days=30 + i), "alpha refund behind")
    yield journal, rows_of(journal)
    journal.close()


GENERATED_QUERIES = [
    HistoryQuery(text="refund"),
    HistoryQuery(text="Refund order"),
    HistoryQuery(text="ORD-1"),
    HistoryQuery(text="müller"),
    HistoryQuery(text="order 4"),  # with a short (LIKE) term
    HistoryQuery(text="refund", statuses=frozenset({"failed", "rejected"})),
    HistoryQuery(
        text="EUR", created_from=datetime(2021, 1, 1, tzinfo=UTC), created_to=datetime(2022, 1, 1, tzinfo=UTC)
    ),
    HistoryQuery(text="cus_00"),
    HistoryQuery(text="no such text anywhere"),
]


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("q", GENERATED_QUERIES, ids=lambda q: q.text)
def test_first_pages_are_those_of_the_full_order(
    generated: tuple[Journal, list[Row]], q: HistoryQuery, descending: bool
) -> None:
    journal, rows = generated
    q = HistoryQuery(
        text=q.text, statuses=q.statuses, created_from=q.created_from, created_to=q.created_to, descending=descending
    )
    want = expected(rows, q)
    for offset, limit in [(0, 1), (0, 50), (0, 200), (37, 100), (900, 100)]:
        assert fresh_page(journal, q, offset, limit) == want[offset : offset + limit], (offset, limit)
    assert journal.count(q) == len(want)


def test_the_proof_is_used_for_a_broad_search(generated: tuple[Journal, list[Row]]) -> None:
    journal, rows = generated
    for descending in (True, False):
        q = HistoryQuery(text="refund", descending=descending)
        want = expected(rows, q)
        assert len(want) > 250
        assert first(journal, q, 200) == (want[:200], False)


def test_counter_examples_are_read_and_the_result_stays_exact(
    disordered: tuple[Journal, list[Row]], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, rows = disordered
    found: list[int | None] = []
    original = history_first._counter_example

    def spy(*args: Any) -> int | None:
        found.append(original(*args))
        return found[-1]

    monkeypatch.setattr(history_first, "_counter_example", spy)
    for descending in (True, False):
        for text in ("alpha", "refund alpha", "alpha same"):
            q = HistoryQuery(text=text, descending=descending)
            want = expected(rows, q)
            for need in (1, 3, 50, 120, 200, 300):
                result = first(journal, q, need)
                assert result is not None, (text, descending, need)
                assert result[0][:need] == want[:need], (text, descending, need)
                assert fresh_page(journal, q, 0, need) == want[:need]
    assert any(example is not None for example in found)  # the out-of-order ids were found and read


def test_the_newest_payouts_first_even_with_a_clock_that_stepped_back(disordered: tuple[Journal, list[Row]]) -> None:
    journal, rows = disordered
    newest = [r.local_id for r in sorted(rows, key=lambda r: (r.created_at, r.local_id), reverse=True)[:5]]
    assert newest == [5, 4, 3, 2, 1]
    assert fresh_page(journal, HistoryQuery(text="alpha"), 0, 5) == newest
    oldest = fresh_page(journal, HistoryQuery(text="alpha", descending=False), 0, 3)
    assert oldest == [r.local_id for r in sorted(rows, key=lambda r: (r.created_at, r.local_id))[:3]]
    assert len(rows) - 2 in oldest  # the newest ids, written when the clock was behind


def test_beyond_its_limits_the_counted_plan_answers(
    disordered: tuple[Journal, list[Row]], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, rows = disordered
    q = HistoryQuery(text="alpha")
    want = expected(rows, q)
    monkeypatch.setattr(history_first, "READ_MAX", 150)
    assert first(journal, q, 200) is None  # too many reads
    monkeypatch.setattr(history_first, "READ_MAX", 5000)
    monkeypatch.setattr(history_first, "CHECK_SPAN", 10)
    assert first(journal, q, 200) is None  # too many payouts to look through for the proof
    monkeypatch.setattr(history_first, "CHECK_SPAN", 300_000)
    monkeypatch.setattr(history_first, "ROUNDS", 0)
    assert first(journal, q, 200) is None  # counter-examples not followed

    calls: list[int] = []
    original = history_module.first_ids

    def counting(*args: Any) -> Any:
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(history_module, "first_ids", counting)
    journal._history = HistoryReader(journal.conn)
    version = journal._version()
    assert journal._history.ids(q, 0, 200, version) == want[:200]
    assert journal._history.ids(q, 200, 100, version) == want[200:300]
    assert calls == [1]  # not tried again for this query until the journal changes


def test_a_short_result_is_read_whole_and_counted(
    generated: tuple[Journal, list[Row]], monkeypatch: pytest.MonkeyPatch
) -> None:
    journal, rows = generated
    q = HistoryQuery(text="cus_0012")
    want = expected(rows, q)
    assert 0 < len(want) < 200
    assert first(journal, q, 200) == (want, True)
    assert fresh_page(journal, q, 0, 200) == want

    def no_counting(*_args: Any) -> int:
        raise AssertionError("counted again")

    monkeypatch.setattr(HistoryReader, "_hits", no_counting)
    assert journal.count(q) == len(want)  # known from the read


def test_where_it_does_not_apply(generated: tuple[Journal, list[Row]], monkeypatch: pytest.MonkeyPatch) -> None:
    journal, rows = generated
    pending = sum(r.status == "pending" for r in rows)
    assert 0 < pending * 20 < len(rows)  # rare: 200 of them need more than READ_MAX reads
    monkeypatch.setattr(history_first, "READ_MAX", 200 * 10)
    assert first(journal, HistoryQuery(text="refund", statuses=frozenset({"pending"})), 200) is None
    assert first(journal, HistoryQuery(text="ab"), 10) is None  # no FTS term
    assert first(journal, HistoryQuery(text="refund", statuses=frozenset()), 10) is None
    assert first(journal, HistoryQuery(text="refund"), history_first.FIRST_MAX + 1) is None

    calls: list[int] = []
    monkeypatch.setattr(history_module, "first_ids", lambda *a: calls.append(1))
    for q, offset, limit in [
        (HistoryQuery(text="refund", sort=SortKey.AMOUNT), 0, 50),  # another order
        (HistoryQuery(text="refund"), 990, 20),  # past FIRST_MAX
        (HistoryQuery(text="refund"), 0, -1),  # everything (exports)
    ]:
        want = expected(rows, q)
        end = None if limit < 0 else offset + limit
        assert journal._history.ids(q, offset, limit, ("fresh", offset, limit)) == want[offset:end]
    assert calls == []


def test_a_new_payout_is_on_the_next_first_page(tmp_path: Path) -> None:
    clock = SetClock()
    with Journal.open(tmp_path / "j.sqlite3", clock=clock) as journal:
        for i in range(300):
            clock.at(T0 + timedelta(minutes=i))
            confirm(journal, f"k{i}")
        q = HistoryQuery(text="refund")
        assert [r.local_id for r in journal.page(q, 0, 3)] == [300, 299, 298]
        clock.at(T0 + timedelta(days=1))
        new = confirm(journal, "new")
        assert [r.local_id for r in journal.page(q, 0, 3)] == [new.local_id, 300, 299]
        assert journal.count(q) == 301


def _times(rows: list[Row]) -> Callable[[int], int]:
    by_id = {r.local_id: r.created_at for r in rows}
    return by_id.__getitem__


def test_disordered_fixture_is_really_out_of_order(disordered: tuple[Journal, list[Row]]) -> None:
    _, rows = disordered
    created = _times(rows)
    ids = sorted(created(r.local_id) for r in rows)
    assert [created(i) for i in range(1, len(rows) + 1)] != ids
    assert len({r.created_at for r in rows}) < len(rows)  # equal times too
