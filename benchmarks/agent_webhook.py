"""``agent-webhook``: webhook received → status stored, through the whole team path. A throwaway PostgreSQL, the
sandbox and ``payout-desk-agent --listen`` each in a process of their own; N payouts (100; quick 30) sent by the
agent, then finished one at a time at the sandbox, whose webhook goes to the agent: kept (``webhooks.received_at``,
the database's clock), the poller woken through NOTIFY, its GET at the front of the schedule under the team's
rate cap, the status recorded (the ``status`` event's ``at``, same clock). One payout at a time, so the figure is
the path's latency, not the rate cap's queue."""

from __future__ import annotations

import psycopg

from benchmarks.harness import Figure, Options, percentile
from benchmarks.team_rig import payment_ids, team_rig, without_postgres
from payout_desk.services.poll import PollPolicy
from tests.integration.agent.conftest import status_of, wait_for_journal
from tests.integration.agent.test_webhook import free_port
from tests.integration.postgres.team_setup import confirm

NAME = "agent-webhook"


def _latencies(admin: str) -> list[float]:
    with psycopg.connect(admin) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM min(e.at) - w.received_at) * 1000 FROM payout_desk.webhooks w"
            " JOIN payout_desk.events e ON e.local_id = w.local_id AND e.kind = 'status' AND e.at >= w.received_at"
            " GROUP BY w.webhook_id, w.received_at"
        ).fetchall()
    return [float(row[0]) for row in rows]


def run(opts: Options) -> list[Figure]:
    count = 30 if opts.quick else 100
    label = f"webhook received → status stored ({count} payouts)"
    missing = without_postgres(NAME, label)
    if missing is not None:
        return missing
    with team_rig() as rig:
        team_db = rig.team_db
        port = free_port()
        token = rig.control.mint_token(webhook_url=f"http://127.0.0.1:{port}/webhooks/provider")
        agent = rig.agent("--listen", f"127.0.0.1:{port}", token=token)
        agent.output.expect(r"webhooks: listening", timeout=60)
        ids = confirm(team_db, rig.identity, count)
        wait_for_journal(team_db.admin, lambda conn: all(status_of(i)(conn) == "pending" for i in ids), timeout=120)
        payments = payment_ids(rig)
        for local_id in ids:
            rig.control.complete(payments[local_id], "succeeded")
            wait_for_journal(team_db.admin, lambda conn, i=local_id: status_of(i)(conn) == "succeeded")
        samples = _latencies(team_db.admin)
        agent.stop()
    cap = PollPolicy().max_requests_per_second
    note = (
        f"{len(samples)} webhooks, one payout at a time; the wake-up's GET waits for a token of the team's cap "
        f"({cap:g}/s, tokens back 1.1 s after use) when background polls are bursting: then ~1 s, else ~10-60 ms"
    )
    return [
        Figure(NAME, f"{label}, p50", percentile(samples, 50), "ms", runs=len(samples), note=note, samples=samples),
        Figure(
            NAME,
            f"{label}, p99",
            percentile(samples, 99),
            "ms",
            runs=len(samples),
            target_max=1500.0,
            note="target: one rate-cap window (1.1 s) plus the path",
        ),
    ]
