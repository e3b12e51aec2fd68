"""A text search shows its first page before its count (HistoryModel, HistoryPanel over a real journal).

The count is held back by the test (an asyncio.Event, no sleeping) to look at the state in between:
the first page's rows are those of the full query, the view scrolls within them and asks for nothing
else, the label says "Counting…"; when the count arrives the other rows are inserted at the end
(no reset: rows, selection and scroll position stay), a stale count is ignored, a failed one leaves
"N+ payouts", a count below the rows shown reloads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QTableView

from payout_desk.journal import AsyncJournal, HistoryQuery, PayoutRecord
from payout_desk.provider.client import PayoutsClient
from payout_desk.services.desk import PayoutChange, PayoutDesk
from payout_desk.ui.history.columns import COL_STATUS
from payout_desk.ui.history.model import HistoryModel, JournalHistorySource, LocalIdRole
from payout_desk.ui.history.panel import HistoryPanel
from tests.gui.test_history_fixtures import opened_copy

PAGE = 100
WIDE = HistoryQuery(text="Invoice 01")  # Invoice 01000 … 01999: about 1,000 rows
OTHER = HistoryQuery(text="Invoice 02")  # Invoice 02000 … 02399: about 400 rows
NARROW = HistoryQuery(text="Invoice 0001")  # "Invoice" and "0001" (texts of 00010 … 00019): under a page


@dataclass
class GatedSource:
    """The model's source (the journal, or the desk for the panel) with counts that wait for ``gate``."""

    inner: Any
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    counts: list[HistoryQuery] = field(default_factory=list)
    pages: list[tuple[HistoryQuery, int, int]] = field(default_factory=list)
    fail: Exception | None = None
    wrong_counts: list[int] = field(default_factory=list)  # returned instead of the real count, first first

    def __post_init__(self) -> None:
        self.gate.set()

    async def history_page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        self.pages.append((query, offset, limit))
        records: list[PayoutRecord] = await self.inner.history_page(query, offset, limit)
        return records

    async def history_count(self, query: HistoryQuery) -> int:
        self.counts.append(query)
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        if self.wrong_counts:
            return self.wrong_counts.pop(0)
        total: int = await self.inner.history_count(query)
        return total

    def __getattr__(self, name: str) -> Any:  # the desk's events, refresh, export_csv
        return getattr(self.inner, name)


@pytest.fixture
def journal(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, run_async: Callable[..., Any]
) -> Iterator[AsyncJournal]:
    with opened_copy(tmp_path_factory.getbasetemp(), tmp_path, run_async) as opened:
        yield opened


@pytest.fixture
def source(journal: AsyncJournal) -> GatedSource:
    return GatedSource(JournalHistorySource(journal))


@pytest.fixture
def model(source: GatedSource, run_async: Callable[..., Any], qtbot: Any) -> HistoryModel:
    m = HistoryModel(source, page_size=PAGE, max_pages=4, locale="en_US")
    run_async(m.reload())
    return m


@pytest.fixture
def panel(journal: AsyncJournal, qtbot: Any, run_async: Callable[..., Any]) -> Iterator[HistoryPanel]:
    client = PayoutsClient("http://127.0.0.1:9", "tk_test_unused")  # never called in these tests
    desk = PayoutDesk(journal, client, environment="sandbox", profile="Sandbox", actor="tester")
    widget = HistoryPanel(GatedSource(desk), page_size=PAGE, max_pages=6)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.resize(1400, 700)
    widget.show()
    run_async(widget.reload())
    yield widget
    run_async(client.aclose())


def shown_ids(model: HistoryModel, rows: range) -> list[int | None]:
    return [model.data(model.index(row, 0), LocalIdRole) for row in rows]


def page_ids(
    run_async: Callable[..., Any], journal: AsyncJournal, query: HistoryQuery, offset: int, n: int
) -> list[int]:
    return [record.local_id for record in run_async(journal.page(query, offset, n))]


def search(qtbot: Any, model: HistoryModel, query: HistoryQuery) -> asyncio.Future[None]:
    """Start ``query`` and wait for its first page (the reset)."""
    with qtbot.waitSignal(model.modelReset, timeout=5000):
        future = model.set_query(query)
    return future


def test_first_page_before_the_count_then_the_rows_are_added_at_the_end(
    model: HistoryModel,
    source: GatedSource,
    journal: AsyncJournal,
    run_async: Callable[..., Any],
    qtbot: Any,
    qtmodeltester: Any,
) -> None:
    source.gate.clear()
    source.pages.clear()
    future = search(qtbot, model, WIDE)
    assert model.is_counting()
    assert not model.total_known()
    assert not model.is_loading()
    assert model.rowCount() == PAGE
    first = shown_ids(model, range(PAGE))
    assert None not in first  # the whole first page is here
    assert model.data(model.index(PAGE, 0), LocalIdRole) is None  # no row past it yet
    qtmodeltester.check(model, force_py=True)  # also checks the insertion below

    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(600, 300)
    view.show()
    view.scrollToBottom()  # scrolling before the count: within the rows shown, nothing else fetched
    view.viewport().repaint()
    assert view.rowAt(0) > 0  # scrolled
    assert view.rowAt(view.viewport().height() - 2) in (PAGE - 1, -1)  # the last row shown (-1: below it)
    assert [offset for _, offset, _ in source.pages] == [0]
    scroll_max = view.verticalScrollBar().maximum()

    resets: list[int] = []
    inserted: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsInserted.connect(lambda _parent, top, last: inserted.append((top, last)))
    with qtbot.waitSignal(model.totalChanged, timeout=5000) as arrived:
        source.gate.set()
    run_async(future)
    total = arrived.args[0]
    assert total == model.rowCount() == run_async(journal.count(WIDE)) > PAGE
    assert inserted == [(PAGE, total - 1)]
    assert resets == []
    assert model.total_known()
    assert not model.is_counting()
    assert shown_ids(model, range(PAGE)) == first == page_ids(run_async, journal, WIDE, 0, PAGE)
    assert view.verticalScrollBar().maximum() > scroll_max

    view.scrollToBottom()
    view.viewport().repaint()
    qtbot.waitUntil(lambda: model.record_at(total - 1) is not None, timeout=5000)
    assert shown_ids(model, range(total - 3, total)) == page_ids(run_async, journal, WIDE, total - 3, 3)


def test_a_short_result_needs_no_count(
    model: HistoryModel, source: GatedSource, journal: AsyncJournal, run_async: Callable[..., Any]
) -> None:
    source.counts.clear()
    source.gate.clear()  # a count would never come back
    run_async(model.set_query(NARROW))
    assert source.counts == []
    assert model.total_known()
    assert not model.is_counting()
    assert 0 < model.rowCount() == run_async(journal.count(NARROW)) < PAGE


def test_a_new_search_while_counting_ignores_the_stale_count(
    model: HistoryModel, source: GatedSource, journal: AsyncJournal, run_async: Callable[..., Any], qtbot: Any
) -> None:
    source.gate.clear()
    stale = search(qtbot, model, WIDE)
    current = search(qtbot, model, OTHER)
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _parent, top, last: inserted.append((top, last)))
    source.gate.set()
    run_async(current)
    run_async(stale)
    total = run_async(journal.count(OTHER))
    assert PAGE < total != run_async(journal.count(WIDE))
    assert model.rowCount() == total
    assert inserted == [(PAGE, total - 1)]
    assert shown_ids(model, range(PAGE)) == page_ids(run_async, journal, OTHER, 0, PAGE)


def test_a_row_changed_while_counting_keeps_its_change(
    model: HistoryModel, source: GatedSource, run_async: Callable[..., Any], qtbot: Any
) -> None:
    source.gate.clear()
    future = search(qtbot, model, WIDE)
    record = model.record_at(3)
    assert record is not None
    changed = replace(record, status="failed", failure_reason="account_closed")
    with qtbot.waitSignal(model.dataChanged, timeout=1000):
        model.apply_change(PayoutChange(changed, previous_status=record.status, became_final=True))
    assert model.is_counting()
    source.gate.set()
    run_async(future)
    assert model.data(model.index(3, COL_STATUS)) == "Failed"
    assert model.rowCount() > PAGE


def test_a_count_below_the_rows_shown_reads_both_again(
    model: HistoryModel, source: GatedSource, journal: AsyncJournal, run_async: Callable[..., Any], qtbot: Any
) -> None:
    source.pages.clear()
    source.wrong_counts.append(PAGE - 40)  # as if payouts left the result between the page and the count
    total = run_async(journal.count(WIDE))
    model.set_query(WIDE)
    qtbot.waitUntil(lambda: model.total_known() and not model.is_loading() and model.rowCount() == total, timeout=5000)
    assert [offset for _, offset, _ in source.pages] == [0, 0]
    assert shown_ids(model, range(PAGE)) == page_ids(run_async, journal, WIDE, 0, PAGE)


def test_panel_counting_label_selection_and_scroll_survive_the_count(
    panel: HistoryPanel, journal: AsyncJournal, run_async: Callable[..., Any], qtbot: Any
) -> None:
    source: GatedSource = panel.model._source  # type: ignore[assignment]
    source.gate.clear()
    panel.search_edit.setText(WIDE.text)
    with qtbot.waitSignal(panel.model.modelReset, timeout=5000):
        pending = panel.apply_filters()
    assert pending is not None
    assert panel.count_label.text() == "Counting…"
    assert panel.stack.currentWidget() is panel.table
    assert panel.export_button.isEnabled()
    panel.select_row(40)
    panel.table.scrollTo(panel.model.index(40, 0))
    record = panel.current_record()
    assert record is not None
    scroll = panel.table.verticalScrollBar().value()
    assert scroll > 0

    with qtbot.waitSignal(panel.model.totalChanged, timeout=5000):
        source.gate.set()
    total = run_async(journal.count(WIDE))
    assert panel.count_label.text() == f"{total:,} payouts"
    assert panel.table.currentIndex().row() == 40
    assert panel.current_record() == record
    assert panel.details.record() == record
    assert panel.table.verticalScrollBar().value() == scroll


def test_panel_a_failed_count_keeps_the_rows_and_says_so(panel: HistoryPanel, qtbot: Any) -> None:
    source: GatedSource = panel.model._source  # type: ignore[assignment]
    source.fail = RuntimeError("disk I/O error")
    panel.search_edit.setText(WIDE.text)
    with qtbot.waitSignal(panel.model.loadFailed, timeout=5000) as failed:
        panel.apply_filters()
    assert failed.args == ["disk I/O error"]
    assert not panel.model.is_counting()
    assert not panel.model.total_known()
    assert panel.model.rowCount() == PAGE
    assert panel.count_label.text() == f"{PAGE}+ payouts"
    assert panel.message.text() == "Could not load the history: disk I/O error"
    source.fail = None
    with qtbot.waitSignal(panel.model.totalChanged, timeout=5000):
        panel.reload()
    assert panel.model.total_known()
    assert panel.model.rowCount() > PAGE
