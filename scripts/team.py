"""``make team``: a whole team on this machine, thrown away when you stop it (Ctrl+C).

    python scripts/team.py [--desks 0|1|2] [--check]

- a throwaway PostgreSQL cluster in a temporary folder its server user can reach (``nobody`` when run as root;
  initdb refuses root), on a unix socket only, with the team schema migrated into the database ``payout_desk``;
- people: ``ada`` (admin), ``agent`` (the agent's login), ``anna`` (preparer) and ``ben`` (approver), and one
  approval rule set by ada through ``payout-desk-admin set-rule``: EUR from 1000 needs 1 approver (so anna's larger
  EUR payouts wait in ben's approvals queue; every other currency and smaller EUR amounts need none);
- the provider sandbox in its own process, its webhooks pointed at the agent;
- ``payout-desk-agent``, the only holder of the sandbox's token (in its environment, nowhere else);
- a desk for anna and one for ben (``--desks``), each ``payout-desk --team CONNINFO --data-dir DIR`` with a
  data dir of its own inside the throwaway folder: your saved settings are never touched.

Nothing system-wide: no service, no system cluster, no file outside the temporary folder. ``--check`` sends two
payouts through the team and exits 0 when each arrives exactly once at the provider; the test suite runs it:
anna confirms 1500.00 EUR (it waits for an approval: the agent must not send it) and then 12.34 EUR (no approval:
the agent sends it, the sandbox completes it, the webhook or the poller brings ``succeeded``); anna cannot approve
her own payout; ben approves it (``payout_desk.approve`` by SQL, as his desk does), the agent sends it and it
succeeds too.
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
from payout_desk.journal.postgres.people import add_person  # noqa: E402
from tests.fixtures.postgres import PgServer, running_server  # noqa: E402

DATABASE = "payout_desk"
WAIT_SECONDS = 60.0
#: The approval rule ``make team`` sets (as ada): EUR from this amount on needs ``APPROVERS`` approver.
RULE_CURRENCY, RULE_FROM, APPROVERS = "EUR", "1000", 1


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
    people = {"ada": "admin", "agent": "agent", "anna": "preparer", "ben": "approver"}
    with psycopg.connect(server.conninfo(DATABASE), autocommit=True) as conn:
        for login, role in people.items():
            add_person(conn, login, role)
    _say("people: " + ", ".join(f"{login} ({role})" for login, role in people.items()))
    conninfo = {login: server.conninfo(DATABASE, user=login) for login in people}
    from payout_desk.admin import main as admin

    rule = ["set-rule", "--currency", RULE_CURRENCY, "--from", RULE_FROM, "--approvers", str(APPROVERS)]
    if admin(["--db", conninfo["ada"], *rule]) != 0:
        raise RuntimeError("could not set the approval rule")
    return conninfo


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


def _confirm(conninfo: str, login: str, amount: str, reference: str, base_url: str) -> tuple[int, str]:
    """``login`` confirms ``amount`` EUR on the team journal as their desk does: (local id, the body's text)."""
    from payout_desk.domain.money import currency
    from payout_desk.domain.payout import PayoutRequest
    from payout_desk.journal.postgres.store import PgJournal
    from payout_desk.services.team import team_identity

    identity = team_identity(base_url)
    body = PayoutRequest(
        amount=Decimal(amount), currency=currency("EUR"), description="make team --check", external_id=reference,
        recipient_id=None, recipient_name="Check", metadata=None, redirect_url=None, webhook_url=None,
    )  # fmt: skip
    journal = PgJournal.open(conninfo)
    try:
        record = journal.record_confirmed(
            body, idempotency_key=str(uuid.uuid4()), environment=identity.environment,
            profile=identity.profile, actor=login, connection_id=identity.key,
        )  # fmt: skip
    finally:
        journal.close()
    _say(f"check: {login} confirmed payout {record.local_id} ({amount} EUR): {record.status.replace('_', ' ')}")
    return record.local_id, body.body_json()


def _column(local_id: int, name: str) -> Callable[[psycopg.Connection[Any]], Any]:
    def read(conn: psycopg.Connection[Any]) -> Any:
        query = sql.SQL("SELECT {} FROM payout_desk.payouts WHERE local_id = %s").format(sql.Identifier(name))
        row = conn.execute(query, (local_id,)).fetchone()
        return None if row is None else row[0]

    return read


def _sent_and_succeeded(conninfo: str, local_id: int, base_url: str) -> str:
    """Wait for the agent to send ``local_id``, complete it at the sandbox, wait for succeeded; its payment id."""
    from payout_desk.sandbox.client import SandboxControl

    payment_id, status = _column(local_id, "payment_id"), _column(local_id, "status")
    _wait_for(conninfo, f"the agent sending payout {local_id}", lambda conn: payment_id(conn) is not None)
    with psycopg.connect(conninfo) as conn:
        sent = str(payment_id(conn))
    _say(f"check: the agent sent payout {local_id}: {sent}")
    SandboxControl(base_url).complete(sent, "succeeded")
    _wait_for(conninfo, f"payout {local_id} succeeded", lambda conn: status(conn) == "succeeded")
    return sent


def _approve(conninfo: str, local_id: int, body: str) -> str:
    """The approver's decision, as their desk makes it: ``payout_desk.approve`` with the confirmed body's hash."""
    from payout_desk.domain.approvals import body_hash

    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT payout_desk.approve(%s, %s)", (local_id, body_hash(body))).fetchone()
    return "" if row is None else str(row[0])


def _check(people: dict[str, str], base_url: str) -> None:
    """A payout waiting for ben's approval, then one needing none; both sent once and succeeded (see the doc)."""
    from payout_desk.sandbox.client import SandboxControl

    waiting, body = _confirm(people["anna"], "anna", "1500.00", "CHECK-APPROVAL", base_url)
    small, _ = _confirm(people["anna"], "anna", "12.34", "CHECK-1", base_url)
    with psycopg.connect(people["anna"]) as conn:
        if _column(waiting, "status")(conn) != "awaiting_approval":
            raise RuntimeError(f"check: payout {waiting} does not wait for an approval ({RULE_CURRENCY} rule)")
    first = _sent_and_succeeded(people["anna"], small, base_url)
    with psycopg.connect(people["anna"]) as conn:  # the agent claims the oldest first: it skipped the waiting one
        if _column(waiting, "payment_id")(conn) is not None or _column(waiting, "status")(conn) != "awaiting_approval":
            raise RuntimeError(f"check: payout {waiting} was sent before its approval")
    _say(f"check: payout {waiting} still waits for its approval, unsent")
    try:
        _approve(people["anna"], waiting, body)
    except psycopg.Error as exc:
        _say(f"check: anna cannot approve her own payout: {exc.diag.message_primary}")
    else:
        raise RuntimeError(f"check: anna approved her own payout {waiting}")
    if _approve(people["ben"], waiting, body) != "confirmed":
        raise RuntimeError(f"check: ben's approval did not make payout {waiting} sendable")
    _say(f"check: ben approved payout {waiting}")
    second = _sent_and_succeeded(people["anna"], waiting, base_url)
    held = sorted(str(p.get("id")) for p in SandboxControl(base_url).payments())  # a fresh sandbox: only the check's
    if held != sorted([first, second]):
        raise RuntimeError(f"check: the sandbox holds {held}, not just {first} and {second}")
    _say("check: succeeded, exactly once at the provider (the approved payout too)")


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
        _say(f"the throwaway cluster: {server.socket_dir.parent} (removed when the team stops)")
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
            _say(f"approvals: {RULE_CURRENCY} from {RULE_FROM} needs {APPROVERS} approver, so anna's such payouts wait"
                 " in ben's Approvals tab (as ada: payout-desk-admin --db CONNINFO rules | set-rule …)")  # fmt: skip
            _say('open another desk: .venv/bin/payout-desk --team "' + people["anna"] + '" --data-dir DIR')
            stop = threading.Event()  # the handlers first: a Ctrl+C right after the line below stops it cleanly
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            _say("Ctrl+C stops everything" + (" (or close the desks)" if opened else ""))
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
    except KeyboardInterrupt:  # Ctrl+C while the team was still starting: everything started is stopped all the same
        return 130
    finally:
        _say("stopped; the throwaway cluster and its folder are gone")


if __name__ == "__main__":
    sys.exit(main())
