"""The team path's processes for a benchmark: a throwaway PostgreSQL cluster with a migrated ``bench`` database,
the sandbox in a process of its own as the team's provider (``team_rig()`` yields the tests' agent ``Rig``);
every process is killed afterwards."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from benchmarks.harness import Figure
from payout_desk.journal.postgres.migrate import migrate
from payout_desk.sandbox.client import SandboxControl
from tests.fixtures.postgres import TeamDb, postgres_bin, running_server
from tests.integration.agent.conftest import Process, Rig, start_sandbox
from tests.integration.postgres.team_setup import set_provider

__all__ = ["payment_ids", "team_rig", "without_postgres"]


@contextmanager
def team_rig() -> Iterator[Rig]:
    """A migrated team database and the sandbox (its own process) as the team's provider; no token minted."""
    started: list[Process] = []
    try:
        with running_server() as server:
            with psycopg.connect(server.conninfo(), autocommit=True) as conn:
                conn.execute("CREATE DATABASE bench")
            team_db = TeamDb(server, "bench")
            migrate(team_db.admin)
            _, base_url, _ = start_sandbox(started)
            identity = set_provider(team_db, base_url)
            yield Rig(team_db, base_url, "", SandboxControl(base_url), identity, Path(tempfile.gettempdir()), started)
    finally:
        for process in started:
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait(timeout=15)


def payment_ids(rig: Rig) -> dict[int, str]:
    """Each payout's payment id at the sandbox, by local id (matched on the idempotency key)."""
    by_key = {p["idempotencyKey"]: p["id"] for p in rig.control.payments()}
    with psycopg.connect(rig.team_db.admin) as conn:
        keys = conn.execute("SELECT local_id, idempotency_key FROM payout_desk.payouts").fetchall()
    return {int(local_id): str(by_key[key]) for local_id, key in keys if key in by_key}


def without_postgres(name: str, label: str) -> list[Figure] | None:
    """The benchmark's one figure saying PostgreSQL is missing (and why, on stderr); None when it is installed."""
    if postgres_bin() is not None:
        return None
    print(f"{name}: PostgreSQL is not installed (bash scripts/bootstrap.sh --with-postgres)", file=sys.stderr)
    return [Figure(name, label, None, "ms", note="PostgreSQL not installed")]
