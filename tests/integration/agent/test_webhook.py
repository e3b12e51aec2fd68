"""The agent's webhook receiver (``--listen``), with the sandbox delivering to it from its own process: a webhook
is verified, kept first and only wakes the poller, which GETs the payment; replays, bad signatures, unknown
payments and stale deliveries change nothing wrong. Desks' hints reach the poller through the database."""

from __future__ import annotations

import json
import socket
import time

import httpx
import psycopg
import pytest

from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres.watch import HINTS_CHANNEL, send_poll_hint
from payout_desk.provider.webhooks import sign_headers
from tests.integration.agent.conftest import Process, Rig, status_of, wait_for_journal
from tests.integration.agent.test_poll import poll_gets
from tests.integration.postgres.team_setup import confirm


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listening_agent(rig: Rig, *args: str) -> tuple[Process, str, str]:
    """An agent serving webhooks (given ``args`` too), and a token whose payments' webhooks go to it:
    (agent, its URL, token)."""
    url = f"http://127.0.0.1:{free_port()}/webhooks/provider"
    token = rig.control.mint_token(webhook_url=url)
    agent = rig.agent("--listen", url.split("/")[2], *args, token=token)
    agent.output.expect(r"webhooks: listening on http://127\.0\.0\.1:\d+/webhooks/provider")
    return agent, url, token


def kept(rig: Rig) -> list[tuple[object, ...]]:
    with psycopg.connect(rig.team_db.admin) as conn:
        return conn.execute(
            "SELECT webhook_id, payment_id, local_id, deliveries FROM payout_desk.webhooks ORDER BY received_at"
        ).fetchall()


def event_count(rig: Rig, local_id: int) -> int:
    with psycopg.connect(rig.team_db.admin) as conn:
        row = conn.execute("SELECT count(*) FROM payout_desk.events WHERE local_id = %s", (local_id,)).fetchone()
    assert row is not None
    return int(row[0])


def post(url: str, token: str, payload: dict[str, object], **headers: str) -> httpx.Response:
    body = json.dumps(payload).encode()
    signed = {"content-type": "application/json", **sign_headers(token, body), **headers}
    return httpx.post(url, content=body, headers=signed, timeout=10)


def test_a_webhook_wakes_the_poller_which_gets_the_payment(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    agent, url, token = listening_agent(rig)
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    (payment,) = rig.control.payments()
    rig.control.complete(payment["id"], "succeeded")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "succeeded")
    (delivery,) = rig.control.webhooks()
    assert delivery["status"] == 200
    assert kept(rig) == [(delivery["webhookId"], payment["id"], local_id, 1)]
    agent.output.expect(rf"webhook {delivery['webhookId']} for payout {local_id}: kept")

    # The same delivery again (a replay): answered 2xx, counted, nothing else.
    events = event_count(rig, local_id)
    again = httpx.post(url, content=delivery["body"].encode(), headers=delivery["headers"], timeout=10)
    assert (again.status_code, again.json()) == (200, {"received": True, "duplicate": True})
    assert kept(rig) == [(delivery["webhookId"], payment["id"], local_id, 2)]

    # A bad signature: 401, nothing kept.
    forged = post(url, "not-the-token", {**json.loads(delivery["body"]), "status": "failed"})
    assert forged.status_code == 401
    stale_time = post(url, token, {"id": payment["id"]}, **{"webhook-timestamp": str(int(time.time()) - 3600)})
    assert stale_time.status_code in (400, 401)
    assert len(kept(rig)) == 1

    # An unknown payment: kept, answered 2xx, nothing changed.
    unknown = post(url, token, {"id": "pay_not_ours", "status": "succeeded", "amount": "1.00", "currency": "EUR"})
    assert unknown.status_code == 200
    assert ("pay_not_ours", None) in [(row[1], row[2]) for row in kept(rig)]

    # An out-of-order delivery (an older "pending"): the GET says succeeded; nothing moves back.
    old = post(url, token, {**json.loads(delivery["body"]), "status": "pending"})
    assert old.status_code == 200
    assert event_count(rig, local_id) == events
    with psycopg.connect(rig.team_db.admin) as conn:
        assert status_of(local_id)(conn) == "succeeded"
    assert agent.stop() == 0
    assert token not in agent.output.text()


def test_a_webhook_body_is_never_applied_only_the_providers_answer(rig: Rig) -> None:
    """A (validly signed) webhook claiming success for a payment still pending at the provider changes nothing:
    the poller's GET, not the body, is what is recorded."""
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    agent, url, token = listening_agent(rig)
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    (payment,) = rig.control.payments()
    gets = len([1 for r in rig.control.requests() if r["path"] == f"/api/payments/{payment['id']}"])
    early = post(url, token, {"id": payment["id"], "status": "succeeded", "amount": payment["amount"],
                              "currency": payment["currency"]})  # fmt: skip
    assert early.status_code == 200
    # The wake-up's GET (at the front of the schedule) comes, and finds it pending.
    wait_for_journal(rig.team_db.admin, lambda _: len(
        [1 for r in rig.control.requests() if r["path"] == f"/api/payments/{payment['id']}"]) > gets)  # fmt: skip
    with psycopg.connect(rig.team_db.admin) as conn:
        assert status_of(local_id)(conn) == "pending"
    assert agent.stop() == 0


def test_desks_hints_reach_the_poller_through_the_database(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    viewer = rig.team_db.as_person("vic", "viewer")
    with psycopg.connect(viewer, autocommit=True) as conn:
        assert send_poll_hint(conn, local_id, "selected") is False  # not at the provider yet: nothing to poll
    agent = rig.agent(token=rig.token)
    agent.output.expect(r"poller: holding the team's poll lock")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    (payment,) = rig.control.payments()
    rig.control.complete(payment["id"], "succeeded")
    with psycopg.connect(rig.team_db.admin, autocommit=True) as listener:
        listener.execute(f"LISTEN {HINTS_CHANNEL}")
        with psycopg.connect(rig.team_db.as_person("pia", "preparer"), autocommit=True) as conn:
            before = len(poll_gets(rig))
            assert send_poll_hint(conn, local_id, "checkin_completed") is True
            assert send_poll_hint(conn, local_id, "checkin_completed") is False  # a repeat within 1 s: coalesced
        notes = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert notes == [f"{local_id}:checkin_completed"]
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "succeeded")
    assert len(poll_gets(rig)) > before
    with psycopg.connect(rig.team_db.as_person("agent_a", "agent"), autocommit=True) as conn, \
            pytest.raises(JournalError, match="hint_poll"):  # fmt: skip
        send_poll_hint(conn, local_id, "selected")
    with psycopg.connect(viewer, autocommit=True) as conn, pytest.raises(ValueError, match="reason"):
        send_poll_hint(conn, local_id, "webhook")
    assert agent.stop() == 0


def test_a_webhook_received_by_another_agent_wakes_the_one_that_polls(rig: Rig) -> None:
    """Only the lock holder polls; a webhook kept by any agent of the team reaches it through the database."""
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    url = f"http://127.0.0.1:{free_port()}/webhooks/provider"
    token = rig.control.mint_token(webhook_url=url)
    poller = rig.agent(token=token, login="agent_b")
    poller.output.expect(r"poller: holding the team's poll lock")
    receiver = rig.agent("--listen", url.split("/")[2], token=token)
    receiver.output.expect(r"webhooks: listening")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "pending")
    (payment,) = rig.control.payments()
    rig.control.complete(payment["id"], "failed", "account_closed")
    receiver.output.expect(rf"webhook \S+ for payout {local_id}: kept")
    wait_for_journal(rig.team_db.admin, lambda conn: status_of(local_id)(conn) == "failed")
    with psycopg.connect(rig.team_db.admin) as conn:
        row = conn.execute(
            "SELECT actor, detail->>'failure_reason' FROM payout_desk.events WHERE local_id = %s AND kind = 'status'",
            (local_id,),
        ).fetchone()
    assert row == ("agent_b", "account_closed")  # recorded by the poller's GET, not by the receiving agent
    assert receiver.stop() == 0
    assert "holding the team's poll lock" not in receiver.output.text()
    assert poller.stop() == 0
