"""HistoryFilterBar: the history's status filter, debounced text search and date range.

Construct ``HistoryFilterBar(parent=None)``; read ``query(sort, descending) -> HistoryQuery``; signal
``changed()`` fires at once for the status and the dates, and ``SEARCH_DELAY_MS`` (250 ms) after the
last keystroke in the search field (one query per word, not per key). ``flush()`` stops a pending
search delay; ``clear_date_range()`` clears both dates with a single ``changed``.

Widgets (attributes / object names): ``status_filter`` / ``statusFilter`` (``STATUS_FILTERS``: All,
Pending, Succeeded, Failed, Rejected — by the provider or by an approver —, Outcome unknown, Sending, …),
``search_edit`` / ``searchEdit``,
``from_date`` / ``fromDate`` and ``to_date`` / ``toDate`` (``date_range.DateField``; the earliest date
reads "Any": no bound; both days inclusive, in local time; a date can be typed), ``date_presets`` /
``datePresets`` (Any time, Today, Last 7 days, This month, Last month), ``clear_dates`` / ``clearDatesButton``,
``count_label`` / ``countLabel`` (the panel writes the number of payouts there).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from PySide6.QtCore import QDate, QLocale, QTimer, Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from payout_desk.domain.displayed_amount import parse_displayed_amount
from payout_desk.journal.models import HistoryQuery, SortKey
from payout_desk.ui.history.columns import local_zone_name
from payout_desk.ui.history.date_range import ANY_DATE, PRESETS, DateField, preset_range

__all__ = ["ANY_DATE", "SEARCH_DELAY_MS", "STATUS_FILTERS", "HistoryFilterBar"]

#: (label, statuses) of the status filter; None = every status.
STATUS_FILTERS: Final[tuple[tuple[str, frozenset[str] | None], ...]] = (
    ("All", None),
    ("Pending", frozenset({"pending", "created"})),
    ("Succeeded", frozenset({"succeeded"})),
    ("Failed", frozenset({"failed"})),
    # Refused by the provider or rejected by an approver (team mode): a finance user's "Rejected" is both.
    ("Rejected", frozenset({"rejected", "approval_rejected"})),
    ("Outcome unknown", frozenset({"outcome_unknown"})),
    ("Sending", frozenset({"confirmed"})),
    ("Needs a person", frozenset({"mismatch", "needs_reconciliation"})),
    # Team mode (issue 21): waiting for approvers; closed before sending (never sent).
    ("Awaiting approval", frozenset({"awaiting_approval"})),
    ("Closed, never sent", frozenset({"approval_rejected", "withdrawn", "expired"})),
)
SEARCH_DELAY_MS: Final = 250


def _local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day).astimezone()


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class HistoryFilterBar(QWidget):
    """The filter row above the history table; see the module docstring."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("historyFilters")
        self._locale = QLocale()
        self.setAccessibleName("History filters")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        label = QLabel("&Status:", self)
        self.status_filter = QComboBox(self)
        self.status_filter.setObjectName("statusFilter")
        self.status_filter.setAccessibleName("Status filter")
        for text, statuses in STATUS_FILTERS:
            self.status_filter.addItem(text, statuses)
        label.setBuddy(self.status_filter)
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("searchEdit")
        self.search_edit.setAccessibleName("Search payouts")
        self.search_edit.setPlaceholderText("Search text or an amount (98,000)")
        self.search_edit.setToolTip("Description, recipient, reference, payment ID; an amount as shown matches exactly")
        self.search_edit.setClearButtonEnabled(True)
        self.search_timer = QTimer(self)
        self.search_timer.setSingleShot(True)
        self.search_timer.setInterval(SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.changed)
        self.search_edit.textChanged.connect(lambda _text: self.search_timer.start())

        self.date_presets = QComboBox(self)
        self.date_presets.setObjectName("datePresets")
        self.date_presets.setAccessibleName("Date range presets")
        self.date_presets.addItems(PRESETS)
        self.date_presets.setToolTip(f"Days in local time ({local_zone_name()})")
        self.date_presets.activated.connect(lambda i: self.apply_preset(PRESETS[i]))
        self.from_date = DateField("fromDate", "Created from (inclusive)", self)
        self.to_date = DateField("toDate", "Created until (inclusive)", self)
        from_label, to_label = QLabel("&From:", self), QLabel("&To:", self)
        from_label.setBuddy(self.from_date)
        to_label.setBuddy(self.to_date)
        self.clear_dates = QPushButton("Clear", self)
        self.clear_dates.setToolTip("Clear both dates (the same as “Any time”)")
        self.clear_dates.setObjectName("clearDatesButton")
        self.clear_dates.setAccessibleName("Clear the date range")
        self.clear_dates.clicked.connect(self.clear_date_range)
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("countLabel")
        self.count_label.setAccessibleName("Number of payouts shown")

        self.status_filter.currentIndexChanged.connect(lambda _i: self.changed.emit())
        for edit in (self.from_date, self.to_date):
            edit.dateChanged.connect(lambda _d: self._sync_preset())
            edit.dateChanged.connect(lambda _d: self.changed.emit())
        for widget in (label, self.status_filter, self.search_edit, self.date_presets, from_label, self.from_date,
                       to_label, self.to_date, self.clear_dates, self.count_label):  # fmt: skip
            layout.addWidget(widget, 1 if widget is self.search_edit else 0)

    def query(self, sort: SortKey = SortKey.CREATED_AT, descending: bool = True) -> HistoryQuery:
        """The HistoryQuery these widgets describe, in the given order."""
        start, end = self.from_date.date(), self.to_date.date()
        text = self.search_edit.text().strip()
        return HistoryQuery(
            statuses=self.status_filter.currentData(),
            text=text,
            amount=self.search_amount(text),  # as displayed here, else as stored ("1250.00" in a comma locale)
            created_from=_local_midnight(_day(start)) if start != ANY_DATE else None,
            created_to=_local_midnight(_day(end) + timedelta(days=1)) if end != ANY_DATE else None,
            sort=sort,
            descending=descending,
        )

    def search_amount(self, text: str) -> Decimal | None:
        """The amount a search means when it reads as one as displayed here ("98,000", "1,250.00"),
        or as the journal stores it ("1250.00"); None otherwise."""
        locale = self._locale
        shown = parse_displayed_amount(text, group=locale.groupSeparator(), decimal=locale.decimalPoint())
        return shown if shown is not None else parse_displayed_amount(text, group="", decimal=".")

    def flush(self) -> None:
        """Forget a pending search delay (the caller reads the query now)."""
        self.search_timer.stop()

    @Slot()
    def clear_date_range(self) -> None:
        self.apply_preset("Any time")

    def _sync_preset(self) -> None:
        """Show the preset the typed dates amount to (none when they match no preset)."""
        today = date.today()
        dates = tuple(None if e.is_any() else _day(e.date()) for e in (self.from_date, self.to_date))
        matching = [i for i, name in enumerate(PRESETS) if preset_range(name, today) == dates]
        self.date_presets.setCurrentIndex(matching[0] if matching else -1)

    def apply_preset(self, name: str, today: date | None = None) -> None:
        """Set both dates to the preset's range (``PRESETS``) with a single ``changed``."""
        first, last = preset_range(name, today or date.today())
        for edit, day in ((self.from_date, first), (self.to_date, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day) if day is not None else ANY_DATE)
            edit.blockSignals(False)
        self.date_presets.blockSignals(True)
        self.date_presets.setCurrentIndex(PRESETS.index(name))
        self.date_presets.blockSignals(False)
        self.changed.emit()
