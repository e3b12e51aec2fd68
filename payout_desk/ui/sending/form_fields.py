"""Small building blocks of the payout form: an error line under a field, a named line edit, and
the decimal separators a locale allows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QLocale, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.money import Currency

ERROR_COLOR = "#b3261e"


def locale_separators(locale: QLocale) -> str:
    """The decimal separators a person may type: "." plus the locale's own decimal symbol."""
    point = locale.decimalPoint()
    return "." + (point if point and point != "." and len(point) == 1 else "")


class FieldErrorLabel(QWidget):
    """An icon and a red sentence under a field; hidden when there is nothing to say."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{name}ErrorBox")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.icon = QLabel(self)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(size, size))
        self.icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.label = QLabel(self)
        self.label.setObjectName(f"{name}Error")
        self.label.setWordWrap(True)
        self.label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        self.hide()

    def set_message(self, message: str) -> None:
        self.label.setText(message)
        self.label.setAccessibleName(message)
        self.setVisible(bool(message))

    def message(self) -> str:
        return "" if self.isHidden() else self.label.text()


def line_edit(parent: QWidget, name: str, accessible: str, description: str, placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setAccessibleDescription(description)
    edit.setPlaceholderText(placeholder)
    edit.setClearButtonEnabled(False)
    return edit


def push_button(parent: QWidget, text: str, name: str, accessible: str, description: str) -> QPushButton:
    """A button that never reacts to Enter by itself (no auto-default), with accessible texts."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setAccessibleDescription(description)
    button.setAutoDefault(False)
    button.setDefault(False)
    return button


def buddy_label(parent: QWidget, text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(buddy)
    return label


def field_stack(
    parent: QWidget,
    content: QWidget | QLayout,
    fields: Sequence[str],
    errors: dict[str, FieldErrorLabel],
    extra: QWidget | None = None,
) -> QWidget:
    """``content`` with an optional ``extra`` line and one error line per wire field under it."""
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(3)
    if isinstance(content, QWidget):
        layout.addWidget(content)
    else:
        layout.addLayout(content)
    if extra is not None:
        layout.addWidget(extra)
    # The error lines live in a slot that keeps one line's height even when empty, so a field below
    # never moves when an error comes or goes (only a second line of error text adds height).
    slot = QWidget(box)
    slot.setObjectName(f"{fields[0].replace('.', '_')}ErrorSlot")
    slot_layout = QVBoxLayout(slot)
    slot_layout.setContentsMargins(0, 0, 0, 0)
    slot_layout.setSpacing(2)
    for field in fields:
        error = FieldErrorLabel(field.replace(".", "_"), slot)
        errors[field] = error
        slot_layout.addWidget(error)
    error.label.setText("Xy")  # one line's height, measured as it shows
    slot.setMinimumHeight(error.sizeHint().height())
    error.label.setText("")
    layout.addWidget(slot)
    return box


def amount_hint(cur: Currency, name: str, point: str) -> tuple[str, str]:
    """The rule line under the amount and the placeholder, e.g. ("Euro: 2 decimal places, …", "0.00")."""
    fraction = point + "567"[: cur.minor_units] if cur.minor_units else ""
    places = {0: "no decimal places", 1: "1 decimal place"}.get(cur.minor_units, f"{cur.minor_units} decimal places")
    hint = f"{name}: {places}, no thousands separators — e.g. 1234{fraction}"
    placeholder = "0" + (point + "0" * cur.minor_units if cur.minor_units else "")
    return hint, placeholder


def scaled_label(parent: QWidget, text: str, name: str, scale: float, *, bold: bool = False) -> QLabel:
    label = QLabel(text, parent)
    label.setObjectName(name)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    label.setFont(font)
    return label


def disclosure_button(parent: QWidget, text: str, name: str, accessible: str, description: str) -> QToolButton:
    """A flat, checkable "▸ Advanced" toggle."""
    button = QToolButton(parent)
    button.setObjectName(name)
    button.setText(text)
    button.setCheckable(True)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    button.setArrowType(Qt.ArrowType.RightArrow)
    button.setAutoRaise(True)
    button.setStyleSheet("QToolButton { border: none; }")
    button.setAccessibleName(accessible)
    button.setAccessibleDescription(description)
    return button


def amount_row_widgets(parent: QWidget, currency_picker: QWidget) -> tuple[QLineEdit, QHBoxLayout, QLabel]:
    """The amount edit (large, right-aligned) beside ``currency_picker`` in one row, and the hint line
    that states the currency's rule under them."""
    edit = line_edit(
        parent, "amountEdit", "Amount", "The amount to pay out, digits only, with the currency's decimal places"
    )
    big = QFont(edit.font())
    big.setPointSizeF(big.pointSizeF() * 1.4)
    edit.setFont(big)
    edit.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    currency_picker.setFont(big)
    row = QHBoxLayout()
    row.addWidget(edit, 3)
    row.addWidget(currency_picker, 4)
    hint = QLabel(parent)
    hint.setObjectName("amountHint")
    hint.setWordWrap(True)
    hint.setStyleSheet("color: palette(mid);")
    return edit, row, hint


class ReferenceLink(QLabel):
    """The "Show payout #N" link to the earlier payout that already uses the reference (else hidden)."""

    def __init__(self, parent: QWidget, signal: Any) -> None:
        super().__init__(parent)
        self.setObjectName("referenceInUseLink")
        self.setAccessibleName("Show the payout that already uses this reference")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self._signal = signal
        self._reference = ""
        self.linkActivated.connect(self._activated)
        self.hide()

    def show_owner(self, owner: int, reference: str) -> str:
        """Show the link to payout ``owner``; returns the error sentence for the reference field."""
        self._reference = reference
        self.setText(f'<a href="payout:{owner}">Show payout #{owner}</a>')
        self.show()
        return (
            f"External ID: “{reference}” is already the reference of payout #{owner} on this connection; "
            "each payout needs its own (press New for a fresh one)."
        )

    def _activated(self, href: str) -> None:
        self._signal.emit(int(href.split(":", 1)[1]), self._reference)


def reference_link(parent: QWidget, signal: Any) -> ReferenceLink:
    """The "Show payout #N" link of the reference row; ``signal(local_id, reference)`` on a click."""
    link = ReferenceLink(parent, signal)
    edit = getattr(parent, "external_id_edit", None)
    if edit is not None:
        edit.textEdited.connect(lambda _text: link.hide())
    return link
