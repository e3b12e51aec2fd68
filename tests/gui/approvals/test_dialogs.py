"""The approval and rejection dialogs (issue 21): the amount as the confirmation shows it, the warnings, the
retype at or above the threshold, Enter never approves, a rejection needs a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QPushButton

from payout_desk.domain.approval_warnings import ApprovalWarning
from payout_desk.domain.approvals import ApprovalDecision, ApprovalRequest
from payout_desk.domain.money import Money, currency
from payout_desk.ui.approvals.dialogs import ApproveDialog, RejectDialog

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def request(amount: str = "15000.00", code: str = "EUR", **kw: Any) -> ApprovalRequest:
    values: dict[str, Any] = {
        "local_id": 12, "description": "Invoice 2026-118", "recipient": "Ada Lovelace", "reference": "INV-118",
        "prepared_by": "pia", "confirmed_at": NOW, "required": 2, "decisions": (), "body_hash": "ab" * 32,
        "expires_at": NOW + timedelta(days=7),
    }  # fmt: skip
    values.update(kw)
    return ApprovalRequest(amount=Money(Decimal(amount), currency(code)), **values)


WARNINGS = [
    ApprovalWarning("far_above", "Far above usual: €15,000.00 is 7.5× the largest payout …", serious=True),
    ApprovalWarning("history", "1 earlier payout to this recipient in EUR …", serious=False),
]


def test_the_approval_shows_the_amount_as_the_confirmation_does(qtbot: Any) -> None:
    dialog = ApproveDialog(request(), WARNINGS, locale_name="de_DE", retype_threshold=Decimal("10000"))
    qtbot.addWidget(dialog)
    assert dialog.findChild(QLabel, "approvalAmount").text() == "15.000,00\xa0€"
    assert dialog.findChild(QLabel, "approvalWireAmount").text() == "Euro (EUR) · sent as 15000.00 EUR"
    assert dialog.findChild(QLabel, "approvalRecipient").text() == "Ada Lovelace"
    assert dialog.findChild(QLabel, "approvalReference").text() == "INV-118"
    assert dialog.findChild(QLabel, "approvalPreparedBy").text().startswith("pia, confirmed ")
    assert dialog.findChild(QLabel, "approvalDecisions").text() == "0 of 2 approvals"
    warnings = dialog.findChild(QLabel, "approvalWarnings").text()
    assert warnings.splitlines() == ["⚠ " + WARNINGS[0].text, "ℹ " + WARNINGS[1].text]


def test_at_the_threshold_the_approver_retypes_and_enter_never_approves(qtbot: Any) -> None:
    dialog = ApproveDialog(request(), [], retype_threshold=Decimal("15000.00"))
    qtbot.addWidget(dialog)
    dialog.show()
    button = dialog.findChild(QPushButton, "approveConfirmButton")
    edit = dialog.findChild(QLineEdit, "approvalRetypeEdit")
    assert not button.isDefault()
    assert not button.autoDefault()
    assert not button.isEnabled()
    qtbot.keyClicks(edit, "15,000.00")  # grouping separators are refused, as in the form
    assert not button.isEnabled()
    assert dialog.findChild(QLabel, "approvalRetypeError").text()
    edit.clear()
    qtbot.keyClicks(edit, "1500.00")
    assert not button.isEnabled()
    assert dialog.findChild(QLabel, "approvalRetypeError").text() == "This is not the same amount."
    edit.clear()
    qtbot.keyClicks(edit, "15000")
    assert button.isEnabled()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClick(dialog, Qt.Key.Key_Enter)
    assert dialog.isVisible()
    assert dialog.result() == 0
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_below_the_threshold_no_retype_but_still_no_default_button(qtbot: Any) -> None:
    decided = request(required=2, decisions=(ApprovalDecision("ann", NOW, True, None, "ab" * 32),))
    dialog = ApproveDialog(decided, [], retype_threshold=Decimal("20000"))
    qtbot.addWidget(dialog)
    assert dialog.findChild(QLineEdit, "approvalRetypeEdit") is None
    assert dialog.findChild(QLabel, "approvalWarnings").text() == "Nothing unusual found."
    assert dialog.findChild(QLabel, "approvalDecisions").text().startswith("1 of 2 approvals: approved by ann (")
    button = dialog.findChild(QPushButton, "approveConfirmButton")
    assert button.isEnabled()
    assert not button.isDefault()
    assert not button.autoDefault()
    assert dialog.focusWidget() is dialog.cancel_button


def test_a_rejection_needs_a_reason(qtbot: Any) -> None:
    dialog = RejectDialog(request())
    qtbot.addWidget(dialog)
    dialog.show()
    button = dialog.findChild(QPushButton, "rejectConfirmButton")
    edit = dialog.findChild(QPlainTextEdit, "rejectReasonEdit")
    assert not button.isEnabled()
    qtbot.keyClicks(edit, "   ")
    assert not button.isEnabled()
    qtbot.keyClicks(edit, "Wrong IBAN on the invoice")
    assert button.isEnabled()
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert dialog.isVisible()
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dialog.reason == "Wrong IBAN on the invoice"


def test_a_long_pasted_reason_is_kept_whole_counted_and_never_sent_cut(qtbot: Any) -> None:
    """F32: 600 pasted characters stay 600 (the box is not a QLineEdit with maxLength 500 any more), the counter
    says so in red and Reject waits until the reason fits."""
    dialog = RejectDialog(request())
    qtbot.addWidget(dialog)
    dialog.show()
    button = dialog.findChild(QPushButton, "rejectConfirmButton")
    edit = dialog.findChild(QPlainTextEdit, "rejectReasonEdit")
    counter = dialog.findChild(QLabel, "rejectReasonCounter")
    assert counter.isVisible()
    assert counter.text() == "0 / 500"
    edit.insertPlainText("The invoice was paid already.\n" + "x" * 570)  # as a paste does
    assert len(edit.toPlainText()) == 600
    assert counter.text() == "600 / 500 — 100 too many: shorten it"
    assert not button.isEnabled()
    edit.setPlainText("  " + "y" * 500 + "\n")
    assert counter.text() == "500 / 500"
    assert button.isEnabled()
    assert dialog.reason == "y" * 500


def test_the_approval_lists_every_other_field_the_hash_covers(qtbot: Any) -> None:
    """F26: metadata, redirectUrl, webhookUrl and customer.id are in the body the approval's hash covers; the
    approver sees them."""
    body = (
        '{"amount":"15000.00","currency":"EUR","type":"payout","description":"Invoice 2026-118",'
        '"customer":{"id":"cus_77","name":"Ada Lovelace"},"externalId":"INV-118",'
        '"metadata":{"order":"118","cost centre":"ops"},"redirectUrl":"https://shop.example/back",'
        '"webhookUrl":"https://hooks.elsewhere.example/x"}'
    )
    dialog = ApproveDialog(request(body=body), [], retype_threshold=Decimal("20000"))
    qtbot.addWidget(dialog)
    shown = dialog.findChild(QLabel, "approvalBodyFields")
    assert shown.text().splitlines() == ["customer.id: cus_77"]
    assert shown.accessibleName() == "Also in the body: customer.id: cus_77"
    # N7: the addresses elsewhere first, each with why; the metadata in its own box with its count
    assert dialog.findChild(QPlainTextEdit, "approvalDangerFields").toPlainText().splitlines() == [
        "redirectUrl: https://shop.example/back   ← the payee is sent to this address after the checkin",
        "webhookUrl: https://hooks.elsewhere.example/x   ← the provider sends this payout's events to this address",
    ]
    assert dialog.findChild(QLabel, "approvalMetadataCount").text() == "2 metadata entries"
    metadata = dialog.findChild(QPlainTextEdit, "approvalMetadataFields").toPlainText()
    assert metadata.splitlines() == ["order: 118", "cost centre: ops"]
    plain = '{"amount":"1.00","currency":"EUR","type":"payout","customer":{"name":"Ada"}}'
    other = ApproveDialog(request(body=plain), [], retype_threshold=Decimal("20000"))
    qtbot.addWidget(other)
    assert other.findChild(QLabel, "approvalBodyFields").text() == "nothing else: all of it is above"
