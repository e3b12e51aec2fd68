"""The confirmed → attempt → created → status flow, its events, selections and the audit rules: the
contract runs on both backends (``backend``: SQLite and PostgreSQL); SQLite's own rules are marked."""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from payout_desk.journal import (
    AttemptInfo,
    DuplicateIdempotencyKeyError,
    DuplicateReferenceError,
    HistoryQuery,
    Journal,
    JournalError,
    PaymentIdTakenError,
    PayoutNotFoundError,
)
from tests.unit.journal.backends import AnyJournal, Backend, FakeClock
from tests.unit.journal.helpers import ACTOR, CONNECTION, confirm, request


@pytest.fixture
def journal(backend: Backend) -> AnyJournal:
    """The backend's journal (closed by ``backend``)."""
    return backend.open()


@pytest.fixture
def sqlite_journal(tmp_path: Path) -> Iterator[Journal]:
    """SQLite's own rules (its triggers, its transactions)."""
    j = Journal.open(tmp_path / "journal.sqlite3", clock=FakeClock())
    yield j
    j.close()


def test_record_confirmed_stores_the_exact_request(journal: AnyJournal, backend: Backend) -> None:
    req = request("1.500", "BHD", metadata={"ticket": "Z-9", "note": "Zoë"}, external_id=None)
    record = journal.record_confirmed(req, idempotency_key="k-1", environment="live", profile="Main", actor="jdoe")
    assert record.status == "confirmed"
    assert record.request_body == req.body_json()
    assert record.amount == Decimal("1.500")
    assert str(record.amount) == "1.500"
    assert record.currency == "BHD"
    assert record.metadata == {"ticket": "Z-9", "note": "Zoë"}
    assert (record.description, record.recipient_name, record.recipient_id) == (
        "Refund order #48213",
        "Anna Müller",
        "cus_1",
    )
    assert record.external_id is None
    assert record.payment_id is None
    assert record.checkin_url is None
    assert (record.environment, record.profile, record.created_by, record.idempotency_key) == (
        "live",
        "Main",
        backend.recorded("jdoe"),
        "k-1",
    )
    assert record.created_at == record.updated_at
    assert record.created_at.tzinfo is UTC
    assert journal.get(record.local_id) == record
    rebuilt = dataclasses.replace(record)  # through the dataclass __init__: the fast reader builds the same object
    assert rebuilt == record
    assert hash(rebuilt) == hash(record)
    assert vars(rebuilt) == vars(record)
    (event,) = journal.events(record.local_id)
    assert event.kind == "confirmed"
    assert event.actor == backend.recorded("jdoe")
    assert event.at == record.created_at
    assert event.detail["idempotency_key"] == "k-1"
    assert event.detail["body_sha256"] == hashlib.sha256(req.body_json().encode()).hexdigest()
    table = "payouts" if isinstance(journal, Journal) else "payout_desk.payouts"
    scaled = journal.conn.execute(f"SELECT amount, amount_scaled FROM {table}").fetchone()  # type: ignore[union-attr]
    assert scaled == ("1.500", 15_000)


def test_full_flow_and_its_events(journal: AnyJournal, backend: Backend) -> None:
    rec = confirm(journal, "k-flow")
    lid = rec.local_id
    journal.record_attempt(
        lid, AttemptInfo(number=1, status_code=None, error="timeout", duration_ms=15000.4), actor=ACTOR
    )
    journal.record_attempt(lid, AttemptInfo(number=2, status_code=201, error=None, duration_ms=120.0), actor=ACTOR)
    unknown = journal.record_outcome_unknown(lid, message="No answer from the provider", actor=ACTOR)
    assert unknown.status == "outcome_unknown"
    assert unknown.last_error == "No answer from the provider"
    created = journal.record_created(
        lid, payment_id="pay_1", checkin_url="https://x/checkin", status="pending", actor=ACTOR
    )
    assert (created.status, created.payment_id, created.checkin_url, created.last_error) == (
        "pending",
        "pay_1",
        "https://x/checkin",
        None,
    )
    assert created.updated_at > created.created_at
    assert journal.record_status(lid, status="pending", failure_reason=None, source="poll", actor="system") is None
    done = journal.record_status(lid, status="succeeded", failure_reason=None, source="poll", actor="system")
    assert done is not None
    assert done.status == "succeeded"
    assert journal.record_status(lid, status="succeeded", failure_reason=None, source="poll", actor="system") is None
    returned = journal.record_status(
        lid, status="failed", failure_reason="account_closed", source="refresh", actor=ACTOR
    )
    assert returned is not None
    assert (returned.status, returned.failure_reason) == ("failed", "account_closed")

    events = journal.events(lid)
    assert [e.kind for e in events] == [
        "confirmed",
        "attempt",
        "attempt",
        "outcome_unknown",
        "created",
        "status",
        "status",
    ]
    key, body_hash = "k-flow", hashlib.sha256(rec.request_body.encode()).hexdigest()
    first, second = events[1].detail, events[2].detail
    assert first == {
        "number": 1,
        "key": key,
        "body_sha256": body_hash,
        "status_code": None,
        "error": "timeout",
        "duration_ms": 15000.4,
        "ambiguous": False,
    }
    assert second["status_code"] == 201
    assert second["key"] == key
    assert events[3].detail == {"message": "No answer from the provider", "old": "confirmed", "new": "outcome_unknown"}
    assert events[4].detail == {
        "payment_id": "pay_1",
        "checkin_url": "https://x/checkin",
        "old": "outcome_unknown",
        "new": "pending",
        "provider_status": "pending",
        "source": "create",
    }
    assert events[5].detail == {
        "old": "pending",
        "new": "succeeded",
        "provider_status": "succeeded",
        "source": "poll",
        "failure_reason": None,
    }
    assert events[5].actor == backend.recorded("system")
    assert events[6].detail == {
        "old": "succeeded",
        "new": "failed",
        "provider_status": "failed",
        "source": "refresh",
        "failure_reason": "account_closed",
    }
    assert [e.at for e in events] == sorted(e.at for e in events)
    assert [e.event_id for e in events] == sorted(e.event_id for e in events)


def test_new_failure_reason_without_status_change_is_a_note(journal: AnyJournal) -> None:
    lid = confirm(journal, "k").local_id
    journal.record_created(lid, payment_id="pay_2", checkin_url=None, status="failed", actor=ACTOR)
    rec = journal.record_status(lid, status="failed", failure_reason="expired", source="poll", actor="system")
    assert rec is not None
    assert rec.failure_reason == "expired"
    assert journal.record_status(lid, status="failed", failure_reason="expired", source="poll", actor="system") is None
    assert journal.record_status(lid, status="failed", failure_reason=None, source="poll", actor="system") is None
    assert [e.kind for e in journal.events(lid)] == ["confirmed", "created", "note"]


def test_rejected(journal: AnyJournal) -> None:
    lid = confirm(journal, "k").local_id
    rec = journal.record_rejected(lid, code="validation_error", message="The amount is too large.", actor=ACTOR)
    assert (rec.status, rec.last_error) == ("rejected", "The amount is too large.")
    assert journal.events(lid)[-1].detail == {
        "code": "validation_error",
        "message": "The amount is too large.",
        "old": "confirmed",
        "new": "rejected",
    }


def test_unsent_and_to_poll_selection(journal: AnyJournal) -> None:
    a = confirm(journal, "a").local_id  # confirmed
    b = confirm(journal, "b").local_id  # outcome_unknown
    c = confirm(journal, "c").local_id  # pending
    d = confirm(journal, "d").local_id  # rejected
    e = confirm(journal, "e").local_id  # succeeded
    f = confirm(journal, "f").local_id  # an unknown provider status
    g = confirm(journal, "g").local_id  # failed
    journal.record_outcome_unknown(b, message="timeout", actor=ACTOR)
    journal.record_created(c, payment_id="pay_c", checkin_url=None, status="pending", actor=ACTOR)
    journal.record_rejected(d, code="validation_error", message="no", actor=ACTOR)
    journal.record_created(e, payment_id="pay_e", checkin_url=None, status="succeeded", actor=ACTOR)
    journal.record_created(f, payment_id="pay_f", checkin_url=None, status="pending", actor=ACTOR)
    journal.record_status(f, status="on_hold", failure_reason=None, source="poll", actor=ACTOR)
    journal.record_created(g, payment_id="pay_g", checkin_url=None, status="failed", actor=ACTOR)
    assert [r.local_id for r in journal.unsent(CONNECTION)] == [a, b]
    assert [r.local_id for r in journal.to_poll(CONNECTION)] == [c, f]
    journal.record_outcome_unknown(a, message="again", actor=ACTOR)  # still unsent, a new round recorded
    assert [r.local_id for r in journal.unsent(CONNECTION)] == [a, b]


def test_to_poll_a_page_at_a_time(tmp_path: Path) -> None:
    """Recovery reads the open payouts in pages: together they are exactly the full list, in order,
    even when every created_at ties (the local id breaks the tie) and a final payout sits in between."""
    moment = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    with Journal.open(tmp_path / "ties.sqlite3", clock=lambda: moment) as journal:
        ids = []
        for i in range(7):
            lid = confirm(journal, f"p{i}").local_id
            journal.record_created(lid, payment_id=f"pay_{i}", checkin_url=None, status="pending", actor=ACTOR)
            ids.append(lid)
        journal.record_status(ids[3], status="succeeded", failure_reason=None, source="poll", actor=ACTOR)
        whole = [r.local_id for r in journal.to_poll(CONNECTION)]
        assert whole == [lid for lid in ids if lid != ids[3]]
        pages, last = [], None
        while True:
            page = journal.to_poll(CONNECTION, after=last, limit=2)
            pages.append([r.local_id for r in page])
            if len(page) < 2:
                break
            last = page[-1]
        assert [lid for page in pages for lid in page] == whole
        assert [len(page) for page in pages] == [2, 2, 2, 0]


def test_idempotency_keys_are_unique(journal: AnyJournal, backend: Backend) -> None:
    confirm(journal, "same")
    with pytest.raises(DuplicateIdempotencyKeyError):
        confirm(journal, "same", description="another", external_id="ORD-other")
    assert journal.count(HistoryQuery()) == 1
    assert backend.event_total(journal) == 1
    confirm(journal, "next")  # the journal goes on working
    assert journal.count(HistoryQuery()) == 2


def test_a_failed_write_leaves_no_transaction_open(sqlite_journal: Journal) -> None:
    confirm(sqlite_journal, "same")
    with pytest.raises(DuplicateIdempotencyKeyError):
        confirm(sqlite_journal, "same", external_id="ORD-other")
    assert not sqlite_journal.conn.in_transaction


def test_invalid_arguments(journal: AnyJournal, backend: Backend) -> None:
    with pytest.raises(ValueError, match="Idempotency-Key"):
        confirm(journal, "")
    with pytest.raises(ValueError, match="environment"):
        journal.record_confirmed(request(), idempotency_key="k", environment="prod", profile="p", actor=ACTOR)
    with pytest.raises(PayoutNotFoundError):
        journal.get(42)
    with pytest.raises(PayoutNotFoundError):
        journal.record_status(42, status="succeeded", failure_reason=None, source="poll", actor=ACTOR)
    with pytest.raises(PayoutNotFoundError):
        journal.record_attempt(42, AttemptInfo(1, 500, "internal_error", 1.0), actor=ACTOR)
    assert journal.events(42) == []
    assert backend.event_total(journal) == 0


def test_events_are_append_only(sqlite_journal: Journal) -> None:  # PostgreSQL: test_attacks
    journal = sqlite_journal
    lid = confirm(journal, "k").local_id
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.conn.execute("UPDATE events SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        journal.conn.execute("DELETE FROM events")
    with pytest.raises(sqlite3.IntegrityError, match="cannot be deleted"):
        journal.conn.execute("DELETE FROM payouts")
    assert [e.actor for e in journal.events(lid)] == [ACTOR]


def test_the_journaled_request_is_immutable(sqlite_journal: Journal) -> None:  # PostgreSQL: test_attacks
    journal = sqlite_journal
    lid = confirm(journal, "k").local_id
    for column, value in [
        ("request_body", "{}"),
        ("idempotency_key", "other"),
        ("amount", "99.00"),
        ("amount_scaled", 1),
        ("description", "changed"),
        ("created_by", "mallory"),
    ]:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            journal.conn.execute(f"UPDATE payouts SET {column} = ? WHERE local_id = ?", (value, lid))
    journal.conn.execute("UPDATE payouts SET description = description WHERE local_id = ?", (lid,))  # no change: fine
    assert journal.get(lid).request_body == request(external_id="ORD-1-k").body_json()


def test_amounts_of_every_scale_sort_exactly(journal: AnyJournal) -> None:
    for i, (amount, code) in enumerate(
        [("5", "JPY"), ("1.500", "BHD"), ("10.00", "EUR"), ("0.0001", "CLF"), ("1000000000.00", "USD"), ("0.01", "EUR")]
    ):
        confirm(journal, f"k{i}", request(amount, code, external_id=f"R{i}"))
    from payout_desk.journal import SortKey

    rows = journal.page(HistoryQuery(sort=SortKey.AMOUNT, descending=False), 0, 10)
    assert [str(r.amount) for r in rows] == ["0.0001", "0.01", "1.500", "5", "10.00", "1000000000.00"]


def test_survives_reopen_and_close_is_idempotent(backend: Backend) -> None:
    journal = backend.open()
    rec = confirm(journal, "k")
    journal.close()
    journal.close()
    with pytest.raises(JournalError, match="closed"):
        journal.get(rec.local_id)
    again = backend.open()
    assert again.get(rec.local_id) == rec
    assert [r.local_id for r in again.unsent(CONNECTION)] == [rec.local_id]


def test_a_reference_is_unique_per_connection(journal: AnyJournal) -> None:
    first = confirm(journal, "k1", external_id="INV-7")
    with pytest.raises(DuplicateReferenceError) as caught:
        confirm(journal, "k2", external_id="INV-7")
    assert caught.value.owner == first.local_id
    assert journal.reference_owner(CONNECTION, "INV-7") == first.local_id
    assert journal.reference_owner(CONNECTION, "INV-8") is None
    other = journal.record_confirmed(
        request(external_id="INV-7"), idempotency_key="k3", environment="live", profile="Live", actor=ACTOR,
        connection_id="live|https://api.example.com|token:abc|Live",
    )  # fmt: skip
    assert other.external_id == "INV-7"  # another connection (another merchant account) may use it
    assert journal.count(HistoryQuery()) == 2


def test_to_poll_pages_together_are_the_whole_list(journal: AnyJournal) -> None:
    """Both backends: pages of to_poll (keyset on created_at, local id) add up to the full list, in order,
    with a final payout in between; another connection's payouts are never among them."""
    ids = []
    for i in range(5):
        lid = confirm(journal, f"p{i}").local_id
        journal.record_created(lid, payment_id=f"pay_{i}", checkin_url=None, status="pending", actor=ACTOR)
        ids.append(lid)
    journal.record_status(ids[2], status="succeeded", failure_reason=None, source="poll", actor=ACTOR)
    other = journal.record_confirmed(
        request(external_id="OTHER-1"), idempotency_key="o1", environment="live", profile="Live", actor=ACTOR,
        connection_id="live|https://api.example.com|token:abc|Live",
    )  # fmt: skip
    journal.record_created(other.local_id, payment_id="pay_other", checkin_url=None, status="pending", actor=ACTOR)
    whole = [r.local_id for r in journal.to_poll(CONNECTION)]
    assert whole == [lid for lid in ids if lid != ids[2]]
    pages, last = [], None
    while page := journal.to_poll(CONNECTION, after=last, limit=3):
        pages.append([r.local_id for r in page])
        last = page[-1]
    assert pages == [whole[:3], whole[3:]]
    assert journal.payment_owner("pay_other") == other.local_id
    assert journal.payment_owner("pay_none") is None


def test_a_payment_id_belongs_to_one_payout_and_answers_keep_the_providers_words(journal: AnyJournal) -> None:
    """Both backends: a payment id another payout holds is refused with nothing written; the provider's own
    status is kept verbatim (cut to 64 characters) beside the app's lifecycle status; an answer never moves
    a payout the provider does not hold by the journal's account."""
    first = confirm(journal, "a").local_id
    second = confirm(journal, "b").local_id
    refused = confirm(journal, "c").local_id
    journal.record_created(first, payment_id="pay_1", checkin_url=None, status="pending", actor=ACTOR)
    with pytest.raises(PaymentIdTakenError) as caught:
        journal.record_created(second, payment_id="pay_1", checkin_url=None, status="pending", actor=ACTOR)
    assert (caught.value.payment_id, caught.value.owner) == ("pay_1", first)
    assert journal.get(second).payment_id is None
    assert [e.kind for e in journal.events(second)] == ["confirmed"]
    odd = "on_hold_" + "x" * 70
    rec = journal.record_status(first, status=odd, failure_reason=None, source="poll", actor=ACTOR)
    assert rec is not None
    assert (rec.status, rec.provider_status) == ("created", odd[:63] + "…")
    journal.record_rejected(refused, code="validation_error", message="no", actor=ACTOR)
    assert journal.record_status(refused, status="succeeded", failure_reason=None, source="poll", actor=ACTOR) is None
    assert journal.get(refused).status == "rejected"


def test_attempts_open_close_and_ambiguity_is_sticky(journal: AnyJournal, backend: Backend) -> None:
    """Both backends: attempt_started is committed before the request (the key it carries, or none), keeps
    the first attempt's time; an attempt left open makes the next one ambiguous; ambiguity never clears."""
    rec = confirm(journal, "k-att")
    lid = rec.local_id
    started = journal.record_attempt_started(lid, number=1, actor=ACTOR)
    assert (started.attempt_open, started.ambiguous) == (1, 0)
    first_at = started.first_attempt_at
    assert first_at is not None
    again = journal.record_attempt_started(lid, number=2, actor=ACTOR, keyed=False)  # the first never closed
    assert (again.attempt_open, again.ambiguous, again.first_attempt_at) == (1, 1, first_at)
    journal.record_attempt(lid, AttemptInfo(2, 201, None, 3.0), actor=ACTOR, ambiguous=False)
    closed = journal.get(lid)
    assert (closed.attempt_open, closed.ambiguous) == (0, 1)
    events = journal.events(lid)
    assert [e.kind for e in events] == ["confirmed", "attempt_started", "attempt_started", "attempt"]
    assert events[1].detail == {"number": 1, "key": "k-att"}
    assert events[2].detail == {"number": 2, "key": None}
    assert events[3].detail["ambiguous"] is False
    assert events[3].actor == backend.recorded(ACTOR)

    other = confirm(journal, "k-amb").local_id
    marked = journal.mark_ambiguous(other, reason="an attempt was open at start-up", actor=ACTOR)
    assert (marked.ambiguous, marked.attempt_open) == (1, 0)
    journal.mark_ambiguous(other, reason="again", actor=ACTOR)  # already: nothing more
    assert [e.detail for e in journal.events(other)][1:] == [
        {"ambiguous": True, "reason": "an attempt was open at start-up"}
    ]


def test_outcomes_that_stop_sending_and_the_checkins_return(journal: AnyJournal, backend: Backend) -> None:
    """Both backends: a mismatch keeps the raw answer and names every difference; needs_reconciliation says
    what a person reads; neither is sent or followed again; the checkin's return is journaled."""
    mismatched = confirm(journal, "k-mis").local_id
    journal.record_attempt_started(mismatched, number=1, actor=ACTOR)
    rec = journal.record_mismatch(
        mismatched, problems=["The amount differs."], answer='{"id":"pay_x"}', source="create",
        message="The provider's answer does not match this payout.", actor=ACTOR,
    )  # fmt: skip
    assert (rec.status, rec.answer, rec.attempt_open) == ("mismatch", '{"id":"pay_x"}', 0)
    assert rec.last_error == "The provider's answer does not match this payout."
    assert journal.events(mismatched)[-1].detail == {
        "problems": ["The amount differs."], "source": "create", "old": "confirmed", "new": "mismatch",
    }  # fmt: skip
    stuck = confirm(journal, "k-rec").local_id
    rec = journal.record_needs_reconciliation(stuck, message="Check with the provider.", actor=ACTOR)
    assert (rec.status, rec.last_error) == ("needs_reconciliation", "Check with the provider.")
    assert journal.events(stuck)[-1].kind == "needs_reconciliation"
    assert journal.unsent(CONNECTION) == []
    shown = confirm(journal, "k-chk").local_id
    journal.record_created(shown, payment_id="pay_chk", checkin_url="https://x/c", status="pending", actor=ACTOR)
    journal.record_checkin_completed(shown, actor=ACTOR)
    last = journal.events(shown)[-1]
    assert (last.kind, last.detail) == ("checkin_completed", {"payment_id": "pay_chk"})
    assert last.actor == backend.recorded(ACTOR)
    assert journal.get(shown).status == "pending"


def test_a_rejected_payout_frees_its_reference(journal: AnyJournal) -> None:
    """Both backends: the provider never held a rejected payout, so the corrected one may carry its reference."""
    first = confirm(journal, "k1", external_id="INV-9")
    journal.record_rejected(first.local_id, code="validation_error", message="no", actor=ACTOR)
    assert journal.reference_owner(CONNECTION, "INV-9") is None
    second = confirm(journal, "k2", external_id="INV-9")
    assert journal.reference_owner(CONNECTION, "INV-9") == second.local_id
    with pytest.raises(DuplicateReferenceError):
        confirm(journal, "k3", external_id="INV-9")


def test_a_person_reconciles_and_rebinds_audited(journal: AnyJournal, backend: Backend) -> None:
    """Both backends: reconciliation only of a payout that needs it, back to the state the decision says;
    re-binding moves the open payouts of a connection (or of none) with one rebound event each (a desk's
    journal; a team's preparer may not re-bind)."""
    stuck = confirm(journal, "k-stuck").local_id
    with pytest.raises(ValueError, match="does not need reconciliation"):
        journal.record_reconciled(stuck, decision="not_found", reason="x", actor=ACTOR, back_to="outcome_unknown")
    journal.record_needs_reconciliation(stuck, message="Check with the provider.", actor=ACTOR)
    rec = journal.record_reconciled(
        stuck, decision="not_found", reason="Support said no", actor=ACTOR, back_to="outcome_unknown"
    )
    assert rec.status == "outcome_unknown"
    last = journal.events(stuck)[-1]
    assert (last.kind, last.actor) == ("reconciled", backend.recorded(ACTOR))
    assert last.detail == {
        "decision": "not_found", "reason": "Support said no", "old": "needs_reconciliation", "new": "outcome_unknown",
    }  # fmt: skip
    done = confirm(journal, "k-done").local_id
    journal.record_created(done, payment_id="pay_done", checkin_url=None, status="succeeded", actor=ACTOR)
    new = "live|https://api.example.com|token:abc|Live"
    if backend.name != "sqlite":  # a team's re-bind is an admin's, only onto the team's provider (audit F16,
        # test_money_guards.py role by role); this login holds admin (for not_found above) and the team has none
        with pytest.raises(Exception, match="the team has no provider yet"):
            journal.rebind(CONNECTION, new, reason="the profile moved", actor=ACTOR)
        assert journal.get(stuck).connection_id == CONNECTION
        return
    moved = journal.rebind(CONNECTION, new, reason="the profile moved", actor=ACTOR)
    assert moved == [stuck]  # the succeeded payout stays
    assert journal.get(stuck).connection_id == new
    assert journal.events(stuck)[-1].detail == {
        "old_connection": CONNECTION, "new_connection": new, "reason": "the profile moved",
    }  # fmt: skip
    assert journal.unsent(new) == [journal.get(stuck)]
    assert journal.rebind(CONNECTION, new, reason="again", actor=ACTOR) == []
