"""``make team`` as a new user runs it: ``scripts/team.py --check`` starts its own throwaway cluster, the sandbox and
the agent, sends one payout through the team and stops, leaving nothing behind."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_make_team_sends_one_payout_through_the_team_and_cleans_up() -> None:
    before = set(Path(tempfile.gettempdir()).glob("pd-pg-*"))
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "team.py"), "--check"],
        capture_output=True, text=True, timeout=240, check=False, cwd=ROOT,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "check: succeeded, exactly once at the provider" in output
    assert "Token: tk_" in output  # the sandbox prints it; the agent got it from its environment
    assert set(Path(tempfile.gettempdir()).glob("pd-pg-*")) <= before  # the throwaway cluster is gone
