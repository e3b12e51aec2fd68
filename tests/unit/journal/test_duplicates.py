"""The journal finds near-duplicates through one index range (``payouts_duplicates``), not a scan,
and records a warning shown and overridden in the same commit as the confirmed payout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from payout_desk.domain.duplicates import PayoutProbe
from payout_desk.journal import Journal
from payout_desk.journal.duplicates import CANDIDATES_SQL, DUPLICATE_INDEX
from payout_desk.journal.query import to_micros
from tests.unit.journal.helpers import ACTOR, CONNECTION, confirm, request


class SteppedClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> SteppedClock:
    return SteppedClock()


@pytest.fixture
def journal(tmp_path: Path, clock: SteppedClock) -> Journal:
    j = Journal.open(tmp_path / "journal.sqlite3", clock=clock)
    yield j  # type: ignore[misc]
    j.close()


def probe_of(amount: str, at: datetime, **kw: str | None) -> PayoutProbe:
    req = request(amount, **kw)  # type: ignore[arg-type]
    return PayoutProbe(req.amount, req.currency.code, req.recipient_id, req.recipient_name, req.description, at)


def test_finds_near_duplicates_in_the_journal(journal: Journal, clock: SteppedClock) -> None:
    old = confirm(journal, "k-old", recipient_id=None)  # 10.00 EUR to Anna Müller
    clock.now += timedelta(days=100)
    recent = confirm(journal, "k-1", recipient_id=None)
    confirm(journal, "k-usd", request("10.00", "USD", recipient_id=None, external_id="ORD-usd"))
    confirm(journal, "k-far", request("10.06", recipient_id=None, external_id="ORD-far"))  # 0.6 % more
    clock.now += timedelta(minutes=11)
    found = journal.near_duplicates(probe_of("10.00", clock.now, recipient_name="anna  MÜLLER", recipient_id=None))
    assert [(m.past.local_id, m.reason) for m in found] == [(recent.local_id, "recipient")]
    assert old.local_id not in [m.past.local_id for m in found]  # 100 days ago
    assert found[0].past.created_by == ACTOR
    assert found[0].past.amount == Decimal("10.00")


def test_the_lookup_is_an_index_range_not_a_scan(journal: Journal) -> None:
    plan = " ".join(
        str(row[-1]) for row in journal.conn.execute("EXPLAIN QUERY PLAN " + CANDIDATES_SQL, ("EUR", 1, 2, 0, 1))
    )
    assert f"USING INDEX {DUPLICATE_INDEX}" in plan or f"USING COVERING INDEX {DUPLICATE_INDEX}" in plan
    assert "SCAN payouts" not in plan


def test_payouts_never_sent_are_not_even_candidates(journal: Journal, clock: SteppedClock) -> None:
    refused = confirm(journal, "k-refused", recipient_id=None)
    journal.record_rejected(refused.local_id, code="validation_error", message="no", actor=ACTOR)
    sent = confirm(journal, "k-sent", request(recipient_id=None, external_id="ORD-2"))
    clock.now += timedelta(minutes=11)
    window = (to_micros(clock.now - timedelta(days=90)), to_micros(clock.now))
    rows = journal.conn.execute(CANDIDATES_SQL, ("EUR", 0, 10**9, *window)).fetchall()
    assert [row[0] for row in rows] == [sent.local_id]  # the refused one takes no place among the newest
    found = journal.near_duplicates(probe_of("10.00", clock.now, recipient_name="Anna Müller", recipient_id=None))
    assert [m.past.local_id for m in found] == [sent.local_id]


def test_a_warning_overridden_is_recorded_with_the_confirmed_payout(journal: Journal) -> None:
    first = confirm(journal, "k-1")
    second = journal.record_confirmed(
        request(external_id="ORD-2"), idempotency_key="k-2", environment="sandbox", profile="Sandbox", actor="jdoe",
        connection_id=CONNECTION, duplicates_shown=[first.local_id],
    )  # fmt: skip
    kinds = [(e.kind, e.actor, dict(e.detail)) for e in journal.events(second.local_id)]
    assert kinds[0][0] == "confirmed"
    assert kinds[1] == ("duplicate_warning", "jdoe", {"shown": [first.local_id], "overridden": True})
    assert [e.kind for e in journal.events(first.local_id)] == ["confirmed"]  # no warning: none shown
