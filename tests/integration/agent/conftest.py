"""The agent's integration rig: the sandbox and ``payout-desk-agent`` each in a process of its own (so a test can
SIGKILL one), the real PostgreSQL team database (``tests/fixtures/postgres.py``), and waits that are driven by
the journal's own notifications (LISTEN), never by sleeping."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
import pytest

from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.sandbox.client import SandboxControl
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.team_setup import set_provider

AGENT_LOGIN = "agent_a"


class Lines:
    """Collects a process's output lines on a thread; a test waits for one matching a pattern."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._new.put(line)
        self._new.put(None)

    def expect(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first match of ``pattern`` in a line not yet consumed; AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self._new.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{self.text()}") from None
            if line is None:
                raise AssertionError(f"the process ended before a line matching {pattern!r}:\n{self.text()}")
            self.seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found

    def text(self) -> str:
        """Everything read so far (all of it once the process has ended)."""
        if not self._thread.is_alive():
            while not self._new.empty():
                line = self._new.get_nowait()
                if line is not None:
                    self.seen.append(line)
        return "".join(self.seen)


@dataclass
class Process:
    """A started process and its output."""

    popen: subprocess.Popen[str]
    output: Lines

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``signum`` and wait for the exit status."""
        if self.popen.poll() is None:
            self.popen.send_signal(signum)
        status = self.popen.wait(timeout=timeout)
        self.output.text()
        return status


@dataclass
class Rig:
    """A sandbox process and a team database whose provider it is."""

    team_db: TeamDb
    base_url: str
    token: str
    control: SandboxControl
    identity: ConnectionIdentity
    tmp_path: Path
    started: list[Process] = field(default_factory=list)

    def agent(self, *args: str, token: str | None = None, login: str = AGENT_LOGIN) -> Process:
        """Start ``payout-desk-agent`` as ``login`` on this team (sweeping every 0.5 s unless told)."""
        conninfo = self.team_db.as_person(login, "agent")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("PAYOUT_DESK_PROVIDER_TOKEN", None)
        if token is not None:
            env["PAYOUT_DESK_PROVIDER_TOKEN"] = token
        command = [sys.executable, "-m", "payout_desk.agent.cli", "--db", conninfo, *args]
        if "--provider-url" not in args:
            command += ["--provider-url", self.base_url]
        if "--sweep-seconds" not in args:
            command += ["--sweep-seconds", "0.5"]
        return spawn(self.started, command, env)


def spawn(started: list[Process], command: list[str], env: dict[str, str] | None = None) -> Process:
    """Start ``command`` (stdout and stderr together, read on a thread); it joins ``started``."""
    env = env if env is not None else {**os.environ, "PYTHONUNBUFFERED": "1"}
    popen = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert popen.stdout is not None
    process = Process(popen, Lines(popen.stdout))
    started.append(process)
    return process


def start_sandbox(started: list[Process], *args: str) -> tuple[Process, str, str]:
    """``python -m payout_desk.sandbox`` on a free port: the process, its base URL and its token."""
    command = [sys.executable, "-m", "payout_desk.sandbox", "--port", "0", "--processing-seconds", "0.3", *args]
    process = spawn(started, command)
    base_url = process.output.expect(r"^Base URL: (\S+)").group(1)
    token = process.output.expect(r"^Token: (\S+)").group(1)
    return process, base_url, token


@pytest.fixture
def rig(team_db: TeamDb, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Rig]:
    """A sandbox process and a team whose provider it is; every process is killed afterwards. Indirect
    parametrisation passes the sandbox more arguments (``("--processing-seconds", "3")``)."""
    started: list[Process] = []
    try:
        _, base_url, token = start_sandbox(started, *getattr(request, "param", ()))
        made = Rig(team_db, base_url, token, SandboxControl(base_url), set_provider(team_db, base_url), tmp_path)
        made.started = started
        yield made
    finally:
        for process in started:
            if process.popen.poll() is None:
                process.popen.kill()
                process.popen.wait(timeout=15)
            if process.popen.stdout is not None:
                process.popen.stdout.close()


def wait_for_journal(conninfo: str, check: Callable[[psycopg.Connection[tuple[object, ...]]], bool],
                     timeout: float = 30.0) -> None:  # fmt: skip
    """Until ``check(conn)`` holds, looking again at every journal event (LISTEN) and at least every second."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("LISTEN payout_desk_events")
        while not check(conn):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"the journal did not get there within {timeout} s")
            for _ in conn.notifies(timeout=min(left, 1.0), stop_after=1):
                pass


def status_of(local_id: int) -> Callable[[psycopg.Connection[tuple[object, ...]]], str | None]:
    """Reads one payout's status."""

    def read(conn: psycopg.Connection[tuple[object, ...]]) -> str | None:
        row = conn.execute("SELECT status FROM payout_desk.payouts WHERE local_id = %s", (local_id,)).fetchone()
        return None if row is None else str(row[0])

    return read
