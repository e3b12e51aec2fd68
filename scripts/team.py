"""``make team``: a whole team on this machine, thrown away when you stop it (Ctrl+C).

    python scripts/team.py [--desks 0|1|2] [--check]

- a throwaway PostgreSQL cluster in a temporary folder its server user can reach (``nobody`` when run as root;
  initdb refuses root), on a unix socket only, with the team schema migrated into the database ``payout_desk``;
- people: ``ada`` (admin), ``agent`` (the agent's login), ``anna`` (preparer) and ``ben`` (approver);
- the provider sandbox in its own process, its webhooks pointed at the agent;
- ``payout-desk-agent``, the only holder of the sandbox's token (in its environment, nowhere else);
- a desk for anna and one for ben (``--desks``), each ``payout-desk --team CONNINFO --data-dir DIR`` with a
  data dir of its own inside the throwaway folder: your saved settings are never touched.

Nothing system-wide: no service, no system cluster, no file outside the temporary folder. ``--check`` sends one
payout through the team (anna confirms 12.34 EUR, the agent sends it, the sandbox completes it, the webhook or the
poller brings ``succeeded``) and exits 0 when it arrives exactly once at the provider; the test suite runs it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/fixtures/postgres.py: the same throwaway cluster the tests start

from payout_desk.journal.postgres.migrate import migrate  # noqa: E402
from payout_desk.journal.postgres.people import GROUPS, add_person  # noqa: E402
from tests.fixtures.postgres import PgServer, running_server  # noqa: E402

DATABASE = "payout_desk"
WAIT_SECONDS = 60.0


def _say(text: str) -> None:
    print(f"make team: {text}", flush=True)


class Child:
    """A started process whose output lines are echoed with a prefix and can be waited for."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.popen = subprocess.Popen(  # noqa: S603 (our own interpreter and scripts)
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
        )
        self._lines: list[str] = []
        self._changed = threading.Condition()
        assert self.popen.stdout is not None
        threading.Thread(target=self._pump, args=(self.popen.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            print(f"[{self.name}] {line}", end="", flush=True)
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._lines.append("")  # the end
            self._changed.notify_all()

    def expect(self, start: str) -> str:
        """The first line starting with ``start`` (waits on the reader; RuntimeError when the process ends)."""
        deadline = time.monotonic() + WAIT_SECONDS
        seen = 0
        with self._changed:
            while True:
                for line in self._lines[seen:]:
                    if line == "":
                        raise RuntimeError(f"{self.name} stopped before saying {start!r}")
                    if line.startswith(start) or f" {start}" in line:
                        return line.strip()
                seen = len(self._lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{self.name} did not say {start!r} within {WAIT_SECONDS:.0f} s")
                self._changed.wait(timeout=left)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop within 20 s."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _set_up_database(server: PgServer) -> dict[str, str]:
    """The migrated team database and its people; conninfo per login (trust on the unix socket: no passwords)."""
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    migrate(server.conninfo(DATABASE))
    approver = "approver" if "approver" in GROUPS else "preparer"  # approvals (issue 21) add the approver role
    people = {"ada": "admin", "agent": "agent", "anna": "preparer", "ben": approver}
    with psycopg.connect(server.conninfo(DATABASE), autocommit=True) as conn:
        for login, role in people.items():
            add_person(conn, login, role)
    _say("people: " + ", ".join(f"{login} ({role})" for login, role in people.items()))
    return {login: server.conninfo(DATABASE, user=login) for login in people}


def _wait_for(conninfo: str, what: str, check: Callable[[psycopg.Connection[Any]], bool]) -> None:
    """Until ``check`` holds, looking again at every journal event (LISTEN), at least every second."""
    deadline = time.monotonic() + WAIT_SECONDS
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("LISTEN payout_desk_events")
        while not check(conn):
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"{what}: not within {WAIT_SECONDS:.0f} s")
            for _ in conn.notifies(timeout=min(left, 1.0), stop_after=1):
                pass


def _check(people: dict[str, str], base_url: str) -> None:
    """anna confirms 12.34 EUR; the agent sends it; the sandbox completes it; succeeded, once at the provider."""
    from payout_desk.domain.money import currency
    from payout_desk.domain.payout import PayoutRequest
    from payout_desk.journal.postgres.store import PgJournal
    from payout_desk.sandbox.client import SandboxControl
    from payout_desk.services.team import team_identity

    identity = team_identity(base_url)
    body = PayoutRequest(
        amount=Decimal("12.34"), currency=currency("EUR"), description="make team --check", external_id="CHECK-1",
        recipient_id=None, recipient_name="Check", metadata=None, redirect_url=None, webhook_url=None,
    )  # fmt: skip
    journal = PgJournal.open(people["anna"])
    try:
        record = journal.record_confirmed(
            body, idempotency_key=str(uuid.uuid4()), environment=identity.environment,
            profile=identity.profile, actor="anna", connection_id=identity.key,
        )  # fmt: skip
    finally:
        journal.close()
    _say(f"check: anna confirmed payout {record.local_id} (12.34 EUR)")

    def column(name: str) -> Callable[[psycopg.Connection[Any]], Any]:
        def read(conn: psycopg.Connection[Any]) -> Any:
            query = sql.SQL("SELECT {} FROM payout_desk.payouts WHERE local_id = %s").format(sql.Identifier(name))
            row = conn.execute(query, (record.local_id,)).fetchone()
            return None if row is None else row[0]

        return read

    payment_id = column("payment_id")
    _wait_for(people["anna"], "the agent sending it", lambda conn: payment_id(conn) is not None)
    with psycopg.connect(people["anna"]) as conn:
        sent = str(payment_id(conn))
    _say(f"check: the agent sent it: {sent}")
    control = SandboxControl(base_url)
    control.complete(sent, "succeeded")
    status = column("status")
    _wait_for(people["anna"], "succeeded", lambda conn: status(conn) == "succeeded")
    held = control.payments()  # a fresh sandbox: the check's payout is all it may hold
    if [p.get("id") for p in held] != [sent]:
        raise RuntimeError(f"check: the sandbox holds {len(held)} payouts, not just {sent}")
    _say("check: succeeded, exactly once at the provider")


def _desk_command(conninfo: str, data_dir: Path) -> list[str]:
    command = [sys.executable, "-m", "payout_desk", "--team", conninfo, "--data-dir", str(data_dir)]
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))
    if headless and shutil.which("xvfb-run"):
        _say("no display here: the desks run under Xvfb (invisible); --desks 0 skips them")
        return ["xvfb-run", "-a", *command]
    return command


@contextlib.contextmanager
def _children() -> Iterator[list[Child]]:
    started: list[Child] = []
    try:
        yield started
    finally:
        for child in reversed(started):
            child.stop()


def run(desks: int, check: bool) -> int:
    """Start the team; with ``check`` send one payout through it and stop; else run until Ctrl+C or the desks close."""
    env = {k: v for k, v in os.environ.items() if k != "PAYOUT_DESK_PROVIDER_TOKEN"} | {"PYTHONUNBUFFERED": "1"}
    with running_server() as server, _children() as started:
        people = _set_up_database(server)
        listen = f"127.0.0.1:{_free_port()}"
        sandbox = Child("sandbox", [sys.executable, "-m", "payout_desk.sandbox", "--port", "0",
                                    "--webhook-url", f"http://{listen}/webhooks/provider"], env)  # fmt: skip
        started.append(sandbox)
        base_url = sandbox.expect("Base URL: ").split()[-1]
        token = sandbox.expect("Token: ").split()[-1]
        from payout_desk.admin import main as admin

        if admin(["--db", people["ada"], "set-provider", base_url]) != 0:
            raise RuntimeError("could not set the team's provider")
        agent = Child("agent", [sys.executable, "-m", "payout_desk.agent.cli", "--db", people["agent"],
                                "--provider-url", base_url, "--listen", listen],
                      env | {"PAYOUT_DESK_PROVIDER_TOKEN": token})  # fmt: skip
        started.append(agent)
        agent.expect("running")
        if check:
            _check(people, base_url)
            return 0
        workdir = Path(tempfile.mkdtemp(prefix="pd-team-desks-"))
        try:
            opened = [
                Child(f"desk {login}", _desk_command(people[login], workdir / login), env)
                for login in ("anna", "ben")[:desks]
            ]
            started.extend(opened)
            _say(f"the team database as anna (preparer): {people['anna']}")  # a person's, never the superuser's
            _say(f"the team database as ben (approver): {people['ben']}")
            _say(f"the sandbox: {base_url}; the agent: webhooks on http://{listen}/webhooks/provider")
            _say('open another desk: .venv/bin/payout-desk --team "' + people["anna"] + '" --data-dir DIR')
            _say("Ctrl+C stops everything" + (" (or close the desks)" if opened else ""))
            stop = threading.Event()
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            while not stop.wait(0.5):
                if opened and all(d.popen.poll() is not None for d in opened):
                    _say("the desks are closed: stopping the team")
                    break
                if agent.popen.poll() is not None:
                    _say("the agent stopped: stopping the team")
                    return 1
        finally:
            for child in reversed(started):
                child.stop()
            shutil.rmtree(workdir, ignore_errors=True)
        return 0


def main(argv: list[str] | None = None) -> int:
    """``make team``'s entry point."""
    parser = argparse.ArgumentParser(prog="make team", description=__doc__.split("\n\n")[0])
    parser.add_argument("--desks", type=int, choices=(0, 1, 2), default=2, help="desks to open (anna, then ben)")
    parser.add_argument("--check", action="store_true", help="send one payout through the team, then stop")
    args = parser.parse_args(argv)
    try:
        return run(0 if args.check else args.desks, args.check)
    except (RuntimeError, psycopg.Error) as exc:
        _say(f"failed: {exc}")
        return 1
    finally:
        _say("stopped; the throwaway cluster and its folder are gone")


if __name__ == "__main__":
    sys.exit(main())
