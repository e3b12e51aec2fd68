"""The approval and the rejection dialogs (issue 21).

The approval shows the payout as the confirmation shows it (amount in the person's locale, the currency's
name, the value sent on the wire), who prepared it and when, the recipient, the reference, the decisions so
far and the warnings (``approvalWarnings``). At or above the currency's retype threshold the approver types
the amount again (``approvalRetypeEdit``). Every other field of the confirmed body the approval's hash
covers is shown too, so an approver approves what they saw (second audit N7): first, under the amount, the
fields to check (``approvalDangerFields``: webhookUrl, a redirectUrl not the desk's own, any field the desk never
writes), then the metadata in a bounded box with its count (``approvalMetadataCount``), then the rest
(``approvalBodyFields``, customer.id …). The details and warnings scroll in ``approvalDetailsScroll``, so the
dialog fits a 1024×640 screen with its buttons in view whatever the body. Enter never approves: no button is
default, Cancel has the focus, Return/Enter are swallowed; approving takes a click on ``approveConfirmButton``
or Alt+A.

The rejection needs a reason (``rejectReasonEdit``, a small multi-line box with a visible ``n / 500`` counter; the
preparer is shown it): ``rejectConfirmButton`` enables only once one is typed and while it fits — a longer one
(pasted, say) is kept whole and marked, never cut — and Enter does not reject either (it starts a new line).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.approval_warnings import ApprovalWarning
from payout_desk.domain.approvals import ApprovalRequest
from payout_desk.domain.body_fields import group_body_fields
from payout_desk.domain.money import format_amount
from payout_desk.ui.approvals.body_boxes import danger_block, metadata_block
from payout_desk.ui.sending.confirm_dialog import add_amount_lines, retype_matches
from payout_desk.ui.sending.form_fields import ERROR_COLOR, push_button
from payout_desk.ui.sending.submit_flow import checkin_return_url

__all__ = [
    "REASON_MAX",
    "WARNING_STYLE",
    "ApproveDialog",
    "RejectDialog",
    "WithdrawDialog",
    "decisions_text",
    "short_time",
    "warnings_text",
]

#: The screen the dialogs must fit (second audit N7), buttons in view.
SCREEN_WIDTH, SCREEN_HEIGHT = 1024, 640
#: The least height left to the scrolling details when the rest of the dialog is tall.
_DETAILS_MIN = 120
#: The longest rejection reason the database takes (``reject()`` in migration 0016), in characters.
REASON_MAX = 500
WARNING_COLOR = "#8a5a00"
#: A label holding serious warnings: dark amber words on a pale amber box.
WARNING_STYLE = (
    f"QLabel {{ color: {WARNING_COLOR}; background: #fff8e1; border: 1px solid #e0c070; border-radius: 4px;"
    " padding: 6px; }"
)


def short_time(at: datetime) -> str:
    """A timestamp in the desk's local time, to the minute."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M")


def decisions_text(request: ApprovalRequest) -> str:
    """The approvals so far in words: "1 of 2 approvals: approved by ann (2026-12-06 09:12)"."""
    head = f"{request.approvals} of {request.required} approval{'' if request.required == 1 else 's'}"
    said = [
        f"{'approved' if d.approved else 'rejected'} by {d.by} ({short_time(d.at)})"
        + (f": {d.reason}" if d.reason else "")
        for d in request.decisions
    ]
    return head + (": " + "; ".join(said) if said else "")


def warnings_text(warnings: Sequence[ApprovalWarning]) -> str:
    """One line per warning, a serious one marked with "⚠", the history line with "ℹ"."""
    return "\n".join(("⚠ " if w.serious else "ℹ ") + w.text for w in warnings)


class _NoEnterDialog(QDialog):
    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter alone never decides (and never triggers any button); Escape still cancels.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    def _head(self, name: str, verb: str, request: ApprovalRequest) -> None:
        self.setObjectName(name)
        self.setWindowTitle(f"{verb} payout #{request.local_id}")
        self.setAccessibleName(self.windowTitle())
        self.setModal(True)
        self.request = request

    def _layout(self) -> QVBoxLayout:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 16)
        return layout

    def _label(self, form: QFormLayout, name: str, label: str, value: str) -> QLabel:
        shown = value or "—"
        widget = QLabel(shown, self)
        widget.setObjectName(name)
        widget.setWordWrap(True)
        widget.setTextFormat(Qt.TextFormat.PlainText)
        widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        widget.setAccessibleName(f"{label}: {shown}")
        form.addRow(f"{label}:", widget)
        return widget

    def _summary(self, layout: QVBoxLayout, request: ApprovalRequest, locale_name: str) -> QVBoxLayout:
        """The amount, the fields to check first, then the details in a scroll area; its layout is returned so
        that a dialog adds what else scrolls (the warnings)."""
        cur = request.amount.currency
        self.formatted_amount = format_amount(request.amount.amount, cur, locale_name)
        self.wire_amount = f"{request.amount.wire} {cur.code}"
        add_amount_lines(layout, self, self.formatted_amount, "approval", cur, locale_name, self.wire_amount)
        groups = group_body_fields(request.body or "", own_redirect=checkin_return_url())
        if groups.dangerous:
            danger_block(self, layout, groups.dangerous, WARNING_STYLE)
        self.details_scroll = QScrollArea(self)
        self.details_scroll.setObjectName("approvalDetailsScroll")
        self.details_scroll.setAccessibleName("Payout details")
        self.details_scroll.setWidgetResizable(True)
        self.details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget(self.details_scroll)
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 0, 0)
        details = QFormLayout()
        details.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self._label(details, "approvalRecipient", "Recipient", request.recipient or "")
        self._label(details, "approvalDescription", "Description", request.description or "")
        self._label(details, "approvalReference", "Reference", request.reference or "")
        if groups.metadata:
            details.addRow("Metadata:", metadata_block(inner, groups.metadata))
        if request.body:  # the rest of what the approval's hash covers, so nothing approved goes unseen
            shown = "\n".join(f"{name}: {value}" for name, value in groups.other) or "nothing else: all of it is above"
            also = self._label(details, "approvalBodyFields", "Also in the body", shown)
            also.setToolTip("The approval covers the whole request body as confirmed, these fields included")
        prepared = f"{request.prepared_by}, confirmed {short_time(request.confirmed_at)}"
        self._label(details, "approvalPreparedBy", "Prepared by", prepared)
        self._label(details, "approvalDecisions", "Approvals", decisions_text(request))
        self._label(details, "approvalExpires", "Expires", short_time(request.expires_at))
        column.addLayout(details)
        self.details_scroll.setWidget(inner)
        layout.addWidget(self.details_scroll, 1)
        return column

    def _fit(self) -> None:
        """Shrink the scrolling details until the dialog fits the screen (at most 1024×640), buttons in view."""
        height, width = SCREEN_HEIGHT, SCREEN_WIDTH
        screen = QGuiApplication.primaryScreen()
        if screen is not None:
            height = min(height, screen.availableGeometry().height())
            width = min(width, screen.availableGeometry().width())
        self.setMaximumSize(width, height)
        inner = self.details_scroll.widget()
        wanted = inner.sizeHint().height() + 2 if inner is not None else _DETAILS_MIN
        self.details_scroll.setMinimumHeight(0)
        self.details_scroll.setMaximumHeight(wanted)
        rest = self.sizeHint().height() - self.details_scroll.sizeHint().height()  # all but the details
        room = max(min(wanted, _DETAILS_MIN), min(wanted, height - rest))  # the details whole when they fit
        self.details_scroll.setMinimumHeight(room)
        self.details_scroll.setMaximumHeight(room)
        self.resize(
            min(max(self.sizeHint().width(), self.minimumWidth()), width), min(self.sizeHint().height(), height)
        )

    def _buttons(self, layout: QVBoxLayout, text: str, name: str, accessible: str, description: str) -> None:
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = push_button(self, "Cancel", f"{name}Cancel", "Cancel", "Close; nothing is decided")
        self.decide_button = push_button(self, text, name, accessible, description)
        self.decide_button.setToolTip(f"{description}. Enter does not {accessible.lower().split()[0]}.")
        self.cancel_button.clicked.connect(self.reject)
        self.decide_button.clicked.connect(self.accept)
        row.addWidget(self.cancel_button)
        row.addWidget(self.decide_button)
        layout.addLayout(row)


class ApproveDialog(_NoEnterDialog):
    """Shows one queued payout and returns Accepted only after an explicit approval."""

    def __init__(
        self,
        request: ApprovalRequest,
        warnings: Sequence[ApprovalWarning],
        *,
        locale_name: str = "en_US",
        decimal_separators: str = ".",
        retype_threshold: Decimal | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._head("approveDialog", "Approve", request)
        self._separators = decimal_separators
        layout = self._layout()
        layout.setSpacing(10)
        layout.addWidget(QLabel(f"{request.prepared_by} asks you to approve this payout:", self))
        scrolled = self._summary(layout, request, locale_name)

        self.warnings = QLabel(warnings_text(warnings) or "Nothing unusual found.", self)
        self.warnings.setObjectName("approvalWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.warnings.setAccessibleName("Warnings")
        self.warnings.setAccessibleDescription(self.warnings.text())
        if any(w.serious for w in warnings):
            self.warnings.setStyleSheet(WARNING_STYLE)
        scrolled.addWidget(self.warnings)

        cur = request.amount.currency
        self.retype_required = retype_threshold is not None and request.amount.amount >= retype_threshold
        self._retype_ok = not self.retype_required
        self.retype_edit: QLineEdit | None = None
        self.retype_error = QLabel(self)
        if self.retype_required:
            hint = QLabel(f"A large payout for {cur.code}. Type the amount again to approve ({request.amount.wire}):")
            hint.setWordWrap(True)
            self.retype_edit = QLineEdit(self)
            self.retype_edit.setObjectName("approvalRetypeEdit")
            self.retype_edit.setAccessibleName("Retype the amount")
            self.retype_edit.setAccessibleDescription("Type the amount again; approving is possible when it matches")
            self.retype_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
            self.retype_edit.textChanged.connect(self._check_retype)
            self.retype_error.setObjectName("approvalRetypeError")
            self.retype_error.setStyleSheet(f"color: {ERROR_COLOR};")
            self.retype_error.setWordWrap(True)
            self.retype_error.setTextFormat(Qt.TextFormat.PlainText)
            hint.setBuddy(self.retype_edit)
            layout.addWidget(hint)
            layout.addWidget(self.retype_edit)
            layout.addWidget(self.retype_error)

        self._buttons(layout, "&Approve", "approveConfirmButton", "Approve", f"Approves {self.wire_amount} (Alt+A)")
        self.decide_button.setEnabled(self._retype_ok)
        self.setMinimumWidth(520)
        self._fit()
        (self.retype_edit or self.cancel_button).setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def approve_button(self) -> QWidget:
        return self.decide_button

    def _check_retype(self, text: str) -> None:
        cur = self.request.amount.currency
        matches, message = retype_matches(text, self.request.amount.amount, cur, self._separators)
        self.retype_error.setText(message)
        self.retype_error.setAccessibleName(message)
        self._retype_ok = matches
        self.decide_button.setEnabled(matches)


class RejectDialog(_NoEnterDialog):
    """Asks for the reason (required: the preparer is shown it) and returns Accepted with :attr:`reason`."""

    def __init__(self, request: ApprovalRequest, *, locale_name: str = "en_US", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._head("rejectDialog", "Reject", request)
        layout = self._layout()
        layout.addWidget(QLabel(f"Reject this payout prepared by {request.prepared_by}? It will never be sent.", self))
        self._summary(layout, request, locale_name)
        hint = QLabel("Rea&son (shown to the preparer):", self)
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setObjectName("rejectReasonEdit")
        self.reason_edit.setAccessibleName("Reason for the rejection")
        self.reason_edit.setAccessibleDescription(
            f"Required, at most {REASON_MAX} characters; the preparer is shown it"
        )
        self.reason_edit.setTabChangesFocus(True)  # Tab moves on to the buttons: keyboard reachable
        lines = self.reason_edit.fontMetrics().lineSpacing()
        self.reason_edit.setFixedHeight(lines * 4 + 12)  # a small box: about four lines
        self.reason_counter = QLabel(self)
        self.reason_counter.setObjectName("rejectReasonCounter")
        self.reason_counter.setAlignment(Qt.AlignmentFlag.AlignRight)
        hint.setBuddy(self.reason_edit)
        layout.addWidget(hint)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.reason_counter)
        self._buttons(layout, "&Reject", "rejectConfirmButton", "Reject", "Rejects the payout with this reason")
        self.reason_edit.textChanged.connect(self._check_reason)
        self._check_reason()
        self.setMinimumWidth(480)
        self._fit()
        self.reason_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def reason(self) -> str:
        return self.reason_edit.toPlainText().strip()

    def _check_reason(self) -> None:
        """The counter (of what is sent: the reason without surrounding blanks) and the Reject button."""
        length = len(self.reason)
        over = length > REASON_MAX
        text = f"{length} / {REASON_MAX}" + (f" — {length - REASON_MAX} too many: shorten it" if over else "")
        self.reason_counter.setText(text)
        self.reason_counter.setAccessibleName(f"Reason length: {text}")
        self.reason_counter.setStyleSheet(
            f"color: {ERROR_COLOR}; font-weight: bold;" if over else "color: palette(mid);"
        )
        self.decide_button.setEnabled(0 < length <= REASON_MAX)


class WithdrawDialog(_NoEnterDialog):
    """Asks before a preparer withdraws their payout (final: it is never sent and the approvals given are lost),
    naming the payout, the amount and the recipient. Cancel has the focus; Enter never withdraws."""

    def __init__(self, request: ApprovalRequest, *, locale_name: str = "en_US", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._head("withdrawDialog", "Withdraw", request)
        layout = self._layout()
        layout.setSpacing(10)
        amount = format_amount(request.amount.amount, request.amount.currency, locale_name)
        to = f" to {request.recipient}" if request.recipient else ""
        given = f" ({request.approvals} of {request.required} so far)" if request.approvals else ""
        self.question = QLabel(
            f"Withdraw payout #{request.local_id}, {amount}{to}?\n"
            f"It will never be sent; the approvals given are lost{given}.",
            self,
        )
        self.question.setObjectName("withdrawQuestion")
        self.question.setWordWrap(True)
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setAccessibleName(self.question.text())
        layout.addWidget(self.question)
        self._buttons(layout, "&Withdraw", "withdrawConfirmButton", "Withdraw", "Withdraws the payout for ever")
        self.cancel_button.setText("&Cancel")
        self.setMinimumWidth(420)
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
