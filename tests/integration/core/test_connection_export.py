"""Test connection (real sandbox, real refused port, real TLS failure), CSV export from a real
journal, and a bank return (succeeded → failed) seen by refresh."""

from __future__ import annotations

import csv
import json
import re
import socket
from pathlib import Path

import httpx
import pytest

from payout_desk.domain.status import FAILED, SUCCEEDED
from payout_desk.journal import HistoryQuery
from payout_desk.provider.models import ConnectionStatus
from payout_desk.services.connection import run_connection_test
from payout_desk.services.export import CSV_COLUMNS
from payout_desk.services.settings import Profile
from tests.integration.core.conftest import Rig, kinds, payout_request

pytestmark = pytest.mark.timeout(60)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_verdicts(rig: Rig) -> None:
    sandbox = Profile("Sandbox", "sandbox", rig.server.base_url)
    ok = await run_connection_test(sandbox, rig.token)
    assert ok.status is ConnectionStatus.OK
    assert ok.ok
    assert ok.token_kind == "test"

    no_payouts = await run_connection_test(sandbox, await rig.control.mint_token(payouts=False))
    assert no_payouts.status is ConnectionStatus.NO_PAYOUT_PERMISSION
    assert "Payout" in no_payouts.user_message

    bad = await run_connection_test(sandbox, "tk_test_NotARealToken0000")
    assert bad.status is ConnectionStatus.BAD_TOKEN
    assert bad.user_message == "The provider did not recognise the API token. Check the token in Settings."

    closed = Profile("Closed", "sandbox", f"http://127.0.0.1:{_free_port()}")
    unreachable = await run_connection_test(closed, rig.token)
    assert unreachable.status is ConnectionStatus.UNREACHABLE

    # https to the sandbox's plain-http port: a real TLS handshake failure
    port = httpx.URL(rig.server.base_url).port
    tls = await run_connection_test(Profile("TLS", "sandbox", f"https://127.0.0.1:{port}"), rig.token)
    assert tls.status is ConnectionStatus.TLS_ERROR

    garbage = await run_connection_test(sandbox, "tk_test_has space")
    assert garbage.status is ConnectionStatus.BAD_TOKEN

    for result in (ok, no_payouts, bad, unreachable, tls, garbage):
        assert rig.token not in result.detail
        assert rig.token not in result.user_message
    assert await rig.payments() == []  # the permission probe never creates a payout


async def test_export_csv_defuses_formulas(rig: Rig, tmp_path: Path) -> None:
    desk, _ = rig.desk()
    evil = await desk.submit(payout_request("10.00", description="=HYPERLINK(\"http://x\",\"pay\")",
                                            recipient_name="@Zoë €", external_id="-1+2"))  # fmt: skip
    plain = await desk.submit(payout_request("5", "JPY", description="Salary, June"))
    path = tmp_path / "export" / "history.csv"
    path.parent.mkdir()
    rows_written = await desk.export_csv(HistoryQuery(), path)
    assert rows_written == 2
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(CSV_COLUMNS)
    by_id = {int(r["local_id"]): r for r in rows}
    assert by_id[evil.local_id]["description"] == '\'=HYPERLINK("http://x","pay")'
    assert by_id[evil.local_id]["recipient_name"] == "'@Zoë €"
    assert by_id[evil.local_id]["external_id"] == "'-1+2"
    assert by_id[evil.local_id]["amount"] == "10.00"
    assert by_id[plain.local_id]["amount"] == "5"
    assert by_id[plain.local_id]["currency"] == "JPY"
    assert by_id[plain.local_id]["description"] == "Salary, June"
    assert by_id[plain.local_id]["status"] == "pending"
    assert [p.name for p in path.parent.iterdir()] == ["history.csv"]  # no temp file left


async def test_export_csv_times_checkin_link_and_failure_words(rig: Rig, tmp_path: Path) -> None:
    desk, changes = rig.desk()
    failed = await desk.submit(payout_request("310.500", "BHD"))
    pending = await desk.submit(payout_request("7.50"))
    assert failed.payment_id
    await rig.control.complete(failed.payment_id, "failed", "account_closed")
    await desk.refresh(failed.local_id)  # or the poller, whichever asks first
    await changes.wait_for(lambda c: c.record.local_id == failed.local_id and c.record.status == FAILED)
    path = tmp_path / "history.csv"
    assert await desk.export_csv(HistoryQuery(), path) == 2
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = {int(r["local_id"]): r for r in csv.DictReader(handle)}
    for row in rows.values():  # ISO 8601 UTC to the second
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["created_at"]), row["created_at"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["updated_at"]), row["updated_at"]
    assert rows[failed.local_id]["failure_reason"] == "account_closed"  # the code, as the provider sent it
    assert rows[failed.local_id]["failure_reason_text"] == (
        "The recipient's bank account is closed. Ask them for another account and send a new payout."
    )
    assert rows[pending.local_id]["failure_reason_text"] == ""
    assert rows[pending.local_id]["checkin_url"] == pending.checkin_url
    assert rows[pending.local_id]["checkin_url"].startswith("http")
    assert rows[failed.local_id]["created_at"] == failed.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_bank_return_seen_by_refresh(rig: Rig) -> None:
    """``succeeded`` → ``failed`` on a later read. The sandbox refuses to complete a final payout
    twice, so the provider's later answer comes from httpx.MockTransport; the journal is real."""
    desk, changes = rig.desk()
    record = await desk.submit(payout_request())
    assert record.payment_id
    await rig.control.complete(record.payment_id, "succeeded")
    done = await desk.refresh(record.local_id)
    assert done.status == SUCCEEDED

    returned = {"id": record.payment_id, "status": "failed", "failureReason": "bank_return", "amount": "10.00"}
    returned |= {"currency": "EUR", "externalId": record.external_id}  # the SPEC echoes them; else refused
    mock = httpx.MockTransport(lambda request: httpx.Response(200, content=json.dumps(returned).encode()))
    later, later_changes = rig.desk(rig.client(transport=mock))
    again = await later.refresh(record.local_id)
    assert again.status == FAILED
    assert again.failure_reason == "bank_return"
    change = later_changes.items[-1]
    assert change.previous_status == SUCCEEDED
    assert change.became_final
    events = await later.events(record.local_id)
    assert kinds(events)[-2:] == ["status", "status"]
    assert events[-1].detail["old"] == "succeeded"
    assert events[-1].detail["new"] == "failed"
    assert later.following == frozenset()
    assert len(changes.items) >= 3
