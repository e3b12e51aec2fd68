"""Issue 16: Chromium's and Qt's graphics chatter (Vulkan, D-Bus, GPU info, RHI) stays off the terminal in a
normal run — the app's own start-up (``create_qt_application``) and a real QWebEngineView, in a child process
with a clean environment — and comes back with ``PAYOUT_DESK_WEB_DEBUG=1``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

CHILD = """
from payout_desk.app.qt_start import create_qt_application
app = create_qt_application(["payout-desk"])
from PySide6.QtCore import QTimer
from PySide6.QtWebEngineWidgets import QWebEngineView
view = QWebEngineView()
view.loadFinished.connect(lambda ok: QTimer.singleShot(300, app.quit))
view.setHtml("<p>checkin</p>")
view.show()
QTimer.singleShot(30000, app.quit)
app.exec()
"""
NOISE = ("Vulkan", "dbus", "D-Bus", "GPUInfo", "QRhiGles2", "Failed to create RHI")


def run_child(tmp_path: Path, **extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_LOGGING", "QTWEBENGINE_CHROMIUM"))}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), **extra)
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # as on a desktop-less machine: Chromium would complain
    proc = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, timeout=90,
                          cwd=Path(__file__).resolve().parents[2], check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def test_terminal_is_quiet_in_a_normal_run_and_talks_when_asked(tmp_path: Path) -> None:
    loud = run_child(tmp_path, PAYOUT_DESK_WEB_DEBUG="1")
    assert any(word in loud for word in NOISE), "the noise this test looks for did not appear at all"
    quiet = run_child(tmp_path)
    assert [line for line in quiet.splitlines() if any(word in line for word in NOISE)] == []
