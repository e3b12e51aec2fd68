"""The confirmation: the payout exactly as it will be sent, rendered from the validated request.

Enter never confirms. No button is default or auto-default, Cancel has the focus, and Return/Enter
are swallowed by the dialog; confirming takes a click on ``confirmButton`` or its mnemonic Alt+C.
At or above the currency's retype threshold the person types the amount again and ``confirmButton``
enables only when it is exactly the same amount (same strict parsing as the form: no grouping
separators). When the journal holds near-duplicates (``domain.duplicates``) they are listed and
``confirmButton`` also waits for the "Send anyway" tick (``sendAnywayCheck``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.duplicates import DuplicateMatch
from payout_desk.domain.money import (
    AmountError,
    Currency,
    amount_to_wire,
    display_name,
    format_amount,
    parse_amount,
)
from payout_desk.domain.payout import PayoutRequest
from payout_desk.ui.sending.duplicate_warning import DuplicateWarning
from payout_desk.ui.sending.form_fields import ERROR_COLOR, push_button
from payout_desk.ui.sending.team_checkin import ApprovalNote
from payout_desk.ui.style.banner import LIVE_STYLE, SANDBOX_STYLE


def environment_text(environment: str, profile: str = "") -> str:
    """``SANDBOX`` or ``LIVE — <profile>``."""
    if environment == "live":
        return f"LIVE — {profile}" if profile else "LIVE"
    return "SANDBOX"


def add_amount_lines(
    layout: QVBoxLayout, parent: QWidget, formatted: str, prefix: str, cur: Currency, locale_name: str, wire: str
) -> None:
    """The amount as people read it (large, bold: ``<prefix>Amount``) and the currency's name with the value
    sent on the wire (``<prefix>WireAmount``). Shared by the confirmation and the approval."""
    amount = QLabel(formatted, parent)
    amount.setObjectName(f"{prefix}Amount")
    font = QFont(amount.font())
    font.setPointSizeF(font.pointSizeF() * 2.0)
    font.setBold(True)
    amount.setFont(font)
    amount.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    amount.setAccessibleName(f"Amount {formatted}")
    layout.addWidget(amount)
    currency_line = QLabel(f"{display_name(cur, locale_name)} ({cur.code}) · sent as {wire}", parent)
    currency_line.setObjectName(f"{prefix}WireAmount")
    layout.addWidget(currency_line)


def retype_matches(text: str, amount: Decimal, cur: Currency, decimal_separators: str) -> tuple[bool, str]:
    """Whether the retyped ``text`` is exactly ``amount`` (the form's strict parsing), and the message to show
    ("" while empty or matching). Shared by the confirmation and the approval."""
    if not text.strip():
        return False, ""
    try:
        matches = parse_amount(text, cur, decimal_separators=decimal_separators) == amount
    except AmountError as exc:
        return False, str(exc)
    return matches, "" if matches else "This is not the same amount."


class ConfirmDialog(QDialog):
    """Shows ``request`` and returns Accepted only after an explicit confirmation."""

    def __init__(
        self,
        request: PayoutRequest,
        *,
        environment: str,
        profile: str = "",
        locale_name: str = "en_US",
        decimal_separators: str = ".",
        retype_threshold: Decimal | None = None,
        duplicates: Sequence[DuplicateMatch] = (),
        approval_line: ApprovalNote | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("confirmDialog")
        self.setWindowTitle("Confirm payout")
        self.setAccessibleName("Confirm payout")
        self.setModal(True)
        self.request = request
        self._separators = decimal_separators
        cur = request.currency
        self.formatted_amount = format_amount(request.amount, cur, locale_name)
        self.wire_amount = f"{amount_to_wire(request.amount, cur)} {cur.code}"
        self.retype_required = retype_threshold is not None and request.amount >= retype_threshold
        self._retype_ok = not self.retype_required

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        layout.setSpacing(10)
        env = QLabel(environment_text(environment, profile), self)
        env.setObjectName("confirmEnvironment")
        env.setAlignment(Qt.AlignmentFlag.AlignCenter)
        env.setStyleSheet((LIVE_STYLE if environment == "live" else SANDBOX_STYLE) + "padding: 4px; font-weight: bold;")
        env.setAccessibleName(f"Environment: {env.text()}")
        layout.addWidget(env)

        waits = approval_line is not None and approval_line.waits
        intro = QLabel("You are about to confirm this payout; it is sent once approved:" if waits else
                       "You are about to send this payout:", self)  # fmt: skip
        layout.addWidget(intro)
        add_amount_lines(layout, self, self.formatted_amount, "confirm", cur, locale_name, self.wire_amount)

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        details = QFormLayout()
        details.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.rows: dict[str, str] = {}
        recipient = " · ".join(
            p for p in (request.recipient_name, request.recipient_id and f"ID {request.recipient_id}") if p
        )
        self._row(details, "recipient", "Recipient", recipient)
        self._row(details, "description", "Description", request.description or "")
        self._row(details, "reference", "Your reference", request.external_id or "")
        if request.metadata:
            self._row(details, "metadata", "Metadata", "\n".join(f"{k} = {v}" for k, v in request.metadata.items()))
        if request.webhook_url:
            self._row(details, "webhook", "Webhook URL", request.webhook_url)
        self._row(details, "environment", "Environment", environment_text(environment, profile))
        layout.addLayout(details)

        self.retype_edit: QLineEdit | None = None
        self.retype_error = QLabel(self)
        if self.retype_required:
            box = QVBoxLayout()
            why = (
                f"This is a large payout for {cur.code}."
                if retype_threshold
                else f"No retype threshold is set for {cur.code}, so its amounts are always typed twice."
            )
            hint = QLabel(f"{why} Type the amount again to confirm ({amount_to_wire(request.amount, cur)}):", self)
            hint.setWordWrap(True)
            self.retype_edit = QLineEdit(self)
            self.retype_edit.setObjectName("retypeAmountEdit")
            self.retype_edit.setAccessibleName("Retype the amount")
            self.retype_edit.setAccessibleDescription("Type the amount again; confirming is possible when it matches")
            self.retype_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.retype_edit.textChanged.connect(self._check_retype)
            self.retype_error.setObjectName("retypeError")
            self.retype_error.setStyleSheet(f"color: {ERROR_COLOR};")
            self.retype_error.setWordWrap(True)  # never cut off
            self.retype_error.setTextFormat(Qt.TextFormat.PlainText)
            self.retype_error.setMinimumHeight(2 * self.retype_error.fontMetrics().lineSpacing())
            hint.setBuddy(self.retype_edit)
            box.addWidget(hint)
            box.addWidget(self.retype_edit)
            box.addWidget(self.retype_error)
            layout.addLayout(box)

        self.duplicate_warning: DuplicateWarning | None = None
        if duplicates:
            self.duplicate_warning = DuplicateWarning(duplicates, locale_name, self)
            self.duplicate_warning.overrideChanged.connect(lambda _on: self._update_confirm())
            layout.addWidget(self.duplicate_warning)

        self.approval_label: QLabel | None = None
        if approval_line is not None:  # a team desk: what the team's rules ask, before Confirm
            self.approval_label = QLabel(approval_line.text, self)
            self.approval_label.setObjectName("confirmApprovals")
            self.approval_label.setWordWrap(True)
            self.approval_label.setTextFormat(Qt.TextFormat.PlainText)
            self.approval_label.setAccessibleName(f"Approvals: {approval_line.text}")
            if waits:
                self.approval_label.setStyleSheet("font-weight: bold;")
            layout.addWidget(self.approval_label)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.cancel_button = push_button(
            self, "Cancel", "cancelButton", "Cancel", "Go back to the form; nothing is sent and nothing is lost"
        )
        self.confirm_button = push_button(
            self,
            "&Confirm — send once approved" if waits else "&Confirm and send",
            "confirmButton",
            "Confirm, send once approved" if waits else "Confirm and send",
            f"Confirms {self.wire_amount}; it is sent once approved (Alt+C). Enter does not confirm."
            if waits
            else f"Sends {self.wire_amount} now (Alt+C). Enter does not confirm.",
        )
        self.confirm_button.setToolTip("Click, or press Alt+C. Enter does not confirm.")
        if environment == "live":
            self.confirm_button.setStyleSheet("QPushButton:enabled { font-weight: bold; color: #7d1a15; }")
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button.clicked.connect(self.accept)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.confirm_button)
        layout.addLayout(buttons)
        self._update_confirm()
        self.setMinimumWidth(520 if duplicates else 460)
        (self.retype_edit or self.cancel_button).setFocus(Qt.FocusReason.OtherFocusReason)
        if self.retype_edit is None:
            self.cancel_button.setFocus()

    def _row(self, form: QFormLayout, key: str, label: str, value: str) -> None:
        shown = value or "—"
        widget = QLabel(shown, self)
        widget.setObjectName(f"confirm_{key}")
        widget.setWordWrap(True)
        widget.setTextFormat(Qt.TextFormat.PlainText)
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        widget.setAccessibleName(f"{label}: {shown}")
        self.rows[key] = shown
        form.addRow(f"{label}:", widget)

    def _check_retype(self, text: str) -> None:
        matches, message = retype_matches(text, self.request.amount, self.request.currency, self._separators)
        self.retype_error.setText(message)
        self.retype_error.setAccessibleName(message)
        self._retype_ok = matches
        self._update_confirm()

    def _update_confirm(self) -> None:
        warned = self.duplicate_warning is not None and not self.duplicate_warning.overridden
        self.confirm_button.setEnabled(self._retype_ok and not warned)

    @property
    def duplicates_shown(self) -> list[int]:
        """The near-duplicates warned about (sent anyway if the dialog was accepted)."""
        return [] if self.duplicate_warning is None else self.duplicate_warning.shown_ids

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter alone never confirms (and never triggers any button); Escape still cancels.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)
