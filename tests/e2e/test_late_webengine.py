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
from payout_desk.ui.checkin_view import CHECKIN_RETURN_URL, CheckinDialog

dialog = CheckinDialog(sys.argv[1], provider_base_url=sys.argv[2], payment_id=sys.argv[3])
dialog.page.loadFinished.connect(lambda ok: (print("loaded", ok, flush=True), app.quit()))
dialog.show()
QTimer.singleShot(30000, app.quit)
app.exec()
"""


def test_checkin_page_loads_with_webengine_imported_after_the_application(
    sandbox_server: Any, api_client: httpx.Client
) -> None:
    from payout_desk.ui.checkin_view import CHECKIN_RETURN_URL

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
