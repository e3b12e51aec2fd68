"""Crash durability: a payout confirmed by a process that is then SIGKILLed is found in unsent()."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from payout_desk.journal import Journal
from tests.unit.journal.helpers import CONNECTION

CHILD = """
import sys
from pathlib import Path
from payout_desk.journal import Journal
from tests.unit.journal.helpers import CONNECTION, confirm

journal = Journal.open(Path(sys.argv[1]))
record = confirm(journal, "crash-key", description="Written just before the crash")
print(record.local_id, flush=True)
sys.stdin.read()  # wait to be killed, holding the connection open (no close, no checkpoint)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_confirmed_payout_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=root,
        env=env,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip(), "the child did not journal the payout"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        assert child.stdin is not None
        assert child.stdout is not None
        child.stdin.close()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert Path(str(path) + "-wal").exists()  # the commit lives in the WAL, not yet checkpointed
    with Journal.open(path) as journal:
        (record,) = journal.unsent(CONNECTION)
        assert record.local_id == int(line)
        assert (record.idempotency_key, record.status, record.description) == (
            "crash-key",
            "confirmed",
            "Written just before the crash",
        )
        assert [e.kind for e in journal.events(record.local_id)] == ["confirmed"]
