"""Metadata as key/value rows, with the 4 KB budget shown live ("312 / 4096 bytes")."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.payout import MAX_METADATA_BYTES, metadata_size


class _Row(QWidget):
    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.key = QLineEdit(self)
        self.key.setObjectName(f"metadataKey{number}")
        self.key.setPlaceholderText("Key")
        self.key.setAccessibleName(f"Metadata key {number}")
        self.key.setAccessibleDescription("The name of a metadata entry sent with the payout")
        self.value = QLineEdit(self)
        self.value.setObjectName(f"metadataValue{number}")
        self.value.setPlaceholderText("Value")
        self.value.setAccessibleName(f"Metadata value {number}")
        self.value.setAccessibleDescription("The value of this metadata entry")
        self.remove = QToolButton(self)
        self.remove.setText("✕")
        self.remove.setObjectName(f"metadataRemove{number}")
        self.remove.setAccessibleName(f"Remove metadata row {number}")
        self.remove.setToolTip("Remove this row")
        layout.addWidget(self.key, 2)
        layout.addWidget(self.value, 3)
        layout.addWidget(self.remove)


class MetadataEditor(QWidget):
    """Editable key/value rows. :attr:`changed` fires on every edit."""

    changed = Signal()
    editingFinished = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("metadataEditor")
        self.setAccessibleName("Metadata")
        self._rows: list[_Row] = []
        self._counter = 0
        #: The widget just before the rows in the tab order (set by the form).
        self.tab_anchor: QWidget | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        self._rows_box = QVBoxLayout()
        self._rows_box.setSpacing(4)
        outer.addLayout(self._rows_box)
        footer = QHBoxLayout()
        self.add_button = QPushButton("Add entry", self)
        self.add_button.setObjectName("metadataAddButton")
        self.add_button.setAccessibleName("Add metadata entry")
        self.add_button.setAccessibleDescription("Adds a key/value row to the payout's metadata")
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(lambda: self.add_row(focus=True))
        self.budget = QLabel(self)
        self.budget.setObjectName("metadataBudget")
        self.budget.setAccessibleName("Metadata size")
        self.budget.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        footer.addWidget(self.add_button)
        footer.addStretch(1)
        footer.addWidget(self.budget)
        outer.addLayout(footer)
        self._update_budget()

    def add_row(self, key: str = "", value: str = "", *, focus: bool = False) -> tuple[QLineEdit, QLineEdit]:
        """Append a row (optionally filled) and return its key and value editors."""
        self._counter += 1
        row = _Row(self._counter, self)
        row.key.setText(key)
        row.value.setText(value)
        for edit in (row.key, row.value):
            edit.textChanged.connect(self._on_edit)
            edit.editingFinished.connect(self.editingFinished)
        row.remove.clicked.connect(lambda: self._remove(row))
        previous = self._rows[-1].remove if self._rows else self.tab_anchor
        self._rows.append(row)
        self._rows_box.addWidget(row)
        # Keep the tab order visual: ... → key → value → remove → "Add entry" → ...
        if previous is not None:
            QWidget.setTabOrder(previous, row.key)
        QWidget.setTabOrder(row.key, row.value)
        QWidget.setTabOrder(row.value, row.remove)
        QWidget.setTabOrder(row.remove, self.add_button)
        if focus:
            row.key.setFocus()
        self._on_edit()
        return row.key, row.value

    def _remove(self, row: _Row) -> None:
        self._rows.remove(row)
        self._rows_box.removeWidget(row)
        row.deleteLater()
        self._on_edit()

    def rows(self) -> tuple[tuple[str, str], ...]:
        """Every row as typed, blank rows included (validation ignores rows with nothing in them)."""
        return tuple((row.key.text(), row.value.text()) for row in self._rows)

    def editors(self) -> list[tuple[QLineEdit, QLineEdit]]:
        return [(row.key, row.value) for row in self._rows]

    def size_bytes(self) -> int:
        """The serialized size as the provider counts it (trimmed keys/values, blank rows skipped)."""
        data: dict[str, str] = {}
        for key, value in self.rows():
            if key.strip() or value.strip():
                data[key.strip()] = value.strip()
        return metadata_size(data) if data else 0

    def clear_rows(self) -> None:
        for row in list(self._rows):
            self._rows_box.removeWidget(row)
            row.deleteLater()
        self._rows.clear()
        self._on_edit()

    def _on_edit(self) -> None:
        self._update_budget()
        self.changed.emit()

    def _update_budget(self) -> None:
        size = self.size_bytes()
        self.budget.setText(f"{size} / {MAX_METADATA_BYTES} bytes")
        over = size > MAX_METADATA_BYTES
        self.budget.setProperty("over", over)
        self.budget.setStyleSheet("color: #b3261e; font-weight: bold;" if over else "color: palette(mid);")
        self.budget.setAccessibleDescription(
            f"Metadata uses {size} of {MAX_METADATA_BYTES} bytes" + (" — too large" if over else "")
        )
