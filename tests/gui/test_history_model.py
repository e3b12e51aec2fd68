"""HistoryModel on a real journal (a few thousand rows): lazy paging, server-side sort and filters,
one-row live updates, amount formatting, and pytest-qt's model tester."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont

from payout_desk.journal import AsyncJournal, HistoryQuery, PayoutRecord, SortKey
from payout_desk.ui.history.columns import COL_AMOUNT, COL_CREATED, COL_DESCRIPTION, COL_STATUS
from payout_desk.ui.history.model import (
    PLACEHOLDER,
    HistoryModel,
    JournalHistorySource,
    LocalIdRole,
    RecordRole,
    StatusRole,
)
from tests.gui.test_history_fixtures import ROWS, START, CountingSource, opened_copy

PAGE = 100


@dataclass
class Change:
    record: PayoutRecord
    previous_status: str | None
    became_final: bool = False


@pytest.fixture
def journal(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, run_async: Callable[..., Any]
) -> Iterator[AsyncJournal]:
    with opened_copy(tmp_path_factory.getbasetemp(), tmp_path, run_async) as opened:
        yield opened


@pytest.fixture
def source(journal: AsyncJournal) -> CountingSource:
    return CountingSource(JournalHistorySource(journal))


@pytest.fixture
def model(source: CountingSource, run_async: Callable[..., Any], qtbot: Any) -> HistoryModel:
    m = HistoryModel(source, page_size=PAGE, max_pages=4, locale="en_US")
    run_async(m.reload())
    return m


def wait_loaded(qtbot: Any, model: HistoryModel, row: int) -> PayoutRecord:
    model.data(model.index(row, 0))
    qtbot.waitUntil(lambda: model.record_at(row) is not None, timeout=5000)
    record = model.record_at(row)
    assert record is not None
    return record


def test_row_count_is_the_total_and_only_requested_pages_are_fetched(
    model: HistoryModel, source: CountingSource, qtbot: Any
) -> None:
    assert model.rowCount() == ROWS
    assert [offset for _, offset, _ in source.pages] == [0]  # the first page came with the count
    assert model.data(model.index(0, COL_DESCRIPTION)) == f"Invoice {ROWS - 1:05d}"  # newest first

    far = 1234
    assert model.data(model.index(far, COL_DESCRIPTION)) == PLACEHOLDER
    assert model.data(model.index(far, 0), RecordRole) is None
    assert model.data(model.index(far + 1, 0)) == PLACEHOLDER  # same page: no second request
    with qtbot.waitSignal(model.dataChanged, timeout=5000) as changed:
        pass
    top, bottom = changed.args[0], changed.args[1]
    assert (top.row(), bottom.row()) == (1200, 1299)  # just that page
    assert [offset for _, offset, _ in source.pages] == [0, 1200]
    assert model.data(model.index(far, COL_DESCRIPTION)) == f"Invoice {ROWS - 1 - far:05d}"
    assert len(source.counts) == 1


def test_cache_is_bounded_least_recently_used_pages_are_dropped(model: HistoryModel, qtbot: Any) -> None:
    for page in (3, 7, 11, 15, 19):
        wait_loaded(qtbot, model, page * PAGE)
    assert len(model.cached_pages()) == 4
    assert 0 not in model.cached_pages()  # the oldest one went
    assert model.cached_pages()[-1] == 19


def test_qtmodeltester_with_data_loaded(
    qtmodeltester: Any, journal: AsyncJournal, run_async: Callable[..., Any], qtbot: Any
) -> None:
    small = HistoryModel(JournalHistorySource(journal), page_size=PAGE, max_pages=4, locale="en_US")
    run_async(small.set_query(HistoryQuery(text="Invoice 0001")))  # fewer rows than a page: all loaded
    assert 0 < small.rowCount() <= PAGE
    qtmodeltester.check(small, force_py=True)


def test_sort_by_header_is_server_side(model: HistoryModel, source: CountingSource, qtbot: Any) -> None:
    source.reset()
    with qtbot.waitSignal(model.modelReset, timeout=5000):
        model.sort(COL_AMOUNT, Qt.SortOrder.AscendingOrder)
    assert source.counts[-1].sort == SortKey.AMOUNT
    assert source.counts[-1].descending is False
    amounts = [model.data(model.index(r, 0), RecordRole).amount for r in range(PAGE)]
    assert amounts == sorted(amounts)
    assert amounts[0] == Decimal("1.500")
    with qtbot.waitSignal(model.modelReset, timeout=5000):
        model.sort(COL_CREATED, Qt.SortOrder.AscendingOrder)
    assert model.data(model.index(0, COL_DESCRIPTION)) == "Invoice 00000"


def test_status_filter_search_and_date_range(model: HistoryModel, run_async: Callable[..., Any]) -> None:
    run_async(model.set_query(HistoryQuery(statuses=frozenset({"failed"}))))
    assert model.rowCount() == ROWS // 5
    assert {model.data(model.index(r, 0), StatusRole) for r in range(50)} == {"failed"}
    assert model.data(model.index(0, COL_STATUS)) == "Failed"

    run_async(model.set_query(HistoryQuery(text="00012")))
    assert 0 < model.rowCount() < PAGE
    for r in range(model.rowCount()):
        rec = model.data(model.index(r, 0), RecordRole)
        assert any("00012" in (value or "") for value in (rec.description, rec.external_id, rec.payment_id))

    first = START + timedelta(days=10)
    run_async(model.set_query(HistoryQuery(created_from=first, created_to=first + timedelta(days=1))))
    records = [model.data(model.index(r, 0), RecordRole) for r in range(min(model.rowCount(), PAGE))]
    assert 0 < model.rowCount() < ROWS
    assert all(first <= rec.created_at < first + timedelta(days=1) for rec in records)

    run_async(model.set_query(HistoryQuery(created_to=START)))
    assert model.rowCount() == 0


def test_apply_change_updates_one_row_and_resets_nothing(model: HistoryModel, qtbot: Any) -> None:
    record = wait_loaded(qtbot, model, 3)
    updated = replace(record, status="succeeded", failure_reason=None)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    with qtbot.waitSignal(model.dataChanged, timeout=1000) as changed:
        model.apply_change(Change(updated, previous_status=record.status, became_final=True))
    top, bottom = changed.args[0], changed.args[1]
    assert (top.row(), bottom.row(), top.column(), bottom.column()) == (3, 3, 0, model.columnCount() - 1)
    assert model.data(model.index(3, COL_STATUS)) == "Succeeded"
    assert model.data(model.index(3, 0), LocalIdRole) == record.local_id
    assert resets == []
    assert not model.is_loading()


def test_new_payout_reloads_count_and_first_page(
    model: HistoryModel, journal: AsyncJournal, source: CountingSource, run_async: Callable[..., Any], qtbot: Any
) -> None:
    from tests.gui.test_history_fixtures import request

    record = run_async(
        journal.record_confirmed(request(99999), idempotency_key="new", environment="sandbox", profile="S", actor="bob")
    )
    source.reset()
    with qtbot.waitSignal(model.modelReset, timeout=5000):
        model.apply_change(Change(record, previous_status=None))
    assert model.rowCount() == ROWS + 1
    assert model.data(model.index(0, 0), LocalIdRole) == record.local_id
    assert len(source.counts) == 1


def test_amounts_use_the_currency_minor_units_right_aligned(model: HistoryModel, run_async: Callable[..., Any]) -> None:
    tip = Qt.ItemDataRole.ToolTipRole
    shown: dict[str, str] = {}
    for row in range(6):
        rec = model.data(model.index(row, 0), RecordRole)
        shown[rec.currency] = model.data(model.index(row, COL_AMOUNT))
    # a plain number with exactly the ISO 4217 digits and no symbol: the Currency column is beside it
    assert shown == {"JPY": "1,500", "BHD": "1.500", "EUR": "12.50"}
    tips = {
        model.data(model.index(r, 0), RecordRole).currency: model.data(model.index(r, COL_AMOUNT), tip)
        for r in range(6)
    }
    assert tips == {"JPY": "¥1,500", "BHD": "BHD\xa01.500", "EUR": "€12.50"}  # the full format, on hover
    align = model.data(model.index(0, COL_AMOUNT), Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight
    font = model.data(model.index(0, COL_AMOUNT), Qt.ItemDataRole.FontRole)
    assert font.featureValue(QFont.Tag("tnum")) == 1  # tabular digits
    assert model.data(model.index(0, COL_DESCRIPTION), Qt.ItemDataRole.FontRole) is None
    assert model.data(model.index(0, COL_STATUS), Qt.ItemDataRole.DecorationRole) is not None
    assert model.headerData(COL_AMOUNT, Qt.Orientation.Horizontal) == "Amount"
    assert model.rowCount(model.index(0, 0)) == 0
    assert not model.data(QModelIndex())


def test_status_style_colour_icon_and_text_with_accessible_contrast(qapp: Any) -> None:
    from PySide6.QtGui import QColor, QPalette

    from payout_desk.domain.status import StatusTone
    from payout_desk.ui.style.status import contrast_ratio, status_style, tone_color, tone_icon

    light, dark = QPalette(QColor("#efefef")), QPalette(QColor("#2d2d2d"))
    light.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
    for palette in (light, dark):
        base = palette.color(QPalette.ColorRole.Base)
        alternate = base.darker(106) if base.lightness() > 128 else base.lighter(130)
        for tone in StatusTone:
            assert contrast_ratio(tone_color(tone, palette), base) >= 4.5, (tone, base.name())
            assert contrast_ratio(tone_color(tone, palette), alternate) >= 4.5, (tone, alternate.name())
    images = {tone: tone_icon(tone, light).pixmap(16, 16).toImage() for tone in StatusTone}
    assert len({bytes(img.constBits()) for img in images.values()}) == len(StatusTone)  # distinct shapes
    style = status_style("outcome_unknown", light)
    assert (style.label, style.tone) == ("Outcome unknown — retrying", StatusTone.WARNING)
    assert status_style("weird_new_status", light).label == "weird_new_status"


def test_change_arriving_while_its_page_is_in_flight_wins(
    model: HistoryModel, journal: AsyncJournal, run_async: Callable[..., Any], qtbot: Any
) -> None:
    (stale,) = run_async(journal.page(model.query(), 1250, 1))
    newer = replace(stale, status="failed", failure_reason="account_closed", updated_at=stale.updated_at + timedelta(1))
    assert model.data(model.index(1250, COL_STATUS)) == PLACEHOLDER  # page 12 requested, not here yet
    model.apply_change(Change(newer, previous_status=stale.status))  # not loaded: no reload, remembered
    assert not model.is_loading()
    loaded = wait_loaded(qtbot, model, 1250)
    assert loaded.status == "failed"
    tip = model.data(model.index(1250, COL_STATUS), Qt.ItemDataRole.ToolTipRole)
    closed = "The recipient's bank account is closed. Ask them for another account and send a new payout."
    assert tip == f"Failed: {closed} (account_closed)"


def test_fast_scrolling_fetches_newest_requests_first_and_forgets_old_ones(
    model: HistoryModel, source: CountingSource, qtbot: Any
) -> None:
    source.reset()
    for page in range(1, 21):  # a fast scroll over 20 pages, faster than any fetch
        model.data(model.index(page * PAGE, 0))
    qtbot.waitUntil(lambda: model.record_at(20 * PAGE) is not None, timeout=5000)
    qtbot.waitUntil(lambda: not model._in_flight, timeout=5000)
    fetched = [offset // PAGE for _, offset, _ in source.pages]
    assert fetched[:2] == [1, 2]  # two started at once
    assert fetched[2] == 20  # then the newest request (what is on screen now)
    assert len(fetched) == 2 + model.max_pages  # requests older than max_pages were forgotten
