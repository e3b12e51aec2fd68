"""The app dies (SIGKILL) after the journal commit — before the request, or with it in flight —
and the next start's recover sends the payout exactly once, with its original key.

The child is a real process (``crash_child.py``, started with asyncio's subprocess support, which
is ``subprocess.Popen`` underneath) running the real PayoutDesk against the real sandbox.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from payout_desk.domain.status import CONFIRMED, PENDING
from payout_desk.journal import AsyncJournal
from payout_desk.provider.client import RetryPolicy
from tests.integration.core.conftest import Rig, attempt_codes, kinds

pytestmark = [pytest.mark.timeout(60), pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")]

CHILD = Path(__file__).with_name("crash_child.py")
REPO = Path(__file__).resolve().parents[3]


async def _read_line(stream: asyncio.StreamReader, within: float = 20.0) -> str:
    async with asyncio.timeout(within):
        return (await stream.readline()).decode().strip()


@pytest.mark.parametrize("mode", ["after_commit", "mid_request"])
async def test_sigkill_after_commit_then_recover(rig: Rig, tmp_path: Path, mode: str) -> None:
    journal_path = tmp_path / "crash" / "journal.sqlite3"
    if mode == "mid_request":
        await rig.control.add_fault(method="POST", path="/api/payments", fault="delay", seconds=1.5)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(CHILD), str(journal_path), rig.server.base_url, mode,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        cwd=str(REPO), env=env,
    )  # fmt: skip
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        child.stdin.write(rig.token.encode() + b"\n")
        await child.stdin.drain()
        line = await _read_line(child.stdout)
        assert line.startswith("COMMITTED "), line
        _, local_id_text, key = line.split()
        if mode == "mid_request":
            # the delay fault is used up the moment the request reaches the sandbox
            async with asyncio.timeout(10):
                while await rig.control.faults():  # noqa: ASYNC110 - the state is in another thread
                    await asyncio.sleep(0.02)
        else:
            assert await rig.payments() == []  # blocked after the commit: nothing was sent
        child.send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(child.wait(), 10) == -signal.SIGKILL
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()

    # The next start, in this process: the journal still has the payout, confirmed, with its key.
    journal = await AsyncJournal.open(journal_path)
    try:
        record = await journal.get(int(local_id_text))
        assert record.status == CONFIRMED
        assert record.idempotency_key == key
        assert record.connection_id is not None
        assert [r.local_id for r in await journal.unsent(record.connection_id)] == [record.local_id]
        # after_commit: blocked before its attempt; mid_request: its attempt_started is committed
        assert record.attempt_open == (1 if mode == "mid_request" else 0)
        rig.sleep.cap = 0.3  # a 409 while the killed request is still held: wait like a real client
        client = rig.client(retry=RetryPolicy(max_attempts=12, base_delay=0.2, max_delay=0.3))
        rig.journal = journal
        desk, _ = rig.desk(client)
        await desk.start()
        report = await desk.wait_recovered()
        (resent,) = report.resent
        assert resent.status == PENDING, resent.last_error
        payments = await rig.payments()
        assert len(payments) == 1, payments
        assert payments[0]["idempotencyKey"] == key
        assert payments[0]["id"] == resent.payment_id
        events = await journal.events(record.local_id)
        assert kinds(events)[0] == "confirmed"
        assert kinds(events)[-1] == "created"
        codes = attempt_codes(events)
        assert codes[-1] in (200, 201)
        if mode == "after_commit":
            assert codes == [201]
        else:  # the attempt the kill interrupted may have reached the provider: ambiguous for good
            assert (await journal.get(record.local_id)).ambiguous == 1
        await desk.stop()
    finally:
        await journal.close()
