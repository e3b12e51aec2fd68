"""Helpers of the agent's operational proofs (takeover, fencing, token, self-test): what the journal and the
sandbox hold about one payout, a SIGKILL, a row lock held by the database administrator, and a bounded wait on
a condition the tests cannot get a notification for (the sandbox's request log, ``pg_stat_activity``)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import LiteralString

import psycopg

from tests.integration.agent.conftest import Process, Rig

CREATE = "/api/payments"


@dataclass(frozen=True)
class PayoutState:
    """One payout as the journal holds it."""

    status: str
    payment_id: str | None
    key: str
    attempt_open: bool
    lease_holder: str | None
    lease_generation: int | None


def _row(conninfo: str, query: LiteralString, *args: object) -> tuple[object, ...] | None:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute(query, args).fetchone()
    return None if row is None else tuple(row)


def payout_state(conninfo: str, local_id: int) -> PayoutState:
    """The payout's row, read as ``conninfo`` (the database administrator)."""
    row = _row(
        conninfo,
        "SELECT status, payment_id, idempotency_key, attempt_open, lease_holder, lease_generation"
        " FROM payout_desk.payouts WHERE local_id = %s",
        local_id,
    )
    assert row is not None, f"no payout {local_id}"
    payment_id, holder, generation = row[1], row[4], row[5]
    assert payment_id is None or isinstance(payment_id, str)
    assert holder is None or isinstance(holder, str)
    assert generation is None or isinstance(generation, int)
    return PayoutState(str(row[0]), payment_id, str(row[2]), bool(row[3]), holder, generation)


def events(conninfo: str, local_id: int) -> list[tuple[str, str]]:
    """The payout's journal events (kind, actor), oldest first."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT kind, actor FROM payout_desk.events WHERE local_id = %s ORDER BY event_id", (local_id,)
        ).fetchall()
    return [(str(kind), str(actor)) for kind, actor in rows]


def kill(process: Process) -> None:
    """SIGKILL the process (no clean-up of any kind runs) and reap it."""
    os.kill(process.popen.pid, signal.SIGKILL)
    assert process.popen.wait(timeout=15) == -signal.SIGKILL
    process.output.text()


def until(check: Callable[[], bool], what: str, timeout: float = 20.0, every: float = 0.05) -> None:
    """Look at ``check`` again every ``every`` s until it holds; AssertionError naming ``what`` after ``timeout``.
    Only for what sends no notification (the sandbox's state, ``pg_stat_activity``); the journal's own changes
    are awaited with ``wait_for_journal`` (LISTEN)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        pause.wait(every)


def request_held_by_sandbox(rig: Rig) -> bool:
    """The queued fault was taken: the sandbox is holding the request it applies to."""
    return not rig.control.faults()


@contextlib.contextmanager
def row_locked(conninfo: str, local_id: int) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    """The payout's row locked FOR UPDATE by the database administrator until the block ends (rolled back):
    every journal write about it waits, as behind a slow database."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT 1 FROM payout_desk.payouts WHERE local_id = %s FOR UPDATE", (local_id,))
        try:
            yield conn
        finally:
            conn.rollback()


def waits_on_a_lock(conninfo: str, login: str) -> bool:
    """Whether a session of ``login`` is waiting for a lock (pg_stat_activity)."""
    row = _row(conninfo, "SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = %s AND wait_event_type = 'Lock'",
               login)  # fmt: skip
    return row is not None and bool(row[0])


def lease_run_out(conninfo: str, local_id: int) -> bool:
    """Whether the payout's lease has run out by the database's clock."""
    row = _row(
        conninfo,
        "SELECT lease_expires_at <= now() IS TRUE FROM payout_desk.payouts WHERE local_id = %s",
        local_id,
    )
    return row is not None and bool(row[0])


def all_output(process: Process) -> str:
    """Everything an ended process wrote, once its reader has reached the end of the pipe."""
    assert process.popen.poll() is not None
    process.output._thread.join(timeout=15)
    return process.output.text()
