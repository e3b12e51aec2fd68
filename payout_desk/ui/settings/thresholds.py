"""The retype thresholds per currency, as Settings edits them: a two-column table (currency, amount
from which the confirmation asks for the amount again), a currency to add, remove, and the defaults.

Each amount is read as strictly as a payout amount in its own currency (``parse_amount``: no
grouping separators, the currency's decimal places). A currency not in the table always asks.

Object names: ``retypeThresholds`` (the table), ``thresholdError``, ``newThresholdCurrency``,
``addThresholdButton``, ``removeThresholdButton``, ``resetThresholdsButton``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.money import UnknownCurrencyError, amount_to_wire, currency
from payout_desk.domain.thresholds import DEFAULT_RETYPE_THRESHOLDS
from payout_desk.ui.settings.rules import parse_currency_threshold

__all__ = ["ThresholdEditor"]


class ThresholdEditor(QWidget):
    """Edits a currency → threshold mapping; :attr:`changed` after every edit."""

    changed = Signal()

    def __init__(
        self, thresholds: Mapping[str, Decimal], *, decimal_point: str = ".", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._point = decimal_point
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        note = QLabel(
            "The confirmation asks to type the amount again from these amounts on. A currency not listed always asks.",
            self,
        )
        note.setWordWrap(True)
        layout.addWidget(note)
        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("retypeThresholds")
        self.table.setAccessibleName("Retype thresholds per currency")
        self.table.setHorizontalHeaderLabels(["Currency", "Ask to retype from"])
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(140)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.new_code = QLineEdit(self)
        self.new_code.setObjectName("newThresholdCurrency")
        self.new_code.setAccessibleName("Currency to add")
        self.new_code.setPlaceholderText("e.g. PEN")
        self.new_code.setMaxLength(3)
        self.add_button = self._button("Add", "addThresholdButton", "Add a threshold for this currency")
        self.remove_button = self._button("Remove", "removeThresholdButton", "Remove the selected currency's threshold")
        self.reset_button = self._button("Restore defaults", "resetThresholdsButton", "Use the default thresholds")
        for widget in (self.new_code, self.add_button, self.remove_button):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.reset_button)
        layout.addLayout(row)
        self.error = QLabel(self)
        self.error.setObjectName("thresholdError")
        self.error.setAccessibleName("Threshold problem")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.setMinimumHeight(self.error.fontMetrics().lineSpacing())  # keeps its space: nothing jumps
        layout.addWidget(self.error)
        self.set_thresholds(thresholds)
        self.table.itemChanged.connect(lambda _item: self._changed())
        self.add_button.clicked.connect(self.add_currency)
        self.new_code.returnPressed.connect(self.add_currency)
        self.remove_button.clicked.connect(self.remove_selected)
        self.reset_button.clicked.connect(lambda: self.set_thresholds(DEFAULT_RETYPE_THRESHOLDS))

    def _button(self, text: str, name: str, description: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(text)
        button.setAccessibleDescription(description)
        button.setAutoDefault(False)
        return button

    def set_thresholds(self, thresholds: Mapping[str, Decimal]) -> None:
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for code in sorted(thresholds):
            self._append(code, _shown(code, thresholds[code]))
        self.table.blockSignals(False)
        self._changed()

    def _append(self, code: str, text: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        code_item = QTableWidgetItem(code)
        code_item.setFlags(code_item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        self.table.setItem(row, 0, code_item)
        self.table.setItem(row, 1, QTableWidgetItem(text))
        return row

    def codes(self) -> list[str]:
        return [self._text(r, 0) for r in range(self.table.rowCount())]

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def add_currency(self) -> None:
        code = self.new_code.text().strip().upper()
        if not code:
            self.error.setText("Type a currency code (like PEN) to add its threshold.")
            return
        if code in self.codes():
            self.error.setText(f"{code} already has a threshold; change it in the table.")
            return
        try:
            currency(code)
        except UnknownCurrencyError:
            self.error.setText(f"{code}: not an ISO 4217 currency code.")
            return
        row = self._append(code, "")
        self.new_code.clear()
        self.table.setCurrentCell(row, 1)
        self.table.editItem(self.table.item(row, 1) or QTableWidgetItem())
        self._changed()

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._changed()

    def problem(self) -> str:
        """The first threshold that cannot be read, as a sentence ("" when all are fine)."""
        for code, result in self._parsed():
            if isinstance(result, str):
                return result if result.startswith(code) else f"{code}: {result}"
        return ""

    def thresholds(self) -> dict[str, Decimal] | None:
        """The edited mapping, or None while a threshold cannot be read."""
        out: dict[str, Decimal] = {}
        for code, result in self._parsed():
            if isinstance(result, str):
                return None
            out[code] = result
        return out

    def _parsed(self) -> list[tuple[str, Decimal | str]]:
        rows: list[tuple[str, Decimal | str]] = []
        for r in range(self.table.rowCount()):
            code = self._text(r, 0)
            rows.append((code, parse_currency_threshold(code, self._text(r, 1), self._point)))
        return rows

    def _changed(self) -> None:
        self.error.setText(self.problem())
        self.changed.emit()


def _shown(code: str, amount: Decimal) -> str:
    try:
        return amount_to_wire(amount, currency(code))
    except (UnknownCurrencyError, ValueError):
        return str(amount)
