"""CheckinDialog against the real sandbox checkin page in QtWebEngine (offscreen): the page loads,
the form is filled and submitted, the redirect to the return URL is caught before it leaves the
machine, other origins and popups are refused, and closing early leaves the payout pending."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog

from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.ui.sending.checkin_view import CHECKIN_RETURN_URL, CheckinDialog, origin_of

LOAD_MS = 20000


def create_payout(api_client: httpx.Client) -> dict[str, Any]:
    body = {"amount": "10.00", "currency": "EUR", "type": "payout", "description": "Checkin test",
            "redirectUrl": CHECKIN_RETURN_URL}  # fmt: skip
    response = api_client.post("/api/payments", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


def open_dialog(qtbot: Any, sandbox: EmbeddedSandbox, payment: dict[str, Any]) -> CheckinDialog:
    dialog = CheckinDialog(payment["url"], provider_base_url=sandbox.base_url, payment_id=payment["id"])
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.page.loadFinished, timeout=LOAD_MS) as loaded:
        dialog.show()
    assert loaded.args == [True]
    return dialog


def run_js(qtbot: Any, dialog: CheckinDialog, script: str) -> Any:
    results: list[Any] = []
    dialog.page.runJavaScript(script, 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    return results[0]


def test_origin_of() -> None:
    assert origin_of("https://Pay.Example.com/x") == ("https", "pay.example.com", 443)
    assert origin_of("http://127.0.0.1:8765/checkin/pay_1") == ("http", "127.0.0.1", 8765)
    assert origin_of("javascript:alert(1)") == ("", "", -1)


FILL_AND_SUBMIT = """
    document.getElementById('holderName').value = 'Jane Doe';
    document.getElementById('iban').value = 'DE89370400440532013000';
    document.getElementById('submitButton').click();
    true;
"""


def test_fill_and_submit_is_caught_at_the_return_url(
    qtbot: Any, sandbox_server: EmbeddedSandbox, api_client: httpx.Client
) -> None:
    payment = create_payout(api_client)
    dialog = open_dialog(qtbot, sandbox_server, payment)
    assert dialog.progress.isHidden()
    assert dialog.origin_label.text().startswith(f"http://127.0.0.1:{QUrl(sandbox_server.base_url).port()}")
    assert dialog.view.objectName() == "checkinView"
    assert dialog.profile.isOffTheRecord()
    assert run_js(qtbot, dialog, "document.getElementById('checkinForm') !== null") is True

    refused: list[str] = []
    urls: list[str] = []
    dialog.navigationRefused.connect(refused.append)
    dialog.page.urlChanged.connect(lambda url: urls.append(url.toString()))
    with qtbot.waitSignal(dialog.completed, timeout=LOAD_MS) as done:
        dialog.page.runJavaScript(FILL_AND_SUBMIT)
    assert done.args == [payment["id"]]
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.was_completed()
    assert not any("invalid" in url for url in urls)  # never navigated to the return host
    assert refused == []

    status = api_client.get(f"/api/payments/{payment['id']}").json()["status"]
    assert status in ("pending", "succeeded")  # submitted: processing, then succeeded


def test_other_origins_and_popups_are_refused_and_closing_early_is_reported(
    qtbot: Any, sandbox_server: EmbeddedSandbox, api_client: httpx.Client
) -> None:
    payment = create_payout(api_client)
    dialog = open_dialog(qtbot, sandbox_server, payment)
    start = dialog.page.url().toString()

    with qtbot.waitSignal(dialog.navigationRefused, timeout=5000) as refused:
        dialog.page.runJavaScript("location.href = 'https://example.org/';")
    assert refused.args == ["https://example.org/"]
    assert dialog.page.url().toString() == start
    assert "example.org" in dialog.notice.text()

    with qtbot.waitSignal(dialog.page.popupRefused, timeout=5000):
        run_js(qtbot, dialog, "String(window.open('https://example.org/popup'))")
    assert "example.org" not in dialog.page.url().toString()  # window.open returns a proxy; nothing opened

    with qtbot.waitSignal(dialog.closedEarly, timeout=2000):
        dialog.close_button.click()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert not dialog.was_completed()
    assert api_client.get(f"/api/payments/{payment['id']}").json()["status"] == "pending"


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("https://evil.example/checkin/pay_x", "https://api.provider.example"),
        ("http://provider.example/checkin/pay_x", None),  # plain http off this machine: never
    ],
)
def test_a_checkin_url_outside_the_provider_is_not_loaded(qtbot: Any, url: str, base: str | None) -> None:
    dialog = CheckinDialog(url, provider_base_url=base, payment_id="pay_x")
    qtbot.addWidget(dialog)
    assert dialog.page.url().toString() in ("", "about:blank")
    assert "not on your payment provider's site" in dialog.notice.text()
    with qtbot.waitSignal(dialog.closedEarly, timeout=2000):
        dialog.reject()


def test_the_checkin_and_settings_dialogs_fit_the_screen(qtbot: Any) -> None:
    """The checkin dialog opened 820 px tall and Settings 640: past the bottom of a 1024×640 screen (and of
    this offscreen one, 800 px). Each now opens no larger than the screen's available area leaves room for."""
    from PySide6.QtGui import QGuiApplication

    from payout_desk.services.secrets import TokenStore
    from payout_desk.services.settings import AppSettings
    from payout_desk.ui.settings.dialog import SettingsDialog

    area = QGuiApplication.primaryScreen().availableGeometry()
    checkin = CheckinDialog("https://evil.example/checkin/pay_x", provider_base_url=None, payment_id="pay_x")
    qtbot.addWidget(checkin)
    settings = SettingsDialog(AppSettings(), TokenStore())
    qtbot.addWidget(settings)
    for dialog in (checkin, settings):
        assert dialog.height() <= area.height() * 0.92, dialog.objectName()
        assert dialog.width() <= area.width() * 0.95, dialog.objectName()
    checkin.reject()
