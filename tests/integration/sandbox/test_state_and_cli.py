"""``--state FILE`` persistence across restarts, and the ``payout-desk-sandbox`` command line."""

from __future__ import annotations

import os
import queue
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from payout_desk.sandbox.client import AsyncSandboxControl, SandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from tests.integration.sandbox.helpers import assert_error, auth, eventually, new_key, payout


def test_state_file_keeps_tokens_payouts_and_keys_across_restarts(
    tmp_path: Path, sandbox_factory: Callable[..., EmbeddedSandbox]
) -> None:
    state = tmp_path / "state" / "sandbox.sqlite3"
    first = sandbox_factory(state_path=state)
    control = SandboxControl(first.base_url)
    token, no_payouts = control.mint_token(), control.mint_token(payouts=False)
    key = new_key()
    with httpx.Client(base_url=first.base_url, trust_env=False) as client:
        created = client.post("/api/payments", json=payout(externalId="ext-1"), headers=auth(token, key)).json()
        finished = client.post("/api/payments", json=payout(externalId="ext-2"), headers=auth(token)).json()
    control.complete(finished["id"], "failed", "account_closed")
    first.stop()
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(state.parent).st_mode) & 0o077 == 0
    os.chmod(state, 0o644)  # as an older sandbox left it

    second = sandbox_factory(state_path=state)
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o600
    with httpx.Client(base_url=second.base_url, trust_env=False) as client:
        fetched = client.get(f"/api/payments/{created['id']}", headers=auth(token))
        assert fetched.status_code == 200
        assert fetched.json()["status"] == "pending"
        assert fetched.json()["url"] == created["url"]
        done = client.get(f"/api/payments/{finished['id']}", headers=auth(token)).json()
        assert (done["status"], done["failureReason"]) == ("failed", "account_closed")
        replay = client.post("/api/payments", json=payout(externalId="ext-1"), headers=auth(token, key))
        assert replay.status_code == 200
        assert replay.json()["id"] == created["id"]
        reused = client.post("/api/payments", json=payout(amount="1.00"), headers=auth(token, key))
        assert_error(reused, 422, "idempotency_key_reused")
        no_key = client.post("/api/payments", json=payout(externalId="ext-2"), headers=auth(token))
        assert no_key.status_code == 200
        assert no_key.json()["id"] == finished["id"]
        denied = client.post("/api/payments", json=payout(), headers=auth(no_payouts))
        assert_error(denied, 403, "payouts_not_enabled")
    assert {p["id"] for p in SandboxControl(second.base_url).payments()} == {created["id"], finished["id"]}


def test_without_a_state_file_a_restart_forgets(sandbox_factory: Callable[..., EmbeddedSandbox]) -> None:
    sandbox = sandbox_factory()
    token = SandboxControl(sandbox.base_url).mint_token()
    sandbox.stop()
    sandbox.start()
    response = httpx.post(f"{sandbox.base_url}/api/payments", json=payout(), headers=auth(token))
    assert_error(response, 401, "unauthorized")


async def test_processing_interrupted_by_a_restart_finishes_after_it(
    tmp_path: Path, sandbox_factory: Callable[..., EmbeddedSandbox]
) -> None:
    state = tmp_path / "sandbox.sqlite3"
    first = sandbox_factory(state_path=state, processing_seconds=0.5)
    token = await AsyncSandboxControl(first.base_url).mint_token()
    async with httpx.AsyncClient(base_url=first.base_url, trust_env=False) as client:
        created = (await client.post("/api/payments", json=payout(), headers=auth(token))).json()
        form = {"holderName": "A", "iban": "DE89370400440532013000"}
        assert (await client.post(f"/checkin/{created['id']}", data=form)).status_code == 303
    first.stop()
    second = sandbox_factory(state_path=state)
    async with httpx.AsyncClient(base_url=second.base_url, trust_env=False) as client:

        async def succeeded() -> bool:
            body = (await client.get(f"/api/payments/{created['id']}", headers=auth(token))).json()
            return bool(body["status"] == "succeeded")

        await eventually(succeeded)


class _Output:
    """Reads a subprocess's stdout lines on a thread, so the test can wait for one with a timeout."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        assert process.stdout is not None
        stream = process.stdout
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)

    def wait_for(self, prefix: str, timeout: float = 30.0) -> str:
        """The rest of the first line starting with ``prefix``."""
        while True:
            line = self.lines.get(timeout=timeout)
            self.seen.append(line)
            if line.startswith(prefix):
                return line[len(prefix) :].strip()

    def everything(self) -> str:
        """All output, once the process has exited."""
        self._thread.join(timeout=10)
        while not self.lines.empty():
            self.seen.append(self.lines.get_nowait())
        return "".join(self.seen)


def _start_cli(*args: str) -> tuple[subprocess.Popen[str], _Output]:
    command = [sys.executable, "-m", "payout_desk.sandbox.cli", "--port", "0", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    return process, _Output(process)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes to terminate at teardown, whatever happened in the test."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()


def test_cli_banner_serving_state_and_clean_shutdown(tmp_path: Path, processes: list[subprocess.Popen[str]]) -> None:
    state = str(tmp_path / "cli.sqlite3")
    process, output = _start_cli("--processing-seconds", "0.2", "--state", state)
    processes.append(process)
    base_url = output.wait_for("Base URL:")
    token = output.wait_for("Token:")
    assert base_url.startswith("http://127.0.0.1:")
    assert token.startswith("tk_test_")
    with httpx.Client(base_url=base_url, trust_env=False) as client:
        created = client.post("/api/payments", json=payout(), headers=auth(token, new_key()))
        assert created.status_code == 201  # the token has the Payout permission
        payment_id = created.json()["id"]
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/_sandbox/payments").json()["payments"][0]["id"] == payment_id
        checkin = client.post(f"/checkin/{payment_id}", data={"holderName": "A", "iban": "DE89370400440532013000"})
        assert checkin.status_code == 303
    process.terminate()
    assert process.wait(timeout=15) == 0  # a graceful shutdown on SIGTERM
    everything = output.everything()
    assert everything.count(token) == 1  # in the banner only, never in the logs
    assert "POST /api/payments" in everything
    assert "Finished server process" in everything

    # The next start prints a fresh token of the same default merchant: it sees the earlier payout.
    again, again_output = _start_cli("--state", state, "--log-level", "warning")
    processes.append(again)
    base_url, second_token = again_output.wait_for("Base URL:"), again_output.wait_for("Token:")
    assert second_token != token
    with httpx.Client(base_url=base_url, trust_env=False) as client:
        assert client.get(f"/api/payments/{payment_id}", headers=auth(second_token)).status_code == 200


def test_cli_help_and_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    from payout_desk.sandbox.cli import main

    with pytest.raises(SystemExit) as shown:
        main(["--help"])
    assert shown.value.code == 0
    help_text = capsys.readouterr().out
    for option in ("--host", "--port", "--state", "--processing-seconds", "--checkin-expiry-seconds", "--webhook-url"):
        assert option in help_text
    with pytest.raises(SystemExit) as refused:
        main(["--webhook-url", "http://example.com/hook"])
    assert refused.value.code == 2
    assert "https" in capsys.readouterr().err


def test_cli_defaults_match_the_spec() -> None:
    from payout_desk.sandbox.cli import build_parser

    args = build_parser().parse_args([])
    assert (args.host, args.port, args.state, args.processing_seconds) == ("127.0.0.1", 8765, None, 2.0)
    assert args.checkin_expiry_seconds == 1800.0
    assert args.idempotency_ttl_seconds == 86400.0  # the SPEC's "at least 24 hours"
    assert args.webhook_url is None
    assert build_parser().parse_args(["--idempotency-ttl-seconds", "3"]).idempotency_ttl_seconds == 3.0


def test_control_index_says_how_long_keys_are_kept(sandbox_factory: Callable[..., EmbeddedSandbox]) -> None:
    short = sandbox_factory(idempotency_ttl_seconds=3)
    info = SandboxControl(short.base_url).info()
    assert info["idempotencyTtlSeconds"] == 3
    assert "GET /_sandbox/payments" in info["routes"]


async def test_a_key_past_its_ttl_is_forgotten_and_an_external_id_replays_without_a_key(
    sandbox_factory: Callable[..., EmbeddedSandbox],
) -> None:
    """What the desk's retention rule guards against, and what it relies on (SPEC idempotency)."""
    short = sandbox_factory(idempotency_ttl_seconds=0.3)
    control = AsyncSandboxControl(short.base_url)
    token = await control.mint_token()
    body = payout(externalId="REF-1")
    async with httpx.AsyncClient(base_url=short.base_url, trust_env=False, timeout=10) as client:
        key = new_key()
        first = (await client.post("/api/payments", json=body, headers=auth(token, key))).json()

        async def forgotten() -> bool:  # the same key with another body is new, not "key reused"
            other = payout(externalId=f"REF-{new_key()}")
            return (await client.post("/api/payments", json=other, headers=auth(token, key))).status_code == 201

        await eventually(forgotten, within=5)
        replay = await client.post("/api/payments", json=body, headers=auth(token))  # no key: the reference replays
        assert replay.status_code == 200
        assert replay.json()["id"] == first["id"]
        other = await client.post("/api/payments", json=payout(amount="99.00", externalId="REF-1"), headers=auth(token))
        assert_error(other, 422, "validation_error", "externalId")


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("payout-desk-sandbox")
    assert script.exists(), "run uv sync: the payout-desk-sandbox console script is missing"
    assert "payout_desk.sandbox.cli" in script.read_text()
