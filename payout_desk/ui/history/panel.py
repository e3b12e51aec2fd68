"""HistoryPanel: filter bar + the lazy history table + the details pane + row actions.

Construct::

    panel = HistoryPanel(desk, parent=None, *, page_size=200, max_pages=12)
    panel.reload()                      # first load (returns an asyncio Future); call once the loop runs

``desk``: anything with the :class:`HistoryDesk` coroutines — the window gives ``services.records.Records``
(the journal alone; ``refresh`` through the connected desk), ``PayoutDesk`` works too.

Signals: ``reopenRequested(int local_id)`` (a pending payout with a checkin URL), ``exportFinished(int rows,
str path)``, ``refreshFinished(object record)``. Slots: ``apply_change(change)``, ``reload()``. Methods:
``export_to(path) -> Future[int]`` (the Export button after its file dialog), ``current_record()``,
``select_row(row)``, ``copy_selection()``.

Object names: ``historyPanel``, ``historyFilters`` (the HistoryFilterBar of history_filters:
``statusFilter`` — All, Pending, Succeeded, Failed, Rejected, Outcome unknown, Sending —,
``searchEdit`` debounced 250 ms, ``fromDate`` / ``toDate`` where the earliest date reads "Any",
``clearDatesButton``, ``countLabel``; also attributes of the panel), ``historyTable``,
``emptyStateLabel``, ``totalsLabel`` (per currency, under the table), ``copyPaymentIdButton``,
``reopenCheckinButton``, ``refreshButton``, ``exportButton``, ``historyMessage`` (export/refresh results, load
errors), ``detailsPane``, ``historySplitter`` (vertical: table and actions above, details below).

Column widths: defaults from the font (Amount fits the largest amount); Description takes the rest, until
the user resizes a column. The window remembers them (``keep_column_widths``; ``fit_columns`` resets).
Row actions (``row_actions.RowActions``): the row's context menu and the window's Payout menu.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.status import status_label
from payout_desk.domain.totals import CurrencyTotals
from payout_desk.journal.models import HistoryQuery, JournalEvent, PayoutRecord
from payout_desk.ui.history.column_fit import ColumnFit
from payout_desk.ui.history.columns import COL_CREATED
from payout_desk.ui.history.csv_export import ask_export_path, export_failure, export_summary
from payout_desk.ui.history.details_pane import DetailsPane, PollSchedule
from payout_desk.ui.history.filters import SEARCH_DELAY_MS, STATUS_FILTERS, HistoryFilterBar
from payout_desk.ui.history.fit import narrow_filters
from payout_desk.ui.history.focus import TabLeaves
from payout_desk.ui.history.model import HistoryModel, RecordRole
from payout_desk.ui.history.row_actions import RowActions
from payout_desk.ui.history.totals_bar import TotalsBar, totals_text

__all__ = ["SEARCH_DELAY_MS", "STATUS_FILTERS", "HistoryDesk", "HistoryPanel"]


class HistoryDesk(Protocol):
    async def history_count(self, query: HistoryQuery) -> int: ...
    async def history_page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]: ...
    async def events(self, local_id: int) -> list[JournalEvent]: ...
    async def refresh(self, local_id: int) -> PayoutRecord: ...
    async def export_csv(self, query: HistoryQuery, path: Path) -> int: ...
    async def history_totals(self, query: HistoryQuery) -> list[CurrencyTotals]: ...


@dataclass(frozen=True)
class _LocalChange:  # what apply_change reads of a PayoutChange
    record: PayoutRecord
    previous_status: str | None


def _error_text(exc: BaseException) -> str:
    return str(getattr(exc, "user_message", "") or exc or type(exc).__name__)


class HistoryPanel(QWidget):
    """Payout history with filters, details and actions; see the module docstring."""

    reopenRequested = Signal(int)
    exportFinished = Signal(int, str)
    refreshFinished = Signal(object)

    def __init__(
        self, desk: HistoryDesk, parent: QWidget | None = None, *, page_size: int = 200, max_pages: int = 12
    ) -> None:
        super().__init__(parent)
        self.setObjectName("historyPanel")
        self.setAccessibleName("Payout history")
        self._desk = desk
        self._selected_id: int | None = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self.model = HistoryModel(desk, self, page_size=page_size, max_pages=max_pages)

        self._build_filters()
        self._build_table()
        self.details = DetailsPane(desk, self)
        self._build_actions()
        self.row_actions = RowActions(self)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self.row_actions.popup)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.stack, 1)
        self.totals = TotalsBar(desk, self.model, self.model.locale(), top)
        top_layout.addWidget(self.totals)
        top_layout.addLayout(self._actions)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("historySplitter")
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.details)
        self.splitter.setStretchFactor(0, 1)  # a taller window gives the table more rows,
        self.splitter.setStretchFactor(1, 1)  # and a short one takes from the details too (they scroll)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(7)
        top.setMinimumHeight(160)
        self.details.setMinimumHeight(150)
        self.splitter.setSizes([400, 320])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        layout.addWidget(narrow_filters(self.filters, self.status_filter, self.search_edit, self))
        layout.addWidget(self.splitter, 1)

        self.model.modelReset.connect(self._after_reset)
        self.model.dataChanged.connect(self._on_data_changed)
        self.model.loadingChanged.connect(self._update_count)
        self.model.countingChanged.connect(self._update_count)  # a search's count comes after its rows
        self.model.loadFailed.connect(lambda text: self.message.setText(f"Could not load the history: {text}"))
        self._update_actions()

    # ------------------------------------------------------------------ construction
    def _build_filters(self) -> None:
        self.filters = HistoryFilterBar(self)
        # The bar's widgets, also reachable from the panel (tests, benchmarks, the main window).
        self.status_filter = self.filters.status_filter
        self.search_edit = self.filters.search_edit
        self.from_date, self.to_date = self.filters.from_date, self.filters.to_date
        self.clear_dates = self.filters.clear_dates
        self.count_label = self.filters.count_label
        self.filters.changed.connect(self.apply_filters)
        self._tab_leaves = TabLeaves(self)  # Tab walks on past the date fields (no keyboard trap)
        self._tab_leaves.watch(self.from_date, self.to_date)

    def _build_table(self) -> None:
        self.table = QTableView(self)
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName("Payouts")
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setWordWrap(False)
        self.table.setTabKeyNavigation(False)  # arrows move between cells; Tab moves on (no keyboard trap)
        self.table.verticalHeader().setVisible(False)
        # Fixed row heights: the view never measures a million rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSortIndicator(COL_CREATED, Qt.SortOrder.DescendingOrder)  # the model's default order
        self.columns = ColumnFit(self.table, self.model)  # Description takes the rest, until a column is resized
        self.table.setSortingEnabled(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), self.table)
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.activated.connect(self.copy_selection)

        self.empty_label = QLabel("", self)
        self.empty_label.setObjectName("emptyStateLabel")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)

    def keep_column_widths(self) -> None:
        """Widths restored from last time: leave them as they are."""
        self.columns.keep()

    def fit_columns(self) -> None:
        """Back to the default widths (View → Reset window layout)."""
        self.columns.fit()

    def _button(self, name: str, text: str, accessible: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        self._actions.addWidget(button)
        return button

    def _build_actions(self) -> None:
        self._actions = QHBoxLayout()
        self.copy_button = self._button("copyPaymentIdButton", "Copy payment ID", "Copy the payment ID")
        self.reopen_button = self._button("reopenCheckinButton", "Reopen checkin…", "Reopen the checkin page")
        self.refresh_button = self._button("refreshButton", "Refresh now", "Ask the provider for the status now")
        self.export_button = self._button("exportButton", "Export CSV…", "Export the shown payouts to CSV")
        self.message = QLabel("", self)
        self.message.setObjectName("historyMessage")
        self.message.setAccessibleName("History messages")
        self.message.setWordWrap(True)
        # It wraps in the room the buttons leave; a long path never widens the window (1024×640).
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._actions.addWidget(self.message, 1)
        self.copy_button.clicked.connect(self.copy_payment_id)
        self.reopen_button.clicked.connect(self.reopen_selected)
        self.refresh_button.clicked.connect(self.refresh_current)
        self.export_button.clicked.connect(self.choose_export_path)

    # ------------------------------------------------------------------ filters
    def build_query(self) -> HistoryQuery:
        """The HistoryQuery the filter bar describes (keeping the current sort)."""
        current = self.model.query()
        return self.filters.query(current.sort, current.descending)

    @Slot()
    def apply_filters(self) -> asyncio.Future[None] | None:
        self.filters.flush()
        query = self.build_query()
        if query == self.model.query() and self.model.total():
            return None
        self.count_label.setText("Loading…")
        return self.model.set_query(query)

    @Slot()
    def clear_date_range(self) -> None:
        self.filters.clear_date_range()

    @Slot()
    def reload(self) -> asyncio.Future[None]:
        return self.model.reload()

    # ------------------------------------------------------------------ live updates
    @Slot(object)
    def apply_change(self, change: Any) -> None:
        """A PayoutChange (from DeskBridge.payoutChanged): update that row or reload for a new one."""
        self.model.apply_change(change)

    # ------------------------------------------------------------------ selection & details
    def current_record(self) -> PayoutRecord | None:
        index = self.table.currentIndex()
        return self.model.data(index, RecordRole) if index.isValid() else None

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)
        self.table.setCurrentIndex(self.model.index(row, 0))

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        record = self.model.data(current, RecordRole) if current.isValid() else None
        self._selected_id = record.local_id if record is not None else None
        if isinstance(self._desk, PollSchedule):  # the selected payout is polled every few seconds
            self._desk.watch([] if record is None else [record.local_id])
        self.details.show_record(record)
        self._update_actions()

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, _roles: Any = None) -> None:
        current = self.table.currentIndex()
        if current.isValid() and top.row() <= current.row() <= bottom.row():
            record = self.model.data(current, RecordRole)
            shown = self.details.record()
            if record is not None and record != shown:
                self._selected_id = record.local_id
                self.details.show_record(record)
            self._update_actions()

    def _after_reset(self) -> None:
        self._update_count()
        row = self.model.row_of(self._selected_id) if self._selected_id is not None else None
        if row is not None:
            self.select_row(row)
        else:
            self.details.show_record(None)
            self._selected_id = None
        self._update_actions()

    def _update_count(self, *_args: Any) -> None:
        total = self.model.total()
        query = self.model.query()
        filtered = query != HistoryQuery(sort=query.sort, descending=query.descending)
        if self.model.is_loading() or self.model.is_counting():
            self.count_label.setText("Loading…" if self.model.is_loading() else "Counting…")
        else:  # "N+": a failed count leaves the rows shown so far
            plus = "" if self.model.total_known() else "+"
            self.count_label.setText(f"{total:,}{plus} payout{'s' if total != 1 else ''}")
        if total == 0 and not self.model.is_loading():
            self.empty_label.setText(
                self._dates_reversed()
                or ("No payouts match these filters." if filtered else
                    "No payouts yet.\nPayouts you send appear here with their status, newest first.")
            )  # fmt: skip
            self.stack.setCurrentWidget(self.empty_label)
        else:
            self.stack.setCurrentWidget(self.table)
        self.export_button.setEnabled(total > 0)

    def _dates_reversed(self) -> str:
        """The empty state's reason when "From" is after "To" (typed the wrong way round), else ""."""
        first, last = self.from_date, self.to_date
        if first.is_any() or last.is_any() or first.date() <= last.date():
            return ""
        shown = first.date().toString("yyyy-MM-dd"), last.date().toString("yyyy-MM-dd")
        return f"No payouts match: “From” ({shown[0]}) is after “To” ({shown[1]}). Change one of the dates."

    def _update_actions(self) -> None:
        record = self.current_record()
        self.copy_button.setEnabled(bool(record and record.payment_id))
        self.reopen_button.setEnabled(bool(record and record.status == "pending" and record.checkin_url))
        self.refresh_button.setEnabled(record is not None)
        self.export_button.setEnabled(self.model.total() > 0)
        if hasattr(self, "row_actions"):
            self.row_actions.update(record)

    # ------------------------------------------------------------------ actions
    def copy_payment_id(self) -> None:
        self.row_actions.copy_payment_id()

    def copy_selection(self) -> None:
        """Ctrl+C: the selected rows as tab-separated text with a header line."""
        self.row_actions.copy_rows_text()

    def reopen_selected(self) -> None:
        record = self.current_record()
        if record is not None and record.status == "pending" and record.checkin_url:
            self.reopenRequested.emit(record.local_id)

    @Slot()
    def refresh_current(self) -> asyncio.Future[None] | None:
        record = self.current_record()
        if record is None:
            return None
        self.refresh_button.setEnabled(False)
        self.message.setText("Asking the provider…")
        return self._spawn(self._refresh(record))

    async def _refresh(self, record: PayoutRecord) -> None:
        try:
            fresh = await self._desk.refresh(record.local_id)
        except Exception as exc:
            self.message.setText(f"Could not refresh: {_error_text(exc)}")
        else:
            self.model.apply_change(_LocalChange(fresh, previous_status=record.status))
            self.message.setText(f"Status checked just now: {status_label(fresh.status)}")
            self.refreshFinished.emit(fresh)
        finally:
            self._update_actions()

    def choose_export_path(self) -> None:
        path = ask_export_path(self)
        if path is not None:
            self.export_to(path)

    def export_to(self, path: Path) -> asyncio.Future[int]:
        """Export every row matching the current filters to ``path``; the future gives the row count."""
        self.export_button.setEnabled(False)
        self.message.setText("Exporting…")
        return self._spawn(self._export(Path(path)))

    async def _export(self, path: Path) -> int:
        pending = self.apply_filters() if self.filters.search_timer.isActive() else None
        if pending is not None:  # a search typed within its delay: export what the field says
            await pending
        query = self.model.query()
        try:
            rows = await self._desk.export_csv(query, path)
            totals = totals_text(await self._desk.history_totals(query), self.model.locale())
        except OSError as exc:  # the file: the place and the reason in words; the OS's words to the log
            logging.getLogger(__name__).warning("export to %s failed: %s", path, exc)
            self.message.setText(f"Export failed: {export_failure(path, exc)}")
            raise
        except Exception as exc:
            self.message.setText(f"Export failed: {_error_text(exc)}")
            raise
        finally:
            self.export_button.setEnabled(self.model.total() > 0)
        self.message.setText(export_summary(rows, path, totals))
        self.exportFinished.emit(rows, str(path))
        return rows

    def _spawn(self, coro: Any) -> asyncio.Future[Any]:
        future = asyncio.ensure_future(coro)
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
        future.add_done_callback(lambda f: f.cancelled() or f.exception())  # shown in the message line
        return future
