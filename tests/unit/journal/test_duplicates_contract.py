"""Near duplicates (issue 16) and the connections waiting for their profile (issue 11) on both backends
(the window and the index range on SQLite alone: tests/unit/journal/test_duplicates.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from payout_desk.domain.duplicates import PayoutProbe
from tests.unit.journal.backends import AnyJournal, Backend
from tests.unit.journal.helpers import ACTOR, CONNECTION, confirm, request

OTHER = "live|https://api.example.com|token:abc|Live"


@pytest.fixture
def journal(backend: Backend) -> AnyJournal:
    return backend.open()


def probe_of(amount: str, journal: AnyJournal, local_id: int, days: int = 0, **kw: str | None) -> PayoutProbe:
    req = request(amount, **kw)  # type: ignore[arg-type]
    at = journal.get(local_id).created_at + timedelta(days=days, minutes=11)
    return PayoutProbe(req.amount, req.currency.code, req.recipient_id, req.recipient_name, req.description, at)


def test_finds_near_duplicates_newest_first(journal: AnyJournal, backend: Backend) -> None:
    older = confirm(journal, "k-0", recipient_id=None, description="Invoice 1")
    recent = confirm(journal, "k-1", recipient_id=None, description="Invoice 2")
    confirm(journal, "k-usd", request("10.00", "USD", recipient_id=None, external_id="ORD-usd"))
    confirm(journal, "k-far", request("10.06", recipient_id=None, external_id="ORD-far"))  # 0.6 % more
    found = journal.near_duplicates(probe_of("10.00", journal, recent.local_id, recipient_name="anna  MÜLLER"))
    expected = [(recent.local_id, "recipient"), (older.local_id, "recipient")]
    assert [(m.past.local_id, m.reason) for m in found] == expected
    assert found[0].past.created_by == backend.recorded(ACTOR)
    assert found[0].past.amount == Decimal("10.00")
    later = probe_of("10.00", journal, recent.local_id, days=91, recipient_name="Anna Müller")
    assert journal.near_duplicates(later) == []  # past the 90-day window


def test_other_connections_open_payouts_wait_for_their_profile(journal: AnyJournal) -> None:
    confirm(journal, "k-mine")
    theirs = [
        journal.record_confirmed(
            request(external_id=f"L-{i}"),
            idempotency_key=f"k-l{i}",
            environment="live",
            profile="Live",
            actor=ACTOR,
            connection_id=OTHER,
        )
        for i in range(2)
    ]
    journal.record_rejected(theirs[1].local_id, code="validation_error", message="no", actor=ACTOR)  # not open
    assert [(w.connection_id, w.profile, w.count) for w in journal.waiting(CONNECTION)] == [(OTHER, "Live", 1)]
    assert [(w.connection_id, w.count) for w in journal.waiting(OTHER)] == [(CONNECTION, 1)]


def test_a_warning_overridden_is_recorded_with_the_confirmed_payout(journal: AnyJournal, backend: Backend) -> None:
    first = confirm(journal, "k-1")
    second = journal.record_confirmed(
        request(external_id="ORD-2"), idempotency_key="k-2", environment="sandbox", profile="Sandbox", actor=ACTOR,
        connection_id=CONNECTION, duplicates_shown=[first.local_id],
    )  # fmt: skip
    kinds = [(e.kind, e.actor, dict(e.detail)) for e in journal.events(second.local_id)]
    assert kinds[0][0] == "confirmed"
    assert kinds[1] == ("duplicate_warning", backend.recorded(ACTOR), {"shown": [first.local_id], "overridden": True})
    assert [e.kind for e in journal.events(first.local_id)] == ["confirmed"]  # no warning: none shown
