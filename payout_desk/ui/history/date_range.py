"""The history's date fields: a date can be typed straight over "Any", the calendar opens at the current
month when no date is set, and the presets (today, last 7 days, this month, last month) set both ends.

``DateField`` is the QDateEdit the filter bar uses (its earliest date, :data:`ANY_DATE`, reads "Any":
no bound). ``preset_range(name, today)`` gives the (from, to) days of a preset, both inclusive.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QDateEdit, QDateTimeEdit, QWidget

__all__ = ["ANY_DATE", "PRESETS", "DateField", "preset_range"]

ANY_DATE: Final = QDate(2000, 1, 1)
#: The presets' names, in menu order ("Any time" clears both dates).
PRESETS: Final = ("Any time", "Today", "Last 7 days", "This month", "Last month")


def preset_range(name: str, today: date) -> tuple[date | None, date | None]:
    """(first day, last day) of the preset, both inclusive; (None, None) for "Any time"."""
    if name == "Today":
        return today, today
    if name == "Last 7 days":
        return today - timedelta(days=6), today
    first = today.replace(day=1)
    if name == "This month":
        return first, today
    if name == "Last month":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    return None, None


_SEPARATORS: Final = frozenset("-/.")


class DateField(QDateEdit):
    """A QDateEdit for a filter bound: "Any" until a date is chosen or typed."""

    def __init__(self, name: str, accessible: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setAccessibleName(accessible)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(ANY_DATE)
        self.setSpecialValueText("Any")  # shown at the minimum date: no bound
        self.setDate(ANY_DATE)
        self.setToolTip("Type a date (2026-12-06) or pick one; the day is in local time")
        self._advanced = False

    def is_any(self) -> bool:
        return self.date() == ANY_DATE

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        if text in _SEPARATORS and self._advanced:
            # The section just filled up and Qt moved on by itself: the separator typed after it
            # ("2026" then "-") must not skip the month.
            self._advanced = False
            event.accept()
            return
        before = self.currentSectionIndex()
        if self.is_any() and text.isdigit():
            # Typing over "Any": start from today's date with the year selected, so "2026-12-06"
            # typed in full lands section by section.
            self.setDate(QDate.currentDate())
            self.setCurrentSection(QDateTimeEdit.Section.YearSection)
            self.setSelectedSection(QDateTimeEdit.Section.YearSection)
        elif self.is_any() and event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            event.accept()
            return
        super().keyPressEvent(event)
        self._advanced = text.isdigit() and self.currentSectionIndex() != before
        self._calendar_at_today()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)  # may open the calendar
        self._calendar_at_today()

    def _calendar_at_today(self) -> None:
        calendar = self.calendarWidget()
        if self.is_any() and calendar is not None:
            today = QDate.currentDate()
            calendar.setCurrentPage(today.year(), today.month())
