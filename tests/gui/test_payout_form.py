"""The payout form driven like a person: keystrokes and clicks on the real widgets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QPushButton

from payout_desk.domain.payout import PayoutRequest
from payout_desk.ui.sending.payout_form import PayoutForm

RETURN_URL = "https://checkin-return.payout-desk.invalid/done"


@pytest.fixture
def form(qtbot: Any) -> Iterator[PayoutForm]:
    widget = PayoutForm(redirect_url=RETURN_URL, recent_currencies=["EUR"], locale=QLocale("en_US"))
    qtbot.addWidget(widget)
    widget.resize(560, 700)
    widget.show()
    widget.activateWindow()
    qtbot.waitActive(widget)
    widget.set_ready(True)
    return widget


def edit(form: PayoutForm, name: str) -> QLineEdit:
    found = form.findChild(QLineEdit, name)
    assert found is not None, name
    return found


def pick_currency(qtbot: Any, form: PayoutForm, code: str) -> None:
    combo = form.findChild(QComboBox, "currencyCombo")
    line = combo.lineEdit()
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, code)
    combo.completer().popup().hide()
    qtbot.keyClick(line, Qt.Key.Key_Return)  # confirm the typed text (editingFinished)
    edit(form, "descriptionEdit").setFocus()
    QApplication.processEvents()


def type_amount(qtbot: Any, form: PayoutForm, text: str) -> None:
    amount = edit(form, "amountEdit")
    amount.setFocus()
    amount.selectAll()
    qtbot.keyClick(amount, Qt.Key.Key_Backspace)
    qtbot.keyClicks(amount, text)
    edit(form, "descriptionEdit").setFocus()  # leave the field, as a person would
    QApplication.processEvents()


@pytest.mark.parametrize(
    ("code", "good", "bad"),
    [("EUR", "10.50", "10.505"), ("JPY", "500", "500.5"), ("BHD", "1.250", "1.2505")],
)
def test_amount_is_checked_against_the_currency_minor_units(
    qtbot: Any, form: PayoutForm, code: str, good: str, bad: str
) -> None:
    pick_currency(qtbot, form, code)
    type_amount(qtbot, form, bad)
    submit = form.findChild(QPushButton, "submitButton")
    assert not submit.isEnabled()
    message = form.shown_errors()["amount"]
    assert message.startswith("Amount:")
    assert code in message
    assert form.findChild(QLabel, "amountError").isVisible()
    type_amount(qtbot, form, good)
    assert "amount" not in form.shown_errors()
    assert submit.isEnabled()
    result = form.validate()
    assert isinstance(result, PayoutRequest)
    assert result.currency.code == code
    assert result.to_body()["amount"] == good


def test_grouping_separator_is_an_error_never_a_bigger_amount(qtbot: Any, qapp: Any) -> None:
    # A locale whose decimal symbol is "," accepts "." and "," — yet "1,234.56" is two separators.
    form = PayoutForm(redirect_url=RETURN_URL, recent_currencies=["EUR"], locale=QLocale("de_DE"))
    qtbot.addWidget(form)
    form.show()
    form.set_ready(True)
    assert form.decimal_separators == ".,"
    type_amount(qtbot, form, "1,234.56")
    assert "separator" in form.shown_errors()["amount"]
    assert not form.findChild(QPushButton, "submitButton").isEnabled()
    assert not isinstance(form.validate(), PayoutRequest)
    type_amount(qtbot, form, "1234,56")  # the locale's own decimal comma
    result = form.validate()
    assert isinstance(result, PayoutRequest)
    assert str(result.amount) == "1234.56"


def test_errors_appear_only_after_touch_and_next_to_their_field(qtbot: Any, form: PayoutForm) -> None:
    assert form.shown_errors() == {}
    assert not form.findChild(QPushButton, "submitButton").isEnabled()
    recipient = edit(form, "recipientIdEdit")
    recipient.setFocus()
    qtbot.keyClicks(recipient, "x" * 256)
    assert "customer.id" not in form.shown_errors()  # still typing
    edit(form, "recipientNameEdit").setFocus()
    QApplication.processEvents()
    errors = form.shown_errors()
    assert errors["customer.id"].startswith("Recipient ID: use at most 255 characters")
    assert "amount" not in errors  # untouched fields stay calm
    label = form.findChild(QLabel, "customer_idError")
    assert label.isVisible()
    # the label sits right under the recipient id field
    assert (
        abs(label.mapTo(form, label.rect().topLeft()).y() - recipient.mapTo(form, recipient.rect().bottomLeft()).y())
        < 40
    )


def test_submit_attempt_shows_every_error_and_focuses_the_first(qtbot: Any, form: PayoutForm) -> None:
    with qtbot.assertNotEmitted(form.submitRequested):
        form.attempt_submit()
    assert form.shown_errors()["amount"] == "Amount: enter an amount."
    assert edit(form, "amountEdit").hasFocus()


def test_submit_disabled_until_valid_then_emits_the_request(qtbot: Any, form: PayoutForm) -> None:
    submit = form.findChild(QPushButton, "submitButton")
    assert not submit.isEnabled()
    type_amount(qtbot, form, "25")
    assert submit.isEnabled()
    form.set_ready(False, "Connecting…")
    assert not submit.isEnabled()
    form.set_ready(True)
    with qtbot.waitSignal(form.submitRequested, timeout=1000) as blocker:
        qtbot.mouseClick(submit, Qt.MouseButton.LeftButton)
    request = blocker.args[0]
    assert isinstance(request, PayoutRequest)
    assert request.redirect_url == RETURN_URL
    assert request.external_id == edit(form, "externalIdEdit").text()


def test_description_counter_counts_live(qtbot: Any, form: PayoutForm) -> None:
    counter = form.findChild(QLabel, "descriptionCounter")
    assert counter.text() == "0 / 255"
    qtbot.keyClicks(edit(form, "descriptionEdit"), "Refund order")
    assert counter.text() == "12 / 255"
    qtbot.keyClicks(edit(form, "descriptionEdit"), "x" * 250)
    assert counter.text() == "262 / 255"
    assert form.shown_errors()["description"].startswith("Description: use at most 255 characters")


def test_metadata_budget_and_errors(qtbot: Any, form: PayoutForm) -> None:
    budget = form.findChild(QLabel, "metadataBudget")
    assert budget.text() == "0 / 4096 bytes"
    qtbot.mouseClick(form.findChild(QPushButton, "metadataAddButton"), Qt.MouseButton.LeftButton)
    key, value = form.metadata_editor.editors()[0]
    qtbot.keyClicks(key, "order")
    qtbot.keyClicks(value, "1042")
    assert budget.text() == "16 / 4096 bytes"  # {"order":"1042"}
    value.setText("é" * 2100)  # 4200 bytes in UTF-8
    assert budget.text().endswith("/ 4096 bytes")
    assert int(budget.text().split(" /")[0]) > 4096
    assert "too large" in form.shown_errors()["metadata"]


def test_currency_search_by_name_and_recent_first(qtbot: Any, qapp: Any) -> None:
    form = PayoutForm(redirect_url=RETURN_URL, recent_currencies=["JPY", "CHF", "EUR"], locale=QLocale("en_US"))
    qtbot.addWidget(form)
    form.show()
    combo = form.findChild(QComboBox, "currencyCombo")
    assert combo.codes_in_order()[:3] == ["JPY", "CHF", "EUR"]
    assert combo.itemText(0).startswith("JPY")
    assert combo.code() == "JPY"  # the most recent is preselected
    line = combo.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, "swiss")
    completer = combo.completer()
    assert completer.completionCount() == 1
    assert completer.currentCompletion() == "CHF — Swiss Franc"
    popup = completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=2000)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert combo.code() == "CHF"
    form.set_recent_currencies(["BHD", "JPY"])
    assert combo.codes_in_order()[:2] == ["BHD", "JPY"]
    assert combo.code() == "CHF"  # a rebuild keeps the chosen currency


def test_unknown_currency_text_is_an_error(qtbot: Any, form: PayoutForm) -> None:
    type_amount(qtbot, form, "10")
    pick_currency(qtbot, form, "Dollars")
    assert form.shown_errors()["currency"].startswith("Currency:")
    assert not form.findChild(QPushButton, "submitButton").isEnabled()
    pick_currency(qtbot, form, "usd")
    assert form.currency_combo.code() == "USD"
    assert form.currency_combo.currentText() == "USD — US Dollar"


def test_new_reference_and_clear_for_next(qtbot: Any, form: PayoutForm) -> None:
    ref = edit(form, "externalIdEdit")
    first = ref.text()
    assert len(first) == 36
    qtbot.mouseClick(form.findChild(QPushButton, "newExternalIdButton"), Qt.MouseButton.LeftButton)
    assert ref.text() != first
    type_amount(qtbot, form, "12.00")
    qtbot.keyClicks(edit(form, "descriptionEdit"), "Refund")
    pick_currency(qtbot, form, "USD")
    before = ref.text()
    form.clear_for_next()
    assert edit(form, "amountEdit").text() == ""
    assert edit(form, "descriptionEdit").text() == ""
    assert ref.text() not in ("", before)
    assert form.currency_combo.code() == "USD"
    assert form.shown_errors() == {}


def test_a_generated_reference_shows_its_beginning(qtbot: Any, form: PayoutForm) -> None:
    """The field is narrower than a UUID: a fresh reference is shown from its first characters (the
    part a person reads and compares), not scrolled to its last ones."""
    ref = edit(form, "externalIdEdit")
    assert ref.cursorPosition() == 0
    qtbot.mouseClick(form.findChild(QPushButton, "newExternalIdButton"), Qt.MouseButton.LeftButton)
    assert ref.cursorPosition() == 0
    form.clear_for_next()
    assert ref.cursorPosition() == 0


def test_webhook_lives_under_advanced_and_opens_on_error(qtbot: Any, form: PayoutForm) -> None:
    webhook = edit(form, "webhookUrlEdit")
    assert not webhook.isVisible()
    qtbot.mouseClick(form.advanced_toggle, Qt.MouseButton.LeftButton)
    assert webhook.isVisible()
    webhook.setFocus()
    qtbot.keyClicks(webhook, "http://example.com/hook")
    edit(form, "amountEdit").setFocus()
    QApplication.processEvents()
    assert "https" in form.shown_errors()["webhookUrl"]


def test_every_input_and_button_has_an_accessible_name(form: PayoutForm) -> None:
    for widget in form.findChildren(QLineEdit) + form.findChildren(QPushButton):
        if widget.objectName() == "" and isinstance(widget.parent(), QComboBox):
            continue  # the combo's own line edit is named through the combo
        assert widget.accessibleName(), widget.objectName()
    for name in ("amountEdit", "descriptionEdit", "recipientIdEdit", "recipientNameEdit", "externalIdEdit"):
        assert edit(form, name).accessibleDescription()


def test_tab_order_follows_the_form(qtbot: Any, form: PayoutForm) -> None:
    order = []
    widget = edit(form, "amountEdit")
    while len(order) < 6:
        name = widget.objectName() or widget.parent().objectName()
        if not order or order[-1] != name:  # the combo's inner line edit counts as the combo
            order.append(name)
        widget = widget.nextInFocusChain()
        while not (widget.focusPolicy() & Qt.FocusPolicy.TabFocus) or not widget.isVisibleTo(form):
            widget = widget.nextInFocusChain()
    assert order == [
        "amountEdit",
        "currencyCombo",
        "descriptionEdit",
        "recipientIdEdit",
        "recipientNameEdit",
        "externalIdEdit",
    ]


def test_fields_do_not_move_while_errors_come_and_go(qtbot: Any, form: PayoutForm) -> None:
    watched = ["descriptionEdit", "recipientIdEdit", "recipientNameEdit", "externalIdEdit", "submitButton"]

    def places() -> dict[str, int]:
        for _ in range(3):  # the layout settles in steps (a wrapped label's height for its width)
            QApplication.processEvents()
        found = {name: form.findChild(QLineEdit, name) or form.findChild(QPushButton, name) for name in watched}
        return {name: w.mapTo(form, w.rect().topLeft()).y() for name, w in found.items()}

    before = places()
    type_amount(qtbot, form, "10.505")  # an error line under the amount
    assert form.shown_errors()["amount"]
    assert places() == before
    edit(form, "recipientIdEdit").setText("x" * 300)  # and one under a field further down
    form.attempt_submit()
    assert places() == before
    type_amount(qtbot, form, "10.50")
    edit(form, "recipientIdEdit").setText("cus_1")
    form.attempt_submit()
    assert "amount" not in form.shown_errors()
    assert places() == before


@pytest.mark.parametrize(
    ("locale", "example", "placeholder"), [("en_US", "1234.56", "0.00"), ("de_DE", "1234,56", "0,00")]
)
def test_the_amount_hint_follows_the_locales_decimal_mark(
    qtbot: Any, locale: str, example: str, placeholder: str
) -> None:
    widget = PayoutForm(redirect_url=RETURN_URL, recent_currencies=["EUR"], locale=QLocale(locale))
    qtbot.addWidget(widget)
    assert widget.amount_hint.text().endswith(f"e.g. {example}")
    assert widget.amount_edit.placeholderText() == placeholder
