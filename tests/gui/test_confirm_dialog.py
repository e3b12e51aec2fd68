"""The confirmation shows exactly what is sent, needs an explicit click, and Enter never confirms."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QLineEdit, QPushButton, QWidget

from payout_desk.domain.duplicates import DuplicateMatch, PastPayout
from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
from payout_desk.services.settings import AppSettings
from payout_desk.ui.sending.confirm_dialog import ConfirmDialog
from payout_desk.ui.sending.payout_form import PayoutForm
from payout_desk.ui.sending.submit_flow import retype_threshold

RETURN_URL = "https://checkin-return.payout-desk.invalid/done"


def request(amount: str = "1234.5", code: str = "EUR", **extra: Any) -> PayoutRequest:
    result = validate_draft(
        PayoutDraft(
            amount=amount,
            currency=code,
            description=extra.get("description", "Refund order 1042"),
            recipient_id=extra.get("recipient_id", "cus_77"),
            recipient_name=extra.get("recipient_name", "Ada Lovelace"),
            external_id=extra.get("external_id", "ref-1"),
            metadata=extra.get("metadata", ()),
            redirect_url=RETURN_URL,
        )
    )
    assert isinstance(result, PayoutRequest)
    return result


def open_dialog(qtbot: Any, req: PayoutRequest, **kwargs: Any) -> ConfirmDialog:
    kwargs.setdefault("environment", "sandbox")
    dialog = ConfirmDialog(req, **kwargs)
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.activateWindow()
    qtbot.waitExposed(dialog)
    return dialog


def label(dialog: ConfirmDialog, name: str) -> str:
    found = dialog.findChild(QLabel, name)
    assert found is not None, name
    return found.text()


@pytest.mark.parametrize(
    ("locale", "shown"),
    [("en_US", "€1,234.50"), ("de_DE", "1.234,50\xa0€"), ("fr_FR", "1\u202f234,50\xa0€")],
)
def test_shows_exactly_the_request_in_the_users_locale(qtbot: Any, locale: str, shown: str) -> None:
    req = request(metadata=(("order", "1042"),))
    dialog = open_dialog(qtbot, req, locale_name=locale)
    assert dialog.objectName() == "confirmDialog"
    assert label(dialog, "confirmAmount") == shown
    assert "sent as 1234.50 EUR" in label(dialog, "confirmWireAmount")
    assert "(EUR)" in label(dialog, "confirmWireAmount")
    assert label(dialog, "confirm_recipient") == "Ada Lovelace · ID cus_77"
    assert label(dialog, "confirm_description") == "Refund order 1042"
    assert label(dialog, "confirm_reference") == "ref-1"
    assert label(dialog, "confirm_metadata") == "order = 1042"
    assert label(dialog, "confirm_environment") == "SANDBOX"
    assert label(dialog, "confirmEnvironment") == "SANDBOX"
    assert req.to_body()["amount"] == "1234.50"


def test_zero_and_three_digit_currencies_are_shown_with_their_digits(qtbot: Any) -> None:
    jpy = open_dialog(qtbot, request("5000", "JPY"), locale_name="en_US")
    assert label(jpy, "confirmAmount") == "¥5,000"
    assert "sent as 5000 JPY" in label(jpy, "confirmWireAmount")
    bhd = open_dialog(qtbot, request("1.5", "BHD"), locale_name="en_US")
    assert "sent as 1.500 BHD" in label(bhd, "confirmWireAmount")
    assert "1.500" in label(bhd, "confirmAmount")


def test_live_shows_the_profile(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, request("10"), environment="live", profile="Acme Live")
    assert label(dialog, "confirmEnvironment") == "LIVE — Acme Live"


def test_enter_never_confirms(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, request("10"))
    confirm = dialog.findChild(QPushButton, "confirmButton")
    cancel = dialog.findChild(QPushButton, "cancelButton")
    for button in dialog.findChildren(QPushButton):
        assert not button.isDefault()
        assert not button.autoDefault()
    qtbot.waitUntil(cancel.hasFocus, timeout=2000)  # Cancel has the focus
    accepted: list[int] = []
    dialog.accepted.connect(lambda: accepted.append(1))
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.keyClick(dialog, Qt.Key.Key_Enter)
    qtbot.keyClick(cancel, Qt.Key.Key_Return)
    confirm.setFocus()
    qtbot.keyClick(confirm, Qt.Key.Key_Return)  # even on the confirm button itself
    assert accepted == []
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.keyClick(dialog, Qt.Key.Key_C, Qt.KeyboardModifier.AltModifier)  # the explicit shortcut
    assert dialog.result() == QDialog.DialogCode.Accepted


def test_click_confirms(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, request("10"))
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.mouseClick(dialog.findChild(QPushButton, "confirmButton"), Qt.MouseButton.LeftButton)


def test_retype_above_threshold_enables_confirm_only_on_an_exact_match(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, request("25000"), retype_threshold=Decimal("10000"))
    confirm = dialog.findChild(QPushButton, "confirmButton")
    retype = dialog.findChild(QLineEdit, "retypeAmountEdit")
    assert retype is not None
    assert not confirm.isEnabled()
    retype.setFocus()
    for wrong in ("2500", "25,000.00", "25000.001", "250000"):
        retype.clear()
        qtbot.keyClicks(retype, wrong)
        assert not confirm.isEnabled(), wrong
    retype.clear()
    qtbot.keyClicks(retype, "25000.00")
    assert confirm.isEnabled()
    accepted: list[int] = []
    dialog.accepted.connect(lambda: accepted.append(1))
    qtbot.keyClick(retype, Qt.Key.Key_Return)  # Enter in the retype field does not confirm either
    assert accepted == []
    below = open_dialog(qtbot, request("9999.99"), retype_threshold=Decimal("10000"))
    assert below.findChild(QLineEdit, "retypeAmountEdit") is None
    assert below.findChild(QPushButton, "confirmButton").isEnabled()


def test_cancel_keeps_everything_typed(qtbot: Any) -> None:
    form = PayoutForm(redirect_url=RETURN_URL, recent_currencies=["EUR"], locale=QLocale("en_US"))
    qtbot.addWidget(form)
    form.show()
    form.set_ready(True)
    qtbot.keyClicks(form.amount_edit, "42.10")
    qtbot.keyClicks(form.description_edit, "Invoice 7")
    qtbot.keyClicks(form.recipient_name_edit, "Grace Hopper")
    form.metadata_editor.add_row("k", "v")
    reference = form.external_id_edit.text()
    with qtbot.waitSignal(form.submitRequested, timeout=1000) as blocker:
        qtbot.mouseClick(form.submit_button, Qt.MouseButton.LeftButton)
    dialog = open_dialog(qtbot, blocker.args[0])
    with qtbot.waitSignal(dialog.rejected, timeout=1000):
        qtbot.mouseClick(dialog.findChild(QPushButton, "cancelButton"), Qt.MouseButton.LeftButton)
    assert form.amount_edit.text() == "42.10"
    assert form.description_edit.text() == "Invoice 7"
    assert form.recipient_name_edit.text() == "Grace Hopper"
    assert form.metadata_editor.rows() == (("k", "v"),)
    assert form.external_id_edit.text() == reference
    assert form.submit_button.isEnabled()


def past_payout(local_id: int, amount: str, status: str = "succeeded", **kw: Any) -> DuplicateMatch:
    values: dict[str, Any] = {
        "currency": "EUR", "recipient_id": "cus_77", "recipient_name": "Ada Lovelace",
        "description": "Refund order 1042", "created_by": "jdoe",
    }  # fmt: skip
    values.update(kw)
    past = PastPayout(local_id, datetime(2026, 12, 6, 2, 30, tzinfo=UTC), Decimal(amount), status=status, **values)
    return DuplicateMatch(past, "recipient")


def test_a_duplicate_warning_needs_the_send_anyway_tick(qtbot: Any) -> None:
    matches = [past_payout(7, "1234.50"), past_payout(3, "1230.00", "pending")]
    dialog = open_dialog(qtbot, request(), duplicates=matches)
    confirm = dialog.findChild(QPushButton, "confirmButton")
    warning = dialog.findChild(QWidget, "duplicateWarning")
    assert warning is not None
    assert warning.isVisible()
    listed = label(dialog, "duplicateList")
    assert "€1,234.50 to Ada Lovelace · Succeeded · sent by jdoe" in listed
    assert "€1,230.00 to Ada Lovelace · Pending" in listed
    assert "payout #7" in listed
    assert "payout #3" in listed
    assert "2 payouts already made in the last 90 days" in label(dialog, "duplicateWarningTitle")
    tick = dialog.findChild(QCheckBox, "sendAnywayCheck")
    assert not confirm.isEnabled()
    qtbot.mouseClick(tick, Qt.MouseButton.LeftButton)
    assert tick.isChecked()
    assert confirm.isEnabled()
    qtbot.mouseClick(tick, Qt.MouseButton.LeftButton)
    assert not confirm.isEnabled()
    tick.setChecked(True)
    assert dialog.duplicates_shown == [7, 3]
    with qtbot.waitSignal(dialog.accepted, timeout=1000):
        qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)


def test_a_duplicate_and_a_retype_both_gate_confirm(qtbot: Any) -> None:
    matches = [past_payout(1, "25000")]
    dialog = open_dialog(qtbot, request("25000"), retype_threshold=Decimal("10000"), duplicates=matches)
    confirm = dialog.findChild(QPushButton, "confirmButton")
    dialog.findChild(QCheckBox, "sendAnywayCheck").setChecked(True)
    assert not confirm.isEnabled()  # the retype is still missing
    qtbot.keyClicks(dialog.findChild(QLineEdit, "retypeAmountEdit"), "25000")
    assert confirm.isEnabled()
    dialog.findChild(QCheckBox, "sendAnywayCheck").setChecked(False)
    assert not confirm.isEnabled()
    plain = open_dialog(qtbot, request())
    assert plain.findChild(QWidget, "duplicateWarning") is None
    assert plain.duplicates_shown == []


@pytest.mark.parametrize(
    ("amount", "code", "asks"),
    [("98000", "JPY", False), ("9999.000", "BHD", True), ("3999.999", "BHD", False), ("10", "PEN", True)],
)
def test_retype_thresholds_are_per_currency(qtbot: Any, amount: str, code: str, asks: bool) -> None:
    settings = AppSettings()
    dialog = open_dialog(qtbot, request(amount, code), retype_threshold=retype_threshold(settings, code))
    assert (dialog.findChild(QLineEdit, "retypeAmountEdit") is not None) is asks
    assert dialog.findChild(QPushButton, "confirmButton").isEnabled() is not asks


def test_the_retype_error_is_never_cut_off(qtbot: Any) -> None:
    dialog = open_dialog(qtbot, request("25000"), retype_threshold=Decimal("10000"))
    retype = dialog.findChild(QLineEdit, "retypeAmountEdit")
    qtbot.keyClicks(retype, "25000,00")
    error = dialog.findChild(QLabel, "retypeError")
    assert error.text() == "Amount: use a dot as the decimal separator — type 25000.00."
    assert error.wordWrap()
    qtbot.waitUntil(lambda: error.height() >= error.heightForWidth(error.width()), timeout=1000)
    assert error.width() <= dialog.width()  # wrapped inside the dialog, every word shown
