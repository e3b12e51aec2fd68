"""The benchmark fill: realistic, deterministic data written through the journal's own schema."""

from __future__ import annotations

import json
import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from benchmarks.journal_fill import fill, main
from payout_desk.domain.money import currency
from payout_desk.journal import HistoryQuery, Journal, schema
from tests.unit.journal.helpers import ACTOR, confirm


def test_fill_writes_a_valid_current_journal(tmp_path: Path) -> None:
    path = tmp_path / "bench.sqlite3"
    stats = fill(path, 600, seed=3, parallel=True)  # the FTS index is built by a child and adopted
    assert stats.rows == 600
    assert stats.events >= 3 * 600
    assert not (tmp_path / "bench.sqlite3.fts-scratch").exists()
    with Journal.open(path) as journal:
        assert journal.backup_path is None
        conn = journal.conn
        assert schema.schema_version(conn) == schema.SCHEMA_VERSION
        conn.execute("INSERT INTO payouts_fts (payouts_fts) VALUES ('integrity-check')")  # the adopted index
        assert journal.count(HistoryQuery(text="refund")) == conn.execute(
            "SELECT count(*) FROM payouts WHERE description LIKE '%refund%'"
        ).fetchone()[0]
        by_status = dict(conn.execute("SELECT status, count(*) FROM payouts GROUP BY status").fetchall())
        assert {"succeeded", "failed", "pending", "rejected"} <= set(by_status)
        assert by_status["succeeded"] > 500
        assert dict(conn.execute("SELECT status, n FROM payout_status_counts").fetchall()) == by_status
        rows = conn.execute("SELECT local_id, created_at, amount, amount_scaled, currency, request_body,"
                            " idempotency_key FROM payouts ORDER BY local_id").fetchall()  # fmt: skip
        assert [r[1] for r in rows] == sorted(r[1] for r in rows)
        assert len({r[4] for r in rows}) >= 8
        for _lid, _created, amount, scaled, code, body, key in rows:
            digits = currency(code).minor_units
            assert len(amount.partition(".")[2]) == digits, (amount, code)
            assert scaled == schema.scaled_amount(amount)
            assert Decimal(amount) > 0
            parsed = json.loads(body)
            assert (parsed["amount"], parsed["currency"], parsed["type"]) == (amount, code, "payout")
            assert body == json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert uuid.UUID(key).version == 4
        events = conn.execute("SELECT count(*) FROM events GROUP BY local_id").fetchall()
        assert min(n for (n,) in events) >= 3


def test_fill_is_deterministic_and_refuses_an_existing_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    fill(a, 50, seed=9)
    fill(b, 50, seed=9)
    query = "SELECT request_body, idempotency_key, created_at, status FROM payouts ORDER BY local_id"
    with sqlite3.connect(a) as ca, sqlite3.connect(b) as cb:
        assert ca.execute(query).fetchall() == cb.execute(query).fetchall()
    with pytest.raises(FileExistsError):
        fill(a, 10, seed=1)
    assert main([str(a), "--rows", "10"]) == 1
    assert main([str(a), "--rows", "10", "--force"]) == 0


def test_status_counts_follow_the_flow(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.sqlite3") as journal:
        first = confirm(journal, "a").local_id
        confirm(journal, "b")
        journal.record_created(first, payment_id="pay_a", checkin_url=None, status="pending", actor=ACTOR)
        journal.record_status(first, status="succeeded", failure_reason=None, source="poll", actor=ACTOR)
        counts = dict(journal.conn.execute("SELECT status, n FROM payout_status_counts WHERE n > 0").fetchall())
        assert counts == {"confirmed": 1, "succeeded": 1}
        assert journal.count(HistoryQuery(statuses=frozenset({"succeeded", "confirmed"}))) == 2
        assert journal.count(HistoryQuery(statuses=frozenset({"pending"}))) == 0
