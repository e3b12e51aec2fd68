"""HistoryModel: a lazy, paged QAbstractTableModel over the payout history (smooth at a million rows).

Construct::

    model = HistoryModel(source, parent=None, *, page_size=200, max_pages=12, locale=None)
    model.reload()            # starts loading (count + first page); returns an asyncio Future

``source``: anything with :class:`HistorySource`'s two coroutines — ``PayoutDesk`` as is, an ``AsyncJournal``
in :class:`JournalHistorySource`. I/O runs via ``asyncio.ensure_future`` on the qasync loop, never blocking.

How it stays fast: ``rowCount`` is the total from ``history_count``; ``data()`` for a row whose page
is not cached returns a placeholder ("…") and schedules that ONE page; when it arrives ``dataChanged``
covers just that page. At most ``max_pages`` pages stay cached (least recently used are dropped); at
most two pages are fetched at once, newest request first (fast scrolling skips what scrolled past).

A query change (filter, dates, sort) fetches the count (cheap without text) and the first page, then
resets the model once. A text search's exact count can cost far more than its first page, so it
resets with just the first page (``is_counting()``: ``total()`` is a lower bound) and only then asks
for the count; when it arrives, the other rows are inserted at the end (the rows shown, the selection
and the scroll position stay) and ``totalChanged`` fires. A first page shorter than ``page_size`` is
the whole result: no count.

Public API: ``set_query(query)``, ``query()``, ``reload()`` (the future completes once the count is
in), ``total()``, ``total_known()``, ``is_loading()`` (until the first page is shown),
``is_counting()``, ``record_at(row)``, ``row_of(local_id)``, ``apply_change(change)`` (slot: a
PayoutChange; one row's ``dataChanged`` when loaded, a reload for a brand-new payout or when the row
left the filter), ``sort(column, order)`` (server-side), signals ``loadingChanged(bool)``,
``countingChanged(bool)``, ``totalChanged(int)`` (the exact total), ``loadFailed(str)``, ``locale()``.
Roles: history_cells (``RecordRole``, ``LocalIdRole``, ``StatusRole``, ``LoadedRole``). Columns and
cell texts: ``ui.history.columns`` (import them from there).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import replace
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QLocale, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal, Slot

from payout_desk.journal.models import HistoryQuery, PayoutRecord
from payout_desk.ui.history.cells import (  # re-exported: the model's roles
    HANDLED_ROLES,
    PLACEHOLDER,
    STATIC_ROLES,
    HistoryCells,
    LoadedRole,
    LocalIdRole,
    RecordRole,
    StatusRole,
)
from payout_desk.ui.history.columns import (
    COL_AMOUNT,
    COL_CREATED,
    COL_UPDATED,
    COLUMNS,
    local_zone_name,
)
from payout_desk.ui.history.source import HistorySource, JournalHistorySource

__all__ = [
    "PLACEHOLDER", "HistoryModel", "HistorySource", "JournalHistorySource", "LoadedRole", "LocalIdRole", "RecordRole",
    "StatusRole",
]  # fmt: skip

log = logging.getLogger(__name__)

_RECENT_CHANGES: Final = 512
_MAX_IN_FLIGHT: Final = 2

_ModelIndex = QModelIndex | QPersistentModelIndex
_FLAGS: Final = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS: Final = Qt.ItemFlag.NoItemFlags


class HistoryModel(QAbstractTableModel):
    """Lazy paged table of payouts; see the module docstring."""

    loadingChanged = Signal(bool)
    countingChanged = Signal(bool)
    totalChanged = Signal(int)
    loadFailed = Signal(str)

    def __init__(
        self,
        source: HistorySource,
        parent: QObject | None = None,
        *,
        page_size: int = 200,
        max_pages: int = 12,
        locale: str | None = None,
    ) -> None:
        super().__init__(parent)
        if page_size < 1 or max_pages < 2:
            raise ValueError("page_size must be ≥ 1 and max_pages ≥ 2")
        self._source = source
        self.page_size = page_size
        self.max_pages = max_pages
        self._cells = HistoryCells(locale or QLocale().name())
        self._cells.active_connection = getattr(source, "connection_id", None)
        self._query = HistoryQuery()
        self._total = 0
        self._exact = True  # whether _total is the exact count (not while counting / after a failed count)
        self._counting = False
        self._pages: OrderedDict[int, list[PayoutRecord]] = OrderedDict()
        self._in_flight: set[int] = set()
        # Requested pages not started yet, newest last: the newest is what is on screen now, so it
        # goes first; when scrolling fast, requests older than ``max_pages`` are forgotten.
        self._wanted: OrderedDict[int, None] = OrderedDict()
        self._failed: set[int] = set()
        self._generation = 0
        self._loading = False
        self._tasks: set[asyncio.Future[Any]] = set()
        # Changes seen lately: a page or reload that was already in flight may bring older copies.
        self._recent: OrderedDict[int, PayoutRecord] = OrderedDict()

    # ----------------------------------------------------------------- Qt model API
    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._total

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section][0]
            if role == Qt.ItemDataRole.TextAlignmentRole and section == COL_AMOUNT:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if role == Qt.ItemDataRole.ToolTipRole and section in (COL_CREATED, COL_UPDATED):
                return f"Local time ({local_zone_name()})"
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        role = int(role)
        if role not in HANDLED_ROLES or not index.isValid():
            return None  # fast path: the view asks for many roles per cell
        row, column = index.row(), index.column()
        if row >= self._total or column >= len(COLUMNS):
            return None
        if role in STATIC_ROLES:
            return self._cells.static(column, role)
        return self._cells.value(self._lookup(row), column, role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        key = COLUMNS[column][1]
        descending = order == Qt.SortOrder.DescendingOrder
        if key is None or (key == self._query.sort and descending == self._query.descending):  # None: Created by
            return
        self.set_query(replace(self._query, sort=key, descending=descending))

    # ----------------------------------------------------------------- public API
    def query(self) -> HistoryQuery:
        return self._query

    def locale(self) -> str:
        """The locale the cells are formatted in (``"en_US"``)."""
        return self._cells.locale

    def total(self) -> int:
        """The rows in the model: the exact count when ``total_known()``, else the rows shown so far."""
        return self._total

    def total_known(self) -> bool:
        """Whether ``total()`` is the exact number of matching payouts."""
        return self._exact

    def is_loading(self) -> bool:
        """Whether a query's first page is on its way (the rows shown are the previous query's)."""
        return self._loading

    def is_counting(self) -> bool:
        """Whether the first page is shown and the exact count is still on its way."""
        return self._counting

    def cached_pages(self) -> list[int]:
        """Indexes of the pages held in memory, least recently used first (for tests/diagnostics)."""
        return list(self._pages)

    def set_query(self, query: HistoryQuery) -> asyncio.Future[None]:
        """Show ``query``'s rows: fetches count + first page, then resets once."""
        self._query = query
        return self.reload()

    def reload(self) -> asyncio.Future[None]:
        """Refetch count and first page for the current query (cancels stale page results)."""
        self._cells.active_connection = getattr(self._source, "connection_id", None)  # a profile switch
        self._generation += 1
        generation = self._generation
        was_loading = self._loading
        self._loading = True
        self._counting = False  # a count still on its way is stale now
        future = asyncio.ensure_future(self._reload(generation, self._query))
        if not was_loading:
            self.loadingChanged.emit(True)
        return future

    def record_at(self, row: int) -> PayoutRecord | None:
        """The record at ``row`` if its page is loaded (never schedules a fetch)."""
        page = self._pages.get(row // self.page_size)
        offset = row % self.page_size
        if page is None or offset >= len(page):
            return None
        return page[offset]

    def row_of(self, local_id: int) -> int | None:
        """The row of a loaded payout, or None."""
        for number, page in self._pages.items():
            for offset, record in enumerate(page):
                if record.local_id == local_id:
                    return number * self.page_size + offset
        return None

    @Slot(object)
    def apply_change(self, change: Any) -> None:
        """A PayoutChange from the facade: update that one row, or reload for a new payout."""
        record: PayoutRecord = change.record
        self._recent[record.local_id] = record
        self._recent.move_to_end(record.local_id)
        while len(self._recent) > _RECENT_CHANGES:
            self._recent.popitem(last=False)
        row = self.row_of(record.local_id)
        if row is None:
            if getattr(change, "previous_status", None) is None:
                self.reload()  # a brand-new payout: count and first page change
            return
        statuses = self._query.statuses
        if statuses is not None and record.status not in statuses:
            self.reload()  # it no longer belongs to this filtered view
            return
        page = self._pages[row // self.page_size]
        page[row % self.page_size] = record
        self._cells.forget(record.local_id)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # ----------------------------------------------------------------- internals
    def _lookup(self, row: int) -> PayoutRecord | None:
        number = row // self.page_size
        page = self._pages.get(number)
        if page is None:
            self._request_page(number)
            return None
        self._pages.move_to_end(number)
        offset = row % self.page_size
        return page[offset] if offset < len(page) else None

    def _request_page(self, number: int) -> None:
        if number in self._in_flight or number in self._failed or self._loading:
            return
        self._wanted[number] = None
        self._wanted.move_to_end(number)
        while len(self._wanted) > self.max_pages:
            self._wanted.popitem(last=False)
        self._pump()

    def _pump(self) -> None:
        while self._wanted and len(self._in_flight) < _MAX_IN_FLIGHT:
            number, _ = self._wanted.popitem(last=True)
            self._in_flight.add(number)
            self._track(asyncio.ensure_future(self._fetch_page(self._generation, number)))

    def _freshest(self, records: list[PayoutRecord]) -> list[PayoutRecord]:
        """``records`` with any newer copy from a change that arrived while they were in flight."""
        if not self._recent:
            return list(records)
        result = []
        for record in records:
            newer = self._recent.get(record.local_id)
            result.append(newer if newer is not None and newer.updated_at >= record.updated_at else record)
        return result

    def _track(self, future: asyncio.Future[Any]) -> None:
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    async def _reload(self, generation: int, query: HistoryQuery) -> None:
        if not query.text.strip():
            await self._load_counted(generation, query)
        else:
            await self._load_first_page_first(generation, query)

    async def _load_counted(self, generation: int, query: HistoryQuery) -> None:
        """Count (cheap without text: the journal needs it to plan the page anyway), then the first page."""
        try:
            total = await self._source.history_count(query)
            first = await self._source.history_page(query, 0, self.page_size) if total else []
        except Exception as exc:
            self._load_failed(generation, exc)
            return
        if generation == self._generation:
            self._reset(first, total, exact=True)

    async def _load_first_page_first(self, generation: int, query: HistoryQuery) -> None:
        """The first page, shown as soon as it is here; then the count (requested once the reset is
        done, so that the count and the first paint do not compete) adds the other rows at the end."""
        try:
            first = await self._source.history_page(query, 0, self.page_size)
        except Exception as exc:
            self._load_failed(generation, exc)
            return
        if generation != self._generation:
            return
        complete = len(first) < self.page_size  # a short first page is the whole result
        self._reset(first, len(first), exact=complete)
        if complete:
            return
        try:
            total = await self._source.history_count(query)
        except Exception as exc:
            if generation == self._generation:
                log.warning("history count failed: %s", exc)
                self._counting = False  # total() stays the rows shown: a lower bound
                self.loadFailed.emit(str(exc) or type(exc).__name__)
                self.countingChanged.emit(False)
            return
        if generation == self._generation:
            self._count_arrived(total)

    def _load_failed(self, generation: int, exc: Exception) -> None:
        if generation == self._generation:
            log.warning("history reload failed: %s", exc)
            self._loading = False
            self.loadFailed.emit(str(exc) or type(exc).__name__)
            self.loadingChanged.emit(False)

    def _reset(self, first: list[PayoutRecord], total: int, *, exact: bool) -> None:
        self.beginResetModel()
        self._total = total
        self._pages.clear()
        self._in_flight.clear()
        self._wanted.clear()
        self._cells.clear()  # also picks up a palette change (light/dark)
        self._failed.clear()
        if first:
            self._pages[0] = self._freshest(first)
        self._loading = False
        self._exact, self._counting = exact, not exact
        self.endResetModel()
        if exact:
            self.totalChanged.emit(total)
        else:
            self.countingChanged.emit(True)
        self.loadingChanged.emit(False)

    def _count_arrived(self, total: int) -> None:
        """The exact count of the rows shown since the reset: insert the missing rows at the end."""
        shown = self._total
        if total < shown:  # the journal changed between the page and the count: read both again
            self.reload()
            return
        self._counting, self._exact = False, True
        if total > shown:
            self.beginInsertRows(QModelIndex(), shown, total - 1)
            self._total = total
            self.endInsertRows()
        self.countingChanged.emit(False)
        self.totalChanged.emit(total)

    async def _fetch_page(self, generation: int, number: int) -> None:
        try:
            records = await self._source.history_page(self._query, number * self.page_size, self.page_size)
        except Exception as exc:
            if generation == self._generation:
                self._in_flight.discard(number)
                self._failed.add(number)  # not retried on every paint; a reload clears it
                self.loadFailed.emit(str(exc) or type(exc).__name__)
                self._pump()
            return
        if generation != self._generation:
            return
        self._in_flight.discard(number)
        self._pump()
        self._pages[number] = self._freshest(records)
        for fresh in self._pages[number]:
            self._cells.forget(fresh.local_id)
        while len(self._pages) > self.max_pages:
            _dropped, records = self._pages.popitem(last=False)
            for old in records:
                self._cells.forget(old.local_id)
        first = number * self.page_size
        last = min(first + self.page_size, self._total) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))
