"""The app's own Qt start-up (`create_qt_application`) keeps QtWebEngine off the first-frame path, and the
checkin page still loads when WebEngine is imported later. Run in a child process: this test session's
QApplication was made the other way (tests/conftest.py imports QtWebEngineWidgets first)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import httpx

CHILD = """
import sys
from payout_desk.app import create_qt_application

app = create_qt_application(sys.argv[:1])
print("webengine_before_window", "PySide6.QtWebEngineWidgets" in sys.modules, flush=True)

from PySide6.QtCore import QTimer
from payout_desk.ui.sending.checkin_view import CHECKIN_RETURN_URL, CheckinDialog

dialog = CheckinDialog(sys.argv[1], provider_base_url=sys.argv[2], payment_id=sys.argv[3])
dialog.page.loadFinished.connect(lambda ok: (print("loaded", ok, flush=True), app.quit()))
dialog.show()
QTimer.singleShot(30000, app.quit)
app.exec()
"""


def test_checkin_page_loads_with_webengine_imported_after_the_application(
    sandbox_server: Any, api_client: httpx.Client
) -> None:
    from payout_desk.ui.sending.checkin_view import CHECKIN_RETURN_URL

    body = {"amount": "10.00", "currency": "EUR", "type": "payout", "redirectUrl": CHECKIN_RETURN_URL}
    created = api_client.post("/api/payments", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 201, created.text
    payment = created.json()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, payment["url"], sandbox_server.base_url, payment["id"]],
        capture_output=True, text=True, env=env, timeout=90,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert "webengine_before_window False" in lines, result.stderr[-2000:]
    assert "loaded True" in lines, result.stderr[-2000:]


APP_CHILD = """
import asyncio, os, sys
from payout_desk.app import create_qt_application, launch

app = create_qt_application(sys.argv[:1])
import qasync

loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)


async def scenario():
    window = launch(["--sandbox", "--data-dir", sys.argv[1]])
    connected = asyncio.Event()
    window.connected.connect(lambda _c: connected.set())
    window.connectFailed.connect(lambda text: (print("failed", text, flush=True), connected.set()))
    await asyncio.wait_for(connected.wait(), 60)
    await asyncio.sleep(0.5)
    print("webengine_after_connect", "PySide6.QtWebEngineCore" in sys.modules, flush=True)
    print("httpx_cli", "rich" in sys.modules or "pygments" in sys.modules, flush=True)
    done = asyncio.Event()
    window.shutdownFinished.connect(done.set)
    window.close()
    await asyncio.wait_for(done.wait(), 30)


with loop:
    loop.run_until_complete(scenario())
os._exit(0)
"""


def test_the_connected_app_has_not_loaded_webengine_until_a_checkin(tmp_path: Any) -> None:
    """QtWebEngine (≈ 30 MiB resident) loads with the first checkin dialog; the cold submit path that
    then imports it is covered by tests/e2e (the real window's submit) and measured in benchmarks/."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", APP_CHILD, str(tmp_path / "data")],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert "webengine_after_connect False" in lines, (result.stdout, result.stderr[-2000:])
    assert "httpx_cli False" in lines, result.stdout


def test_the_first_submit_through_the_real_window_loads_webengine_and_shows_the_checkin_page() -> None:
    """The benchmark's submit child (the real window, offscreen, on the embedded sandbox): fill the
    form, confirm, wait for ``checkinView.loadFinished(True)``. The process has not imported QtWebEngine
    before that click, so the first checkin also imports it."""
    import json

    from benchmarks.harness import BENCH_PREFIX

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.submit_child", "--submits", "2"],
        capture_output=True, text=True, env=env, timeout=180,
    )  # fmt: skip
    lines = result.stdout.splitlines()
    records = [json.loads(line[len(BENCH_PREFIX) :]) for line in lines if line.startswith(BENCH_PREFIX)]
    submits = [r for r in records if r.get("op") == "submit"]
    assert [r["cold"] for r in submits] == [True, False], (result.stdout, result.stderr[-3000:])
    assert all(r["ms"] > 0 for r in submits)
