"""The reconciliation dialog: a person resolves a ``needs_reconciliation`` payout — one that cannot
be resent safely by itself (past its key's retention with no usable reference).

* "Found at the provider": the person types the payment id shown in the provider's dashboard; the
  desk reads it (GET) and applies it only if its amount, currency and reference match, then
  follows it. A payment that does not fit is refused with the reason; nothing changes.
* "Not at the provider": asked a second time (the default answer is No), recorded with the person's
  name, then sent without a key and with its reference, so a payout that did exist is replayed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from payout_desk.ui.style.status import status_style

log = logging.getLogger(__name__)

NOT_FOUND_QUESTION = (
    "Send this payout again?\n\n"
    "Only if you checked the provider's dashboard and it is NOT there. It is sent without its old key "
    "and with the same reference, so if the provider does hold it after all, the provider answers with "
    "that payout instead of paying twice. Your decision is recorded with your name."
)
#: The same question for a payout without a reference: nothing lets the provider recognise it.
NOT_FOUND_NO_REFERENCE_QUESTION = (
    "Send this payout again?\n\n"
    "Only if you checked the provider's dashboard and it is NOT there. This payout has no reference, "
    "so the provider cannot recognise it: if it does hold it after all, it is paid twice. "
    "Your decision is recorded with your name."
)


def ask_yes_no(parent: QWidget, title: str, question: str) -> bool:
    """A window-modal question whose default answer is No; True for Yes."""
    answer = QMessageBox.question(
        parent, title, question,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
    )  # fmt: skip
    return answer == QMessageBox.StandardButton.Yes


class ReconcileDialog(QDialog):
    """Resolve one ``needs_reconciliation`` payout; ``resolved`` carries the updated record."""

    resolved = Signal(object)

    def __init__(
        self, desk: Any, record: Any, parent: QWidget | None = None, *, confirm: Callable[[str], bool] | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reconcileDialog")
        self.setWindowTitle("Reconcile payout")
        self.setAccessibleName("Reconcile payout")
        self._desk = desk
        self.record = record
        self._confirm = confirm or self._ask
        self.task: asyncio.Future[None] | None = None
        layout = QVBoxLayout(self)
        amount = f"{record.amount} {record.currency}"
        title = QLabel(
            f"Payout #{record.local_id}: {amount}" + (f" — {record.description}" if record.description else "")
        )
        title.setObjectName("reconcileTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        why = QLabel(record.last_error or "This payout cannot be resent safely by itself.", self)
        why.setObjectName("reconcileExplanation")
        why.setWordWrap(True)
        why.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(why)
        form = QFormLayout()
        self.payment_id_edit = QLineEdit(self)
        self.payment_id_edit.setObjectName("reconcilePaymentIdEdit")
        self.payment_id_edit.setAccessibleName("Payment id shown by the provider")
        self.payment_id_edit.setPlaceholderText("pay_…")
        label = QLabel("&Payment id at the provider:", self)
        label.setBuddy(self.payment_id_edit)
        form.addRow(label, self.payment_id_edit)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.found_button = QPushButton("Found at the provider", self)
        self.found_button.setObjectName("reconcileFoundButton")
        self.found_button.setAccessibleName("The provider holds this payout under the payment id entered")
        self.not_found_button = QPushButton("Not at the provider…", self)
        self.not_found_button.setObjectName("reconcileNotFoundButton")
        self.not_found_button.setAccessibleName("The provider does not hold this payout: send it")
        close = QPushButton("Close", self)
        close.clicked.connect(self.reject)
        buttons.addWidget(self.found_button)
        buttons.addWidget(self.not_found_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.message = QLabel(self)
        self.message.setObjectName("reconcileMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setStyleSheet(f"color: {status_style('failed').color.name()};")
        layout.addWidget(self.message)
        self.found_button.clicked.connect(self._found)
        self.not_found_button.clicked.connect(self._not_found)
        self.payment_id_edit.textChanged.connect(lambda text: self.found_button.setEnabled(bool(text.strip())))
        self.found_button.setEnabled(False)
        self.setMinimumWidth(600)
        self.resize(600, 330)  # room for the wrapped explanation and a refusal message

    def _ask(self, question: str) -> bool:
        return ask_yes_no(self, "Not at the provider", question)

    def _found(self) -> None:
        payment_id = self.payment_id_edit.text().strip()
        self.task = asyncio.ensure_future(self._run(self._desk.reconcile_found(self.record.local_id, payment_id)))

    def _not_found(self) -> None:
        question = NOT_FOUND_QUESTION if self.record.external_id else NOT_FOUND_NO_REFERENCE_QUESTION
        if not self._confirm(question):
            return
        reason = "a person confirmed twice that the provider does not hold it"
        self.task = asyncio.ensure_future(
            self._run(self._desk.reconcile_not_found(self.record.local_id, reason=reason))
        )

    async def _run(self, action: Any) -> None:
        self.found_button.setEnabled(False)
        self.not_found_button.setEnabled(False)
        self.message.setText("Checking with the provider…")
        try:
            updated = await action
        except Exception as exc:
            log.warning("reconciliation of payout %s refused: %s", self.record.local_id, exc)
            self.message.setText(getattr(exc, "user_message", None) or "That did not work; nothing was changed.")
            self.found_button.setEnabled(bool(self.payment_id_edit.text().strip()))
            self.not_found_button.setEnabled(True)
            return
        self.message.setText("")
        self.resolved.emit(updated)
        self.accept()
