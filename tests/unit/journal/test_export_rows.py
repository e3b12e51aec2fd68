"""The journal's SQL-built export lines are byte for byte what ``csv.writer`` writes for the
record-based cells (``services.export.record_row``): every sort, filters, text search, both read
plans, and rows made to be awkward (quotes, commas, CR/LF, NUL, formula starts, odd amounts,
pre-1970 and year-9999 times, negative ids, non-canonical metadata)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks.journal_fill import fill
from payout_desk.journal import HistoryQuery, Journal, SortKey, schema
from payout_desk.journal.export.rows import EXPORT_COLUMNS, csv_cell, export_line
from payout_desk.services.export import CSV_COLUMNS, FORMULA_PREFIXES, record_row
from tests.unit.journal.helpers import ACTOR, confirm, request

EVIL = [
    '=HYPERLINK("http://x","pay")',
    "+1+1",
    "-2,3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "line\nbreak",
    "crlf\r\nend",
    'say "hi", twice',
    "a\x00,=b",
    "Zoë € 中文 🙂",
    "",
    " =lead space",
    "'already quoted",
]
_MAX = 253_402_300_799_999_999
_MIN = -62_135_596_800_000_000  # 0001-01-01T00:00:00 UTC


def insert_raw(journal: Journal, local_id: int, created: int, updated: int, amount: str, **over: object) -> None:
    """A payout row written straight into the table (values the app itself never writes)."""
    values: dict[str, object] = {
        "created_at": created,
        "updated_at": updated,
        "status": "succeeded",
        "amount": amount,
        "amount_scaled": schema.scaled_amount(amount.rstrip(".") or "0"),
        "currency": "EUR",
        "description": "edge",
        "recipient_id": None,
        "recipient_name": None,
        "external_id": None,
        "metadata": None,
        "redirect_url": None,
        "webhook_url": None,
        "request_body": "{}",
        "idempotency_key": f"edge-{local_id}",
        "payment_id": None,
        "checkin_url": None,
        "failure_reason": None,
        "last_error": None,
        "environment": "live",
        "profile": "Main",
        "created_by": ACTOR,
    }
    values.update(over)
    names = ", ".join(["local_id", *schema.PAYOUT_COLUMNS])
    marks = ", ".join("?" * (len(schema.PAYOUT_COLUMNS) + 1))
    with journal.conn:
        journal.conn.execute(
            f"INSERT INTO payouts ({names}) VALUES ({marks})",
            (local_id, *(values[c] for c in schema.PAYOUT_COLUMNS)),
        )


def add_awkward_rows(journal: Journal) -> None:
    """Payouts whose cells exercise every defusing, quoting and formatting branch."""
    for i, text in enumerate(EVIL):
        rec = confirm(
            journal,
            f"evil-{i}",
            request(
                "0.50" if i % 2 else "1234567.89",
                description=text,
                recipient_name=EVIL[-1 - i] or None,
                recipient_id=EVIL[(i + 3) % len(EVIL)],
                external_id=EVIL[(i + 5) % len(EVIL)] or None,
                metadata={"note": text, "=k": 'v,"w"'} if i % 3 == 0 else ({} if i % 3 == 1 else None),
            ),
        )
        journal.record_created(rec.local_id, payment_id=EVIL[(i + 7) % len(EVIL)], checkin_url=None,
                               status=EVIL[(i + 1) % len(EVIL)] or "pending", actor=ACTOR)  # fmt: skip
        journal.record_status(rec.local_id, status="failed", failure_reason=EVIL[(i + 2) % len(EVIL)] or None,
                              source="poll", actor=ACTOR)  # fmt: skip
        journal.record_rejected(rec.local_id, code="x", message=EVIL[(i + 4) % len(EVIL)], actor=ACTOR)
    insert_raw(journal, -7, 0, _MAX, "007.50", description="-neg", metadata="{}")
    insert_raw(journal, 10**9, -1, 86_400_000_000, ".5", metadata='{"b": "2", "a": "=1"}')
    insert_raw(journal, 10**9 + 1, _MIN, _MIN + 1, "5.", metadata='{"\\u00e9":"\\u20ac"}', environment="sandbox")
    insert_raw(journal, 10**9 + 2, 1_700_000_000_000_000, 1_700_000_000_000_001, "0", status="=1", currency="+X",
            profile="@p", created_by="a\x00,b", idempotency_key="=key,1", last_error="\r\n")  # fmt: skip
    insert_raw(journal, 10**9 + 3, 951_782_400_123_456, 951_782_400_000_000, "00.10")  # 2000-02-29
    insert_raw(journal, 10**9 + 4, 1_000, 2_000, "0.0000", metadata='{"x":"1","y":"2,3"}')


def reference_body(journal: Journal, query: HistoryQuery) -> str:
    """The record-based export body (rows only): ``csv.writer`` over ``record_row``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, dialect="excel")
    for record in journal.iter_matching(query, batch=999):
        writer.writerow(record_row(record))
    return buffer.getvalue()


def export_body(journal: Journal, query: HistoryQuery, batch: int) -> str:
    out: list[str] = []
    for lines in journal.iter_export_lines(query, batch, defuse=FORMULA_PREFIXES):
        assert 0 < len(lines) <= batch
        out.extend(line + "\r\n" for line in lines)
    return "".join(out)


QUERIES = [
    *(HistoryQuery(sort=sort, descending=desc) for sort in SortKey for desc in (True, False)),
    HistoryQuery(text="order"),
    HistoryQuery(text="payout inv", sort=SortKey.RECIPIENT, descending=False),
    HistoryQuery(text="a"),
    HistoryQuery(text='"hi"'),
    HistoryQuery(statuses=frozenset({"failed", "rejected"}), sort=SortKey.AMOUNT),
    HistoryQuery(created_from=datetime(2021, 1, 1, tzinfo=UTC), created_to=datetime(2023, 1, 1, tzinfo=UTC)),
    HistoryQuery(statuses=frozenset()),
    HistoryQuery(text="no-such-text-anywhere"),
]


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    path: Path = tmp_path_factory.mktemp("export") / "journal.sqlite3"
    fill(path, 2500, seed=5)
    opened = Journal.open(path)
    add_awkward_rows(opened)
    yield opened
    opened.close()


@pytest.mark.parametrize("plan", ["sorted-once", "index-walk"])
@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_lines_match_the_record_based_rows(journal: Journal, query: HistoryQuery, plan: str) -> None:
    journal._history.small = 0 if plan == "index-walk" else 50_000
    try:
        want = reference_body(journal, query)
        assert export_body(journal, query, batch=97) == want
        assert export_body(journal, query, batch=5000) == want
    finally:
        journal._history.small = 50_000


def test_every_awkward_cell_is_covered(journal: Journal) -> None:
    body = export_body(journal, HistoryQuery(sort=SortKey.CREATED_AT, descending=False), batch=1000)
    # ISO 8601 UTC to the second: the fraction is dropped, never rounded up into the next second
    assert body.startswith("1000000001,0001-01-01T00:00:00Z,0001-01-01T00:00:00Z,")
    assert "\r\n'-7,1970-01-01T00:00:00Z,9999-12-31T23:59:59Z,succeeded,7.50," in body
    assert "1969-12-31T23:59:59Z" in body  # pre-1970: formatted by Python
    assert "2000-02-29T00:00:00Z" in body
    assert "+00:00" not in body
    assert ",0.5," in body
    assert ",5,EUR" in body
    assert ",0.10,EUR" in body
    assert ",0.0000,EUR" in body
    assert '"{""a"":""=1"",""b"":""2""}"' in body  # metadata re-encoded canonically, then quoted
    assert ',"{""é"":""€""}",' in body
    assert ",'=1,0,'+X," in body
    assert '"a\x00,b"' in body
    assert '"\'=key,1"' in body


def test_csv_columns_are_the_export_columns() -> None:
    assert CSV_COLUMNS == EXPORT_COLUMNS


@pytest.mark.parametrize("value", ["", "plain", "a,b", 'q"q', "x\ny", "x\ry", "\x00,", '{"k":"v"}'])
def test_csv_cell_is_csv_writers_cell(value: str) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, dialect="excel").writerow(["x", value])
    assert buffer.getvalue() == f"x,{csv_cell(value)}\r\n"


def test_without_defuse_cells_are_left_alone(journal: Journal) -> None:
    lines = [line for batch in journal.iter_export_lines(HistoryQuery(text="HYPERLINK")) for line in batch]
    assert lines
    assert all('"=HYPERLINK(""http' in line for line in lines)
    with pytest.raises(TypeError):
        export_line(["=="])  # one character each


def test_batch_must_be_positive(journal: Journal) -> None:
    with pytest.raises(ValueError, match="positive"):
        journal.iter_export_lines(HistoryQuery(), batch=0)


def test_a_change_between_batches_shows_its_latest_values(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        ids = [confirm(journal, f"k{i}").local_id for i in range(5)]
        query = HistoryQuery(sort=SortKey.CREATED_AT, descending=False)
        batches = journal.iter_export_lines(query, batch=2, defuse=FORMULA_PREFIXES)
        first = next(batches)
        journal.record_created(ids[3], payment_id="pay_3", checkin_url=None, status="pending", actor=ACTOR)
        journal.record_status(ids[3], status="failed", failure_reason="=x,y", source="poll", actor=ACTOR)
        rest = [line for batch in batches for line in batch]
        assert len(first) == 2
        assert len(rest) == 3
        assert ",failed," in rest[1]
        assert ',pay_3,"\'=x,y",' in rest[1]
