"""Records: the history, details and export from the journal alone; provider calls only through a desk."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
from payout_desk.journal import AsyncJournal, HistoryQuery, Journal
from payout_desk.services.records import NotConnectedError, Records


def request(amount: str, description: str) -> PayoutRequest:
    result = validate_draft(PayoutDraft(amount, "EUR", description))
    assert isinstance(result, PayoutRequest)
    return result


async def test_history_details_and_export_need_no_provider(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal.open(path) as journal:
        for n, (amount, text) in enumerate([("10.00", "Refund order 1"), ("20.00", "Courier")]):
            journal.record_confirmed(request(amount, text), idempotency_key=f"5e0f2b7a-1c3d-4e5f-8a9b-0c1d2e3f4a5{n}",
                                     environment="sandbox", profile="Old", actor="t", connection_id=None)  # fmt: skip
    journal_async = await AsyncJournal.open(path)
    try:
        records = Records(journal_async)
        assert records.connection_id is None
        assert await records.history_count(HistoryQuery()) == 2
        page = await records.history_page(HistoryQuery(text="Courier"), 0, 10)
        assert [r.description for r in page] == ["Courier"]
        assert [e.kind for e in await records.events(page[0].local_id)] == ["confirmed"]
        assert (await records.get(page[0].local_id)).amount == page[0].amount
        out = tmp_path / "out.csv"
        assert await records.export_csv(HistoryQuery(), out) == 2
        with out.open(encoding="utf-8", newline="") as handle:
            assert sorted(row["description"] for row in csv.DictReader(handle)) == ["Courier", "Refund order 1"]
        with pytest.raises(NotConnectedError) as raised:
            await records.refresh(page[0].local_id)
        assert "Not connected to the provider" in raised.value.user_message
    finally:
        await journal_async.close()
