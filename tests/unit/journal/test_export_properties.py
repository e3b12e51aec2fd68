"""Properties of the export's SQL and rendering: for any cell text and any stored metadata (canonical
or not), the streamed export and ``iter_export_lines`` write exactly what ``csv.writer`` writes for
the records."""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from payout_desk.journal import HistoryQuery, Journal, SortKey
from payout_desk.journal.export.render import render_lines
from payout_desk.journal.export.sql import EXPORT_COLUMNS, _metadata_cell, register_functions
from payout_desk.journal.export.stream import export_rows
from payout_desk.journal.history import to_micros
from payout_desk.services.export import FORMULA_PREFIXES
from tests.unit.journal.test_export_rows import insert_raw, reference_body

# Everything that changes a CSV cell or the rendering's routes, often; any character, sometimes.
SPECIAL = [*',"\r\n\\\x00\x01\x02\t=+-@\'[]{}: ', '","', "null", "é", "€", "🙂", "\u2028", "\x7f"]
TEXT = st.lists(st.sampled_from(SPECIAL) | st.characters(codec="utf-8"), max_size=8).map("".join)
CELLS = ("description", "recipient_id", "recipient_name", "external_id", "payment_id", "failure_reason",
         "last_error", "status", "currency", "profile", "created_by")  # fmt: skip
ROW = st.fixed_dictionaries({name: TEXT | st.none() for name in CELLS})
PROPERTIES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
_ids = itertools.count(1)


@pytest.fixture(scope="module")
def journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    with Journal.open(tmp_path_factory.mktemp("props") / "j.sqlite3") as opened:
        yield opened


def _insert(journal: Journal, rows: list[dict[str, str | None]], metadata: list[str | None]) -> HistoryQuery:
    """The rows (each with its own created time, in a fresh day) and the query selecting just them."""
    day = next(_ids) * 86_400_000_000
    for i, (cells, meta) in enumerate(zip(rows, metadata, strict=True)):
        local_id = day // 1000 + i
        over = {k: v for k, v in cells.items() if v is not None or k not in ("status", "currency", "profile")}
        over["created_by"] = over.get("created_by") or "x"
        if over.get("payment_id") is not None:  # a payment id belongs to one payout (unique)
            over["payment_id"] = f"{over['payment_id']}{local_id}"
        insert_raw(journal, local_id, day + i * 1_000_003, day + i * 7, "12.50", metadata=meta,
                   idempotency_key=f"k-{local_id}", **over)  # fmt: skip
    start = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=day)
    assert to_micros(start) == day
    return HistoryQuery(created_from=start, created_to=start + timedelta(days=1), sort=SortKey.CREATED_AT)


async def _stream(journal: Journal, query: HistoryQuery, batch: int) -> bytes:
    parts: list[bytes] = []
    await export_rows(journal.path, query, parts.append, defuse=FORMULA_PREFIXES, batch=batch)
    return b"".join(parts)


@PROPERTIES
@given(rows=st.lists(ROW, min_size=1, max_size=6))
async def test_any_cell_text_is_written_as_csv_writes_it(journal: Journal, rows: list[dict[str, str | None]]) -> None:
    query = _insert(journal, rows, [None] * len(rows))
    want = reference_body(journal, query)
    by_description = HistoryQuery(
        created_from=query.created_from, created_to=query.created_to, sort=SortKey.DESCRIPTION
    )
    assert await _stream(journal, query, batch=2) == want.encode("utf-8")
    assert await _stream(journal, by_description, batch=3) == reference_body(journal, by_description).encode("utf-8")
    lines = [line for batch in journal.iter_export_lines(query, 4, defuse=FORMULA_PREFIXES) for line in batch]
    assert "".join(line + "\r\n" for line in lines) == want


METADATA = st.dictionaries(TEXT, TEXT, max_size=4)


def _variants(mapping: dict[str, str]) -> list[str]:
    """Stored forms of one mapping: canonical, and ways of writing it that are not."""
    canonical = json.dumps(mapping, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return [
        canonical,
        json.dumps(mapping, ensure_ascii=True, sort_keys=True, separators=(",", ":")),
        json.dumps(mapping, ensure_ascii=False, sort_keys=True),
        json.dumps(dict(reversed(mapping.items())), ensure_ascii=False, separators=(",", ":")),
    ]


@PROPERTIES
@given(mappings=st.lists(METADATA, min_size=1, max_size=3))
@example(mappings=[{}, {"a": "1"}, {"b": "2", "a": "1"}])
async def test_any_metadata_is_written_as_csv_writes_it(journal: Journal, mappings: list[dict[str, str]]) -> None:
    stored: list[str | None] = [text for mapping in mappings for text in _variants(mapping)]
    stored += ['{"a":"1","a":"2"}', '{"n":1}', '{"n":1.0}', '{"o":{"p":"q"}}', "null", "[]", '{"a": "1"}', None]
    query = _insert(journal, [{}] * len(stored), stored)
    assert await _stream(journal, query, batch=5) == reference_body(journal, query).encode("utf-8")


def _cell(conn: sqlite3.Connection, text: str) -> str:
    sql = f"WITH m(v) AS (SELECT ?) SELECT {_metadata_cell('m.v')} FROM m"
    return str(conn.execute(sql, (text,)).fetchone()[0])


def test_metadata_that_python_refuses_still_fails() -> None:
    conn = sqlite3.connect(":memory:")
    register_functions(conn)
    with pytest.raises(sqlite3.Error):
        _cell(conn, "not json")


def test_a_row_that_is_just_separators_renders_exactly() -> None:
    """Cells that are a comma, start or end with one, or hold brackets: the second route."""
    more = len(EXPORT_COLUMNS) - 7
    cells = [",", ",a", "b,", "[x]", '","'.replace('"', ""), "", "c"] + ["d"] * more
    row = ("[" + ",".join(json.dumps(c) for c in cells) + "]").encode()
    (line,) = render_lines(row, 1, lambda ids: [])
    assert line == b'",",",a","b,",[x],",",,c,' + b",".join([b"d"] * more)
