"""``payout-desk-agent --self-test`` in its own process against the sandbox and the real team database: it passes
when everything holds, fails with a clear message for each check, and never creates a payment."""

from __future__ import annotations

import os
import socket
import sys

import pytest

from tests.integration.agent.conftest import Process, Rig, spawn
from tests.integration.agent.ops_helpers import all_output, events
from tests.integration.postgres.team_setup import confirm


def _finished(process: Process) -> tuple[int, str]:
    status = process.popen.wait(timeout=60)
    return status, all_output(process)


def test_the_self_test_passes_and_creates_nothing(rig: Rig) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    status, text = _finished(rig.agent("--self-test", "--listen", f"127.0.0.1:{port}", token=rig.token))
    assert status == 0, text
    assert "self-test PASSED" in text
    assert f"--listen 127.0.0.1:{port} can be bound" in text
    assert rig.control.payments() == []
    assert events(rig.team_db.admin, local_id) == [("confirmed", "pia")]  # nothing claimed either
    assert rig.token not in text


def test_a_token_the_provider_refuses(rig: Rig) -> None:
    status, text = _finished(rig.agent("--self-test", token="tk_test_not_a_real_token_0000"))
    assert status == 1
    assert "self-test FAILED" in text
    assert "tk_test_not_a_real_token_0000" not in text
    assert rig.control.payments() == []


def test_no_token(rig: Rig) -> None:
    status, text = _finished(rig.agent("--self-test"))
    assert status == 1
    assert "No provider token: set PAYOUT_DESK_PROVIDER_TOKEN or pass --token-file" in text


def test_another_provider(rig: Rig) -> None:
    status, text = _finished(rig.agent("--self-test", "--provider-url", "http://127.0.0.1:9", token=rig.token))
    assert status == 1
    assert "self-test FAILED: --provider-url http://127.0.0.1:9 is not the team's provider" in text


def test_a_login_that_is_not_an_agent(rig: Rig) -> None:
    conninfo = rig.team_db.as_person("vic", "viewer")
    command = [sys.executable, "-m", "payout_desk.agent.cli", "--db", conninfo, "--provider-url", rig.base_url,
               "--self-test"]  # fmt: skip
    env_token = {"PAYOUT_DESK_PROVIDER_TOKEN": rig.token}

    status, text = _finished(spawn(rig.started, command, {**os.environ, **env_token, "PYTHONUNBUFFERED": "1"}))
    assert status == 1
    assert "self-test FAILED: The login vic is not a Payout Desk agent" in text


def test_an_unreachable_database(rig: Rig) -> None:
    command = [sys.executable, "-m", "payout_desk.agent.cli", "--db", "host=/nonexistent-socket-dir dbname=x",
               "--provider-url", rig.base_url, "--self-test"]  # fmt: skip

    status, text = _finished(spawn(rig.started, command, {**os.environ, "PAYOUT_DESK_PROVIDER_TOKEN": rig.token}))
    assert status == 1
    assert "self-test FAILED" in text


@pytest.mark.parametrize("host", ["127.0.0.1"])
def test_a_listen_address_in_use(rig: Rig, host: str) -> None:
    with socket.socket() as busy:
        busy.bind((host, 0))
        busy.listen()
        port = busy.getsockname()[1]
        status, text = _finished(rig.agent("--self-test", "--listen", f"{host}:{port}", token=rig.token))
    assert status == 1
    assert f"self-test FAILED: --listen {host}:{port}: cannot listen there" in text
