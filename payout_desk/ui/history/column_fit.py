"""The history table's column widths: defaults from the font (Amount fits the largest amount, a header
with its sort arrow is never cut), Description takes the rest of the visible width — until the person
resizes a column; from then on every width stays as they left it (the window remembers them)."""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QTableView

from payout_desk.ui.history.columns import (
    COL_CREATED_BY,
    COL_CURRENCY,
    COL_DESCRIPTION,
    COL_RECIPIENT,
    default_column_widths,
)

__all__ = ["ColumnFit"]

_DESCRIPTION_MIN: Final = 160


class ColumnFit(QObject):
    """Keeps ``table``'s Description column filling the viewport while the widths are the defaults."""

    def __init__(self, table: QTableView, model: Any) -> None:
        super().__init__(table)
        self.table, self.model = table, model
        self._fitted = True  # until the user resizes a column: then their widths stay
        self._widths_set = False  # set at the first layout, once the header has its style and font
        self._fitting = False
        self.team = False  # a team desk: the Status column fits the approval states; Created by follows it
        table.horizontalHeader().sectionResized.connect(self._on_section_resized)
        table.viewport().installEventFilter(self)

    def _default_widths(self) -> dict[int, int]:
        widths = default_column_widths(self.table.fontMetrics(), self.model.locale(), team=self.team)
        header = self.table.horizontalHeader()  # a header (with its sort arrow) is never cut either
        return {column: max(width, header.sectionSizeFromContents(column).width()) for column, width in widths.items()}

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and watched is self.table.viewport():
            self._fit_description()
        return super().eventFilter(watched, event)

    def _fit_description(self) -> None:
        """Description takes the width the columns up to Recipient leave in the viewport."""
        if not self._fitted:
            return
        self._fitting = True
        if not self._widths_set:
            self._widths_set = True
            for column, width in self._default_widths().items():
                self.table.setColumnWidth(column, width)
        header = self.table.horizontalHeader()
        last = header.visualIndex(COL_RECIPIENT)  # every column shown up to Recipient, in the order shown
        others = sum(
            self.table.columnWidth(c)
            for c in range(header.count())
            if c != COL_DESCRIPTION and header.visualIndex(c) <= last and not header.isSectionHidden(c)
        )
        width = max(_DESCRIPTION_MIN, self.table.viewport().width() - others)
        self.table.setColumnWidth(COL_DESCRIPTION, width)
        self._fitting = False

    def team_layout(self) -> None:
        """A team desk: Created by right after the amount and its currency (who prepared a payout is seen
        without scrolling past every column; Status and Amount stay first) and a Status column that fits the
        approval states. Widths the person left stay as they are."""
        self.team = True
        header = self.table.horizontalHeader()
        header.moveSection(header.visualIndex(COL_CREATED_BY), header.visualIndex(COL_CURRENCY) + 1)
        if self._fitted:
            self._widths_set = False
            self._fit_description()

    def keep(self) -> None:
        """Widths restored from last time: leave them as they are."""
        self._fitted, self._widths_set = False, True

    def fit(self) -> None:
        """Back to the default widths."""
        self._fitted, self._widths_set = True, False
        self._fit_description()

    def _on_section_resized(self, _column: int, _old: int, _new: int) -> None:
        if not self._fitting:
            self._fitted = False  # the user sized a column: leave every width alone
