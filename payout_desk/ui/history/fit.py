"""The history on a small screen (1024×640 logical pixels): its filter row scrolls sideways when the
window is narrower than the row, instead of forcing the whole window wider."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFrame, QLineEdit, QScrollArea, QWidget

__all__ = ["SEARCH_MIN_WIDTH", "narrow_filters"]

#: The search field never shrinks below this (it is the filter used most).
SEARCH_MIN_WIDTH = 160


def narrow_filters(row: QWidget, status: QComboBox, search: QLineEdit, parent: QWidget) -> QScrollArea:
    """``row`` inside a frameless area that scrolls sideways only when it must; returns the area."""
    status.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    status.setMinimumContentsLength(9)
    search.setMinimumWidth(SEARCH_MIN_WIDTH)
    area = QScrollArea(parent)
    area.setObjectName("historyFiltersArea")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    area.setWidgetResizable(True)
    area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setWidget(row)
    scroll_bar = area.horizontalScrollBar()

    def fit_height(_low: int = 0, high: int = 0) -> None:  # room for the scroll bar only while it shows
        area.setFixedHeight(row.sizeHint().height() + (scroll_bar.sizeHint().height() if high > 0 else 0))

    scroll_bar.rangeChanged.connect(fit_height)
    fit_height()
    area.setMinimumWidth(0)
    return area
