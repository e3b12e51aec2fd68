"""The data folder is 0700 and every file the app writes in it 0600, also when an older version left
them looser (the folder was 0755 and the sandbox's merchant file 0644)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from payout_desk.app import launch


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_folder_and_every_file_in_it_are_owner_only(qtbot: Any, qt_loop: Any, data_dir: Path) -> None:
    os.chmod(data_dir, 0o755)
    merchants = data_dir / "sandbox-merchants.json"
    merchants.write_text(json.dumps({"embedded": "mer_old"}), encoding="utf-8")
    os.chmod(merchants, 0o644)
    window = launch(["--sandbox", "--data-dir", str(data_dir)])
    try:
        with qtbot.waitSignal(window.connected, timeout=20000):
            pass
    finally:
        with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
            window.close()
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"journal.sqlite3", "sandbox.sqlite3", "sandbox-merchants.json", "journal.sqlite3.lock"} <= names
    assert _mode(data_dir) == 0o700
    assert {p.relative_to(data_dir).as_posix(): oct(_mode(p)) for p in files if _mode(p) != 0o600} == {}
    assert all(_mode(p) == 0o700 for p in data_dir.rglob("*") if p.is_dir())
