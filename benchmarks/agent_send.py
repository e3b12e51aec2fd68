"""Agent sends per second: N payouts confirmed in a team database on a throwaway PostgreSQL, then 1 or 2
``payout-desk-agent`` processes send them to the sandbox (in its own process); measured from the agents' start
until the journal holds every payout ``pending`` (LISTEN on the journal's feed, no sleeping). Includes the agents'
start-up (about a second each), so it is a floor, not a steady-state rate."""

from __future__ import annotations

import time

import psycopg

from benchmarks.harness import Figure, Options, median
from payout_desk.journal.postgres.migrate import migrate
from payout_desk.sandbox.client import SandboxControl
from tests.fixtures.postgres import PgServer, TeamDb, create_database, drop_people, postgres_bin, running_server
from tests.integration.agent.conftest import Process, Rig, start_sandbox, wait_for_journal
from tests.integration.postgres.team_setup import confirm, set_provider

NAME = "agent-send"


def _all_pending(conn: psycopg.Connection[tuple[object, ...]], count: int) -> bool:
    row = conn.execute("SELECT count(*) FROM payout_desk.payouts WHERE status = 'pending'").fetchone()
    return row is not None and int(str(row[0])) >= count


def _one_run(server: PgServer, template: str, count: int, agents: int) -> float:
    """Seconds from the agents' start until all ``count`` payouts are pending."""
    started: list[Process] = []
    team = TeamDb(server, create_database(server, template))
    try:
        _, base_url, token = start_sandbox(started)
        identity = set_provider(team, base_url)
        confirm(team, identity, count)
        rig = Rig(team, base_url, token, SandboxControl(base_url), identity, server.socket_dir)
        rig.started = started
        began = time.perf_counter()
        for n in range(agents):
            rig.agent(token=token, login=f"agent_{n}")
        wait_for_journal(team.admin, lambda conn: _all_pending(conn, count), timeout=600)
        return time.perf_counter() - began
    finally:
        for process in started:
            process.stop()
        drop_people(server)


def run(opts: Options) -> list[Figure]:
    count = 50 if opts.quick else 300
    if postgres_bin() is None:
        return [Figure(NAME, "agent sends per second", None, "payouts/s", note="PostgreSQL not installed")]
    figures: list[Figure] = []
    with running_server() as server:
        with psycopg.connect(server.conninfo(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE agent_send_template")
        migrate(server.conninfo("agent_send_template"))
        for agents in (1, 2):
            seconds = [_one_run(server, "agent_send_template", count, agents) for _ in range(opts.runs)]
            label = f"agent sends per second ({count} payouts, {agents} agent(s))"
            figures.append(Figure(NAME, label, round(count / median(seconds), 1), "payouts/s", runs=opts.runs))
    return figures
