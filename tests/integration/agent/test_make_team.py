"""``make team`` as a new user runs it: ``scripts/team.py --check`` starts its own throwaway cluster (a preparer,
anna, and an approver, ben; EUR from 1000 needs one approval), the sandbox and the agent, sends a payout that
waits for ben's approval and one that needs none through the team, and stops, leaving nothing behind."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_make_team_sends_payouts_through_the_team_one_by_way_of_an_approval_and_cleans_up() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "team.py"), "--check"],
        capture_output=True, text=True, timeout=240, check=False, cwd=ROOT,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "people: ada (admin), agent (agent), anna (preparer), ben (approver)" in output
    assert "EUR from 1000.00: 1 approver (was no approval)" in output  # ada's rule, by payout-desk-admin
    assert ": awaiting approval" in output  # anna's 1500.00 EUR waits
    assert "still waits for its approval, unsent" in output  # while the 12.34 EUR one was sent and succeeded
    assert "check: anna cannot approve her own payout" in output
    assert "check: ben approved payout" in output
    assert "check: succeeded, exactly once at the provider (the approved payout too)" in output
    assert "Token: tk_" in output  # the sandbox prints it; the agent got it from its environment
    folder = re.search(r"the throwaway cluster: (\S+)", output)
    assert folder is not None, output
    assert Path(folder.group(1)).parent == Path(tempfile.gettempdir())
    assert not Path(folder.group(1)).exists()  # the throwaway cluster is gone
