"""History child: the real HistoryPanel (filter bar, lazy HistoryModel, QTableView) over a journal.

    python -m benchmarks.history_child memory --journal PATH [--settle S]
    python -m benchmarks.history_child ops --journal PATH --runs N --export-runs M --out DIR

The panel sits in a shown 1280×800 QMainWindow (offscreen) over a real ``PayoutDesk`` wrapping an
``AsyncJournal`` on a working copy of the journal; the desk's client is never used (``start()`` is
not called, so nothing polls). Times are from the user's action to the first page *painted*: the
action, the model's reset (count + first page fetched on the journal thread), then a synchronous
``viewport().repaint()`` of the table (every visible row's ``data()``). The search box's 250 ms
debounce is a UI choice and is not counted (``apply_filters()`` is called at once).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.harness import emit, proc_status_kib
from benchmarks.qtchild import run_once, start_qt, wait_for

SEARCH_TERMS = ("Kowalski", "INV-2023", "reimbursement", "Søren", "cus_0123", "Damage claim")
STATUS_ROWS = ("Failed", "Pending", "Rejected", "Succeeded")  # STATUS_FILTERS labels


async def open_panel(journal_path: Path) -> tuple[Any, Any, Any]:
    """(window, panel, cleanup coroutine function) with the first page loaded."""
    from PySide6.QtWidgets import QMainWindow

    from payout_desk.journal import AsyncJournal
    from payout_desk.provider.client import PayoutsClient
    from payout_desk.services.desk import PayoutDesk
    from payout_desk.ui.history.panel import HistoryPanel

    journal = await AsyncJournal.open(journal_path)
    client = PayoutsClient("http://127.0.0.1:9", "tk_test_benchmarkbenchmark")  # never called
    desk = PayoutDesk(journal, client, environment="sandbox", profile="Benchmark", actor="bench")
    window = QMainWindow()
    panel = HistoryPanel(desk, window)
    window.setCentralWidget(panel)
    window.resize(1280, 800)
    window.show()
    await panel.reload()
    panel.table.viewport().repaint()

    async def cleanup() -> None:
        window.hide()
        await desk.stop()
        await journal.close()
        await client.aclose()

    return window, panel, cleanup


async def first_page_ms(panel: Any, action: Callable[[], Any], within: float = 60.0) -> tuple[float, float]:
    """(ms from ``action()`` to the first page painted, ms to the model's reset: data in memory).

    The paint is forced synchronously inside the ``modelReset`` slot (connected after the view's and
    the panel's own, so they have already reacted): no polling delay is counted."""
    from payout_desk.ui.history.model import LoadedRole

    model = panel.model
    marks: list[float] = []

    def on_reset() -> None:
        if not marks:
            marks.append(time.perf_counter())
            panel.table.viewport().repaint()
            marks.append(time.perf_counter())

    model.modelReset.connect(on_reset)
    try:
        began = time.perf_counter()
        action()
        if not await wait_for(lambda: len(marks) == 2, within):
            raise TimeoutError("the model did not reset")
    finally:
        model.modelReset.disconnect(on_reset)
    if model.total() and not model.data(model.index(0, 0), LoadedRole):
        raise RuntimeError("first row not loaded after the reset")
    return (marks[1] - began) * 1000, (marks[0] - began) * 1000


async def reset_default(panel: Any) -> None:
    """Back to All, no text, newest first, scrolled to the top, page cache cleared (not timed)."""
    from PySide6.QtCore import Qt

    from payout_desk.ui.history.columns import COL_CREATED

    panel.search_edit.blockSignals(True)
    panel.search_edit.setText("")
    panel.search_edit.blockSignals(False)
    panel.status_filter.blockSignals(True)
    panel.status_filter.setCurrentIndex(0)
    panel.status_filter.blockSignals(False)
    pending = panel.apply_filters()  # the widgets' query, keeping the current sort
    if pending is not None:
        await pending
    panel.table.sortByColumn(COL_CREATED, Qt.SortOrder.DescendingOrder)
    await wait_for(lambda: not panel.model.is_loading(), 60)
    await panel.model.reload()
    panel.table.scrollToTop()
    panel.table.viewport().repaint()
    await asyncio.sleep(0.05)


def _status_index(panel: Any, label: str) -> int:
    index = panel.status_filter.findText(label)
    if index < 0:
        raise LookupError(f"no status filter entry {label!r}")
    return int(index)


async def jump_last_ms(panel: Any, within: float = 60.0) -> tuple[float, float]:
    """(ms from scrollToBottom to the last row painted with its data, ms until its data was in memory).

    The paint is forced synchronously in the ``dataChanged`` slot that brings the last page."""
    model = panel.model
    last = model.total() - 1
    if last < 0:
        raise RuntimeError("the journal is empty: nothing to jump to")
    marks: list[float] = []

    def on_data_changed(*_args: Any) -> None:
        if not marks and model.record_at(last) is not None:
            marks.append(time.perf_counter())
            panel.table.viewport().repaint()
            marks.append(time.perf_counter())

    model.dataChanged.connect(on_data_changed)
    try:
        began = time.perf_counter()
        panel.table.scrollToBottom()
        panel.table.viewport().repaint()  # paints the placeholders and schedules the last page
        on_data_changed()  # already cached (not the case after reset_default, which clears the pages)
        if not await wait_for(lambda: len(marks) == 2, within):
            raise TimeoutError("the last row never loaded")
    finally:
        model.dataChanged.disconnect(on_data_changed)
    return (marks[1] - began) * 1000, (marks[0] - began) * 1000


async def ops(journal_path: Path, runs: int, export_runs: int, out_dir: Path) -> None:
    from PySide6.QtCore import Qt

    from payout_desk.ui.history.columns import COL_AMOUNT

    began = time.perf_counter()
    _window, panel, cleanup = await open_panel(journal_path)
    emit({"op": "open", "ms": (time.perf_counter() - began) * 1000, "rows": panel.model.total()})
    try:
        for i in range(runs):
            term = SEARCH_TERMS[i % len(SEARCH_TERMS)]
            await reset_default(panel)

            def search(term: str = term) -> None:
                panel.search_edit.blockSignals(True)
                panel.search_edit.setText(term)
                panel.search_edit.blockSignals(False)
                panel.apply_filters()

            ms, data_ms = await first_page_ms(panel, search)
            emit({"op": "search", "ms": ms, "data_ms": data_ms, "term": term, "matches": panel.model.total()})

            await reset_default(panel)
            label = STATUS_ROWS[i % len(STATUS_ROWS)]
            index = _status_index(panel, label)

            def choose(index: int = index) -> None:
                panel.status_filter.setCurrentIndex(index)

            ms, data_ms = await first_page_ms(panel, choose)
            emit({"op": "filter", "ms": ms, "data_ms": data_ms, "status": label, "matches": panel.model.total()})

            await reset_default(panel)
            order = Qt.SortOrder.DescendingOrder if i % 2 == 0 else Qt.SortOrder.AscendingOrder

            def sort(order: Qt.SortOrder = order) -> None:
                panel.table.sortByColumn(COL_AMOUNT, order)

            ms, data_ms = await first_page_ms(panel, sort)
            emit({"op": "sort", "ms": ms, "data_ms": data_ms, "order": "desc" if i % 2 == 0 else "asc"})

            await reset_default(panel)
            ms, data_ms = await jump_last_ms(panel)
            emit({"op": "jump", "ms": ms, "data_ms": data_ms, "rows": panel.model.total()})

        await reset_default(panel)
        for i in range(export_runs):
            target = out_dir / f"export-{i}.csv"
            began = time.perf_counter()
            rows = await panel.export_to(target)
            ms = (time.perf_counter() - began) * 1000
            size = target.stat().st_size
            target.unlink()
            emit({"op": "export", "ms": ms, "rows": rows, "bytes": size})
    finally:
        await cleanup()


async def memory(journal_path: Path, settle: float) -> None:
    _window, panel, cleanup = await open_panel(journal_path)
    try:
        rows = panel.model.total()
        if rows:
            await jump_last_ms(panel)
            panel.table.scrollToTop()
            panel.table.viewport().repaint()
        await asyncio.sleep(settle)
        gc.collect()
        status = proc_status_kib()
        emit({"op": "memory", "rows": rows, "rss_kib": status.get("VmRSS", 0), "hwm_kib": status.get("VmHWM", 0)})
    finally:
        await cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("ops", "memory"))
    parser.add_argument("--journal", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--export-runs", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--settle", type=float, default=1.0)
    args = parser.parse_args(argv)
    _app, loop = start_qt()
    if args.mode == "ops":
        out = args.out or args.journal.parent
        run_once(loop, ops(args.journal, args.runs, args.export_runs, out))
    else:
        run_once(loop, memory(args.journal, args.settle))
    sys.stdout.flush()
    os._exit(0)  # results are out; skip interpreter finalisation (PySide6 teardown can crash there)


if __name__ == "__main__":
    sys.exit(main())
