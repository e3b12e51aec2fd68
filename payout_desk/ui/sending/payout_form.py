"""The payout form: what a person types, checked live against the domain rules.

The form builds a :class:`PayoutDraft` and calls :func:`validate_draft` on every change; the
submit button is enabled only when that returns a :class:`PayoutRequest`. An error appears under
its field (red text and an icon, the rule's own sentence) only once the field was touched or a
submit was tried. Nothing typed is lost: the values stay until :meth:`PayoutForm.clear_for_next`.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from payout_desk.domain.money import Currency, UnknownCurrencyError, currency
from payout_desk.domain.payout import (
    MAX_TEXT_LENGTH,
    FieldError,
    PayoutDraft,
    PayoutRequest,
    text_length,
    validate_draft,
)
from payout_desk.ui.sending.currency_picker import CurrencyPicker
from payout_desk.ui.sending.form_fields import (
    ERROR_COLOR,
    FieldErrorLabel,
    amount_hint,
    amount_row_widgets,
    buddy_label,
    disclosure_button,
    field_stack,
    line_edit,
    locale_separators,
    push_button,
    reference_link,
    scaled_label,
)
from payout_desk.ui.sending.metadata_editor import MetadataEditor


class PayoutForm(QWidget):
    """The form. :attr:`submitRequested` carries the validated :class:`PayoutRequest`."""

    submitRequested = Signal(object)
    validityChanged = Signal(bool)
    showPayoutRequested = Signal(int, str)  # local id, reference: "Show payout #N" under a used reference

    def __init__(
        self,
        *,
        redirect_url: str,
        recent_currencies: Sequence[str] = (),
        locale: QLocale | None = None,
        localize_names: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("payoutForm")
        self._locale = locale or QLocale()
        self.locale_name = self._locale.name()
        self.decimal_separators = locale_separators(self._locale)
        self._redirect_url = redirect_url
        self._touched: set[str] = set()
        self._submit_tried = False
        self._ready = False
        self._busy = False
        self._not_ready_reason = "Connecting…"
        self._last_valid = False
        self._result: PayoutRequest | list[FieldError] = []
        self._build(recent_currencies, localize_names)
        self._connect()
        self.new_external_id()
        self._revalidate()

    # -- construction ------------------------------------------------------------------------
    def _build(self, recent: Sequence[str], localize_names: bool) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        outer.addWidget(scaled_label(self, "New payout", "formTitle", 1.3, bold=True))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setVerticalSpacing(10)
        outer.addLayout(form)
        self.errors: dict[str, FieldErrorLabel] = {}

        # Amount + currency on one row; errors and the currency's rule under it.
        self.currency_combo = CurrencyPicker(recent, locale_name=self.locale_name, localize=localize_names, parent=self)
        self.amount_edit, amount_row, self.amount_hint = amount_row_widgets(self, self.currency_combo)
        form.addRow(
            buddy_label(self, "&Amount", self.amount_edit),
            field_stack(self, amount_row, ["amount", "currency"], self.errors, self.amount_hint),
        )

        self.description_edit = line_edit(
            self,
            "descriptionEdit",
            "Description",
            "What the payout is for; the recipient may see it",
            "e.g. Refund order 1042",
        )
        self.description_counter = QLabel(self)
        self.description_counter.setObjectName("descriptionCounter")
        self.description_counter.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.description_counter.setAccessibleName("Description length")
        form.addRow(
            buddy_label(self, "&Description", self.description_edit),
            field_stack(self, self.description_edit, ["description"], self.errors, self.description_counter),
        )

        self.recipient_id_edit = line_edit(
            self, "recipientIdEdit", "Recipient ID", "Optional: your identifier of the recipient", "optional"
        )
        form.addRow(
            buddy_label(self, "Recipient &ID", self.recipient_id_edit),
            field_stack(self, self.recipient_id_edit, ["customer.id"], self.errors),
        )
        self.recipient_name_edit = line_edit(
            self, "recipientNameEdit", "Recipient name", "Optional: the recipient's name", "optional"
        )
        form.addRow(
            buddy_label(self, "Recipient &name", self.recipient_name_edit),
            field_stack(self, self.recipient_name_edit, ["customer.name"], self.errors),
        )

        self.external_id_edit = line_edit(
            self,
            "externalIdEdit",
            "Your reference",
            "Your own reference for this payout (externalId); a new one is made for each payout",
        )
        self.new_reference_button = push_button(
            self, "New", "newExternalIdButton", "New reference", "Replaces your reference with a fresh unique one"
        )
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.external_id_edit, 1)
        ref_row.addWidget(self.new_reference_button)
        self.reference_link = reference_link(self, self.showPayoutRequested)
        ref_row.addWidget(self.reference_link)
        form.addRow(
            buddy_label(self, "Your &reference", self.external_id_edit),
            field_stack(self, ref_row, ["externalId"], self.errors),
        )

        self.metadata_editor = MetadataEditor(self)
        self.metadata_editor.tab_anchor = self.new_reference_button
        form.addRow(
            buddy_label(self, "Metadata", self.metadata_editor),
            field_stack(self, self.metadata_editor, ["metadata"], self.errors),
        )

        self.advanced_toggle = disclosure_button(
            self, "Advanced", "advancedToggle", "Advanced options", "Shows or hides the webhook address"
        )
        form.addRow("", self.advanced_toggle)
        self.webhook_edit = line_edit(
            self,
            "webhookUrlEdit",
            "Webhook URL",
            "Optional https address the provider notifies when the payout is final",
            "https://… (optional)",
        )
        self.advanced = field_stack(self, self.webhook_edit, ["webhookUrl"], self.errors)
        self.advanced.setObjectName("advancedSection")
        form.addRow(buddy_label(self, "&Webhook URL", self.webhook_edit), self.advanced)
        self._form_layout = form
        form.setRowVisible(self.advanced, False)

        self.general_error = FieldErrorLabel("form", self)
        self.errors["redirectUrl"] = self.general_error
        outer.addWidget(self.general_error)
        outer.addStretch(1)
        bottom = QHBoxLayout()
        self.status_label = QLabel(self)
        self.status_label.setObjectName("formStatus")
        self.status_label.setStyleSheet("color: palette(mid);")
        self.submit_button = push_button(
            self, "Review and send…", "submitButton", "Review and send payout", "Opens the confirmation (Ctrl+Return)"
        )
        self.submit_button.setToolTip("Review and send (Ctrl+Return)")
        self.submit_button.setMinimumHeight(34)
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.submit_button)
        outer.addLayout(bottom)

        chain: list[QWidget] = [self.amount_edit, self.currency_combo, self.description_edit]
        chain += [self.recipient_id_edit, self.recipient_name_edit, self.external_id_edit, self.new_reference_button]
        chain += [self.metadata_editor.add_button, self.advanced_toggle, self.webhook_edit, self.submit_button]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)
        #: Wire field name → its input, in form order.
        self.field_widgets: dict[str, QWidget] = {
            "amount": self.amount_edit, "currency": self.currency_combo, "description": self.description_edit,
            "customer.id": self.recipient_id_edit, "customer.name": self.recipient_name_edit,
            "externalId": self.external_id_edit, "metadata": self.metadata_editor, "webhookUrl": self.webhook_edit,
        }  # fmt: skip

    def _connect(self) -> None:
        self.amount_edit.textEdited.connect(lambda _t: self._touch("amount"))
        self.amount_edit.editingFinished.connect(lambda: self._touch("amount"))
        self.currency_combo.codeChanged.connect(lambda _c: self._revalidate())
        self.currency_combo.activated.connect(lambda _i: self._touch("currency"))
        self.currency_combo.left.connect(lambda: self._touch("currency"))
        self.description_edit.textEdited.connect(lambda _t: self._touch("description"))
        for field, widget in self.field_widgets.items():
            if isinstance(widget, QLineEdit) and widget is not self.amount_edit:
                widget.textChanged.connect(lambda _t: self._revalidate())
                if field != "description":  # checked live; the others once the field is left
                    widget.editingFinished.connect(lambda f=field: self._touch(f))
        self.amount_edit.textChanged.connect(lambda _t: self._revalidate())
        self.metadata_editor.changed.connect(self._on_metadata_changed)
        self.metadata_editor.editingFinished.connect(lambda: self._touch("metadata"))
        self.new_reference_button.clicked.connect(self.new_external_id)
        self.advanced_toggle.toggled.connect(self.set_advanced_visible)
        self.submit_button.clicked.connect(self.attempt_submit)

    # -- state -------------------------------------------------------------------------------
    def draft(self) -> PayoutDraft:
        """Exactly what is typed, as a draft (the return URL is the app's, not the user's)."""
        return PayoutDraft(
            amount=self.amount_edit.text(),
            currency=self.currency_combo.code(),
            description=self.description_edit.text(),
            recipient_id=self.recipient_id_edit.text(),
            recipient_name=self.recipient_name_edit.text(),
            external_id=self.external_id_edit.text(),
            metadata=self.metadata_editor.rows(),
            webhook_url=self.webhook_edit.text(),
            redirect_url=self._redirect_url,
        )

    def validate(self) -> PayoutRequest | list[FieldError]:
        return validate_draft(self.draft(), decimal_separators=self.decimal_separators)

    def shown_errors(self) -> dict[str, str]:
        """Field → the error sentence currently displayed under it."""
        return {field: box.label.text() for field, box in self.errors.items() if not box.isHidden()}

    def is_valid(self) -> bool:
        return isinstance(self._result, PayoutRequest)

    def set_ready(self, ready: bool, reason: str = "") -> None:
        """Whether the connection is up; submit stays disabled (with ``reason`` shown) until it is."""
        self._ready = ready
        self._not_ready_reason = reason
        self._update_submit()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.submit_button.setText("Sending…" if busy else "Review and send…")
        self._update_submit()

    def set_recent_currencies(self, codes: Sequence[str]) -> None:
        self.currency_combo.set_recent(codes)

    def localize_currency_names(self) -> None:
        """Currency names in the user's language (when built with ``localize_names=False``)."""
        self.currency_combo.localize()
        self._update_hint()

    def set_redirect_url(self, url: str) -> None:
        """The app's checkin return address, sent as ``redirectUrl`` (never typed by a person)."""
        self._redirect_url = url
        self._revalidate()

    def set_advanced_visible(self, visible: bool) -> None:
        self._form_layout.setRowVisible(self.advanced, visible)
        self.advanced_toggle.setArrowType(Qt.ArrowType.DownArrow if visible else Qt.ArrowType.RightArrow)
        if self.advanced_toggle.isChecked() != visible:
            self.advanced_toggle.setChecked(visible)

    def new_external_id(self) -> None:
        self.external_id_edit.setText(str(uuid.uuid4()))
        self.external_id_edit.setCursorPosition(0)  # shown from its first characters, not its last

    def show_reference_in_use(self, reference: str, owner: int) -> None:
        """Refuse a reference this connection already used, with a link to that payout."""
        self.errors["externalId"].set_message(self.reference_link.show_owner(owner, reference))
        self.external_id_edit.setFocus()

    def focus_amount(self) -> None:
        self.amount_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.amount_edit.selectAll()

    def clear_for_next(self) -> None:
        """After a successful submit: empty the payout's fields, keep the currency, new reference."""
        for edit in (
            self.amount_edit,
            self.description_edit,
            self.recipient_id_edit,
            self.recipient_name_edit,
            self.webhook_edit,
        ):
            edit.clear()
        self.metadata_editor.clear_rows()
        self.new_external_id()
        self._touched.clear()
        self._submit_tried = False
        self._revalidate()

    def attempt_submit(self) -> None:
        """Submit if everything is valid; otherwise show every error and focus the first one."""
        self._submit_tried = True
        self._revalidate()
        if isinstance(self._result, PayoutRequest):
            if self._ready and not self._busy:
                self.submitRequested.emit(self._result)
            return
        self._focus_first_error()

    # -- internals ---------------------------------------------------------------------------
    def _touch(self, field: str) -> None:
        self._touched.add(field)
        self._revalidate()

    def _on_metadata_changed(self) -> None:
        if any(key or value for key, value in self.metadata_editor.rows()):
            self._touched.add("metadata")
        self._revalidate()

    def _currency(self) -> Currency | None:
        try:
            return currency(self.currency_combo.code())
        except UnknownCurrencyError:
            return None

    def _revalidate(self) -> None:
        self._result = self.validate()
        messages: dict[str, list[str]] = {}
        if isinstance(self._result, list):
            for error in self._result:
                messages.setdefault(error.field, []).append(error.message)
        for field, box in self.errors.items():
            text = "\n".join(messages.get(field, []))
            if not self._should_show(field):
                text = ""
            box.set_message(text)
        if messages.get("webhookUrl") and self._should_show("webhookUrl"):
            self.set_advanced_visible(True)
        self._update_hint()
        self._update_counter()
        self._update_submit()

    def _should_show(self, field: str) -> bool:
        if self._submit_tried:
            return True
        if field not in self._touched:
            return False
        if field == "amount" and self.amount_edit.hasFocus():
            text = self.amount_edit.text().strip()
            # Calm while typing: an empty or half-typed amount ("12.") is not an error yet.
            return bool(text) and text[-1] not in self.decimal_separators
        return True

    def _update_hint(self) -> None:
        cur = self._currency()
        if cur is None:
            self.amount_hint.setText("Choose a currency from the list.")
            self.amount_edit.setPlaceholderText("")
            return
        hint, placeholder = amount_hint(cur, self.currency_combo.name_of(cur.code), self.decimal_separators[-1])
        self.amount_hint.setText(hint)
        self.amount_edit.setPlaceholderText(placeholder)

    def _update_counter(self) -> None:
        length = text_length(self.description_edit.text())
        self.description_counter.setText(f"{length} / {MAX_TEXT_LENGTH}")
        over = length > MAX_TEXT_LENGTH
        self.description_counter.setStyleSheet(
            f"color: {ERROR_COLOR}; font-weight: bold;" if over else "color: palette(mid);"
        )

    def _update_submit(self) -> None:
        valid = isinstance(self._result, PayoutRequest)
        self.submit_button.setEnabled(valid and self._ready and not self._busy)
        if self._busy:
            self.status_label.setText("Sending the payout…")
        elif not self._ready:
            self.status_label.setText(self._not_ready_reason)
        elif not valid:
            self.status_label.setText("Complete the form to review the payout.")
        else:
            self.status_label.setText("Ready to review.")
        if valid != self._last_valid:
            self._last_valid = valid
            self.validityChanged.emit(valid)

    def _focus_first_error(self) -> None:
        if isinstance(self._result, list):
            for error in self._result:
                widget = self.field_widgets.get(error.field)
                if widget is not None:
                    widget.setFocus(Qt.FocusReason.OtherFocusReason)
                    return
