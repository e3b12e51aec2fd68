"""The history's dates: typing a date works, the calendar opens at the current month, the presets set
both ends in one query, and the days are local time (the zone is named)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt

from payout_desk.ui.history.date_range import ANY_DATE, preset_range
from payout_desk.ui.history.filters import HistoryFilterBar


@pytest.fixture
def bar(qtbot: Any) -> HistoryFilterBar:
    widget = HistoryFilterBar()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_typing_a_date_over_any_works(bar: HistoryFilterBar, qtbot: Any) -> None:
    assert bar.from_date.text() == "Any"
    bar.from_date.setFocus()
    with qtbot.waitSignal(bar.changed, timeout=2000):
        qtbot.keyClicks(bar.from_date, "2026-11-03")
    assert bar.from_date.date() == QDate(2026, 11, 3)
    query = bar.query()
    assert query.created_from == datetime(2026, 11, 3).astimezone()  # local midnight
    assert query.created_to is None


def test_the_calendar_opens_at_the_current_month(bar: HistoryFilterBar, qtbot: Any) -> None:
    qtbot.mouseClick(bar.to_date, Qt.MouseButton.LeftButton, pos=bar.to_date.rect().center())
    calendar = bar.to_date.calendarWidget()
    today = QDate.currentDate()
    assert (calendar.yearShown(), calendar.monthShown()) == (today.year(), today.month())  # not January 2000
    assert bar.to_date.date() == ANY_DATE  # opening it chose nothing


@pytest.mark.parametrize(
    ("name", "first", "last"),
    [
        ("Today", date(2026, 3, 5), date(2026, 3, 5)),
        ("Last 7 days", date(2026, 2, 27), date(2026, 3, 5)),
        ("This month", date(2026, 3, 1), date(2026, 3, 5)),
        ("Last month", date(2026, 2, 1), date(2026, 2, 28)),
        ("Any time", None, None),
    ],
)
def test_presets(bar: HistoryFilterBar, qtbot: Any, name: str, first: date | None, last: date | None) -> None:
    assert preset_range(name, date(2026, 3, 5)) == (first, last)
    changes: list[int] = []
    bar.changed.connect(lambda: changes.append(1))
    bar.apply_preset(name, today=date(2026, 3, 5))
    assert changes == [1]  # both ends, one query
    query = bar.query()
    if first is None:
        assert (query.created_from, query.created_to) == (None, None)
    else:
        assert query.created_from == datetime(first.year, first.month, first.day).astimezone()
        end = last + timedelta(days=1)
        assert query.created_to == datetime(end.year, end.month, end.day).astimezone()  # the last day included


def test_the_preset_menu_sets_todays_range_and_names_the_zone(bar: HistoryFilterBar, qtbot: Any) -> None:
    bar.date_presets.setFocus()
    with qtbot.waitSignal(bar.changed, timeout=2000):
        bar.date_presets.activated.emit(bar.date_presets.findText("Today"))
    today = QDate.currentDate()
    assert bar.from_date.date() == bar.to_date.date() == today
    assert "local time" in bar.date_presets.toolTip()
    bar.from_date.setDate(today.addDays(-3))  # a hand-picked range is no preset
    assert bar.date_presets.currentIndex() == -1
