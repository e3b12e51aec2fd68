"""The test server fixture cleans up after a session that died without stopping its server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

from tests.fixtures.postgres import PgServer, postgres_bin, reap_orphans

ORPHAN = """
import os, signal, sys
from tests.fixtures.postgres import running_server
with running_server() as server:
    print(server.socket_dir, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # dies as a crashed test run does: no clean-up
"""


def test_a_crashed_sessions_server_is_stopped_and_removed_by_the_next(pg_server: PgServer) -> None:
    done = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True, check=False, cwd=Path.cwd())
    assert done.returncode == -9, done.stderr
    sockets = Path(done.stdout.strip())
    base = sockets.parent
    with psycopg.connect(host=str(sockets), dbname="postgres", user="postgres") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)  # orphaned, and still running
    bindir = postgres_bin()
    assert bindir is not None
    assert base in reap_orphans(bindir)
    assert not base.exists()
    assert pg_server.socket_dir.exists()  # a live session's server is left alone
    with psycopg.connect(pg_server.conninfo()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
