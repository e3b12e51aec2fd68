"""The history on a small screen (1024×640 logical pixels): its filter row scrolls sideways when the
window is narrower than the row, instead of forcing the whole window wider."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtWidgets import QApplication, QComboBox, QFrame, QLineEdit, QScrollArea, QWidget

__all__ = ["SEARCH_MIN_WIDTH", "narrow_filters"]

#: The search field never shrinks below this (it is the filter used most).
SEARCH_MIN_WIDTH = 160


class _FollowFocus(QObject):
    """Scrolls ``area`` to the widget of its row that takes the keyboard focus (Tab onto "To" or
    "Clear" at 1024×640 would otherwise land on a field out of view). A child of ``area``: its
    connection to the application's focusChanged goes with it."""

    def __init__(self, area: QScrollArea, row: QWidget) -> None:
        super().__init__(area)
        self._area, self._row = area, row
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self.follow)

    @Slot(QWidget, QWidget)
    def follow(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and self._row.isAncestorOf(new):
            # The whole widget, not only its text cursor (what ensureWidgetVisible shows of a date field).
            centre = new.mapTo(self._row, new.rect().center())
            self._area.ensureVisible(centre.x(), centre.y(), new.width() // 2 + 8, 0)


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
    _FollowFocus(area, row)
    return area
