"""Shared helpers for the journal tests (also imported by the crash-test child process)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from payout_desk.domain.money import currency
from payout_desk.domain.payout import PayoutRequest
from payout_desk.journal import Journal, PayoutRecord
from payout_desk.journal.postgres.store import PgJournal

ACTOR = "tester"


def request(
    amount: str = "10.00",
    code: str = "EUR",
    *,
    description: str | None = "Refund order #48213",
    recipient_name: str | None = "Anna Müller",
    recipient_id: str | None = "cus_1",
    external_id: str | None = "ORD-1",
    metadata: Mapping[str, str] | None = None,
) -> PayoutRequest:
    """A valid PayoutRequest (built directly; the values are chosen valid)."""
    return PayoutRequest(
        amount=Decimal(amount),
        currency=currency(code),
        description=description,
        external_id=external_id,
        recipient_id=recipient_id,
        recipient_name=recipient_name,
        metadata=metadata,
        redirect_url=None,
        webhook_url=None,
    )


#: The connection ``confirm`` binds payouts to.
CONNECTION = "sandbox|embedded|merchant:test|Sandbox"


def confirm(journal: Journal | PgJournal, key: str, req: PayoutRequest | None = None, **kw: str) -> PayoutRecord:
    """record_confirmed with test defaults."""
    if req is None and "external_id" not in kw:
        kw["external_id"] = f"ORD-1-{key}"  # a reference is unique per connection
    return journal.record_confirmed(
        req or request(**kw),
        idempotency_key=key,
        environment="sandbox",
        profile="Sandbox",
        actor=ACTOR,
        connection_id=CONNECTION,
    )


def open_journal(path: Path) -> Journal:
    """Journal.open (typed helper)."""
    return Journal.open(path)


def scribble_page(path: Path, name: str) -> None:
    """Overwrite the root page of table or index ``name`` with garbage: a damaged page, as a failing disk
    or a torn copy leaves it (the file stays a readable SQLite database otherwise)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (name,)).fetchone()[0]
    finally:
        conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)
