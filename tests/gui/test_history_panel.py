"""HistoryPanel over the real facade (PayoutDesk on a filled journal; no network is used): filter
widgets drive the model, details show the timeline, export writes the filtered rows, reopen rules."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QScrollArea

from payout_desk.journal import HistoryQuery
from payout_desk.provider.client import PayoutsClient
from payout_desk.services.desk import PayoutDesk
from payout_desk.ui.history.details_pane import WhatRole, WhoRole
from payout_desk.ui.history.model import RecordRole
from payout_desk.ui.history.panel import SEARCH_DELAY_MS, HistoryPanel
from tests.gui.test_history_fixtures import ROWS, START, opened_copy


@pytest.fixture
def desk(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, run_async: Callable[..., Any]
) -> Iterator[PayoutDesk]:
    with opened_copy(tmp_path_factory.getbasetemp(), tmp_path, run_async) as journal:
        client = PayoutsClient("http://127.0.0.1:9", "tk_test_unused")  # never called in these tests
        yield PayoutDesk(journal, client, environment="sandbox", profile="Sandbox", actor="tester")
        run_async(client.aclose())


@pytest.fixture
def panel(desk: PayoutDesk, qtbot: Any, run_async: Callable[..., Any]) -> HistoryPanel:
    widget = HistoryPanel(desk, page_size=100, max_pages=6)
    qtbot.addWidget(widget)
    widget.resize(1400, 700)
    widget.show()
    run_async(widget.reload())
    return widget


def reset_after(qtbot: Any, panel: HistoryPanel, action: Callable[[], object]) -> None:
    with qtbot.waitSignal(panel.model.modelReset, timeout=5000):
        action()


def test_filters_drive_the_model(panel: HistoryPanel, qtbot: Any) -> None:
    assert panel.model.rowCount() == ROWS
    assert panel.count_label.text() == f"{ROWS:,} payouts"
    reset_after(qtbot, panel, lambda: panel.status_filter.setCurrentText("Rejected"))
    assert panel.model.query().statuses == frozenset(
        {"rejected", "approval_rejected"}
    )  # by the provider or an approver
    assert panel.model.rowCount() == ROWS // 5

    reset_after(qtbot, panel, lambda: panel.status_filter.setCurrentText("Sending"))
    assert panel.model.query().statuses == frozenset({"confirmed"})
    reset_after(qtbot, panel, lambda: panel.status_filter.setCurrentText("All"))

    # typing is debounced: one query for the whole word, not one per keystroke
    queries: list[HistoryQuery] = []
    panel.model.modelReset.connect(lambda: queries.append(panel.model.query()))
    qtbot.keyClicks(panel.search_edit, "00012")
    assert queries == []
    qtbot.waitUntil(lambda: len(queries) == 1, timeout=SEARCH_DELAY_MS + 3000)
    assert queries[0].text == "00012"
    assert 0 < panel.model.rowCount() < 100
    panel.search_edit.clear()
    qtbot.waitUntil(lambda: len(queries) == 2, timeout=3000)

    day = START.astimezone().date() + timedelta(days=3)
    reset_after(qtbot, panel, lambda: panel.from_date.setDate(QDate(day.year, day.month, day.day)))
    reset_after(qtbot, panel, lambda: panel.to_date.setDate(QDate(day.year, day.month, day.day)))
    query = panel.model.query()
    assert query.created_from is not None
    assert query.created_to is not None
    assert query.created_to - query.created_from == timedelta(days=1)
    assert 0 < panel.model.rowCount() < 100
    for row in range(panel.model.rowCount()):
        assert panel.model.data(panel.model.index(row, 0), RecordRole).created_at.astimezone().date() == day

    reset_after(qtbot, panel, panel.clear_date_range)
    assert panel.model.query().created_from is None
    assert panel.from_date.text() == "Any"
    assert panel.model.rowCount() == ROWS


def test_empty_state_when_nothing_matches(panel: HistoryPanel, qtbot: Any) -> None:
    reset_after(qtbot, panel, lambda: panel.to_date.setDate(QDate(2001, 1, 1)))
    assert panel.stack.currentWidget() is panel.empty_label
    assert panel.empty_label.text() == "No payouts match these filters."
    assert not panel.export_button.isEnabled()


def test_a_from_date_after_the_to_date_is_named_in_the_empty_state(panel: HistoryPanel, qtbot: Any) -> None:
    """Dates typed the wrong way round find nothing; the empty state says why and what to change."""
    reset_after(qtbot, panel, lambda: panel.from_date.setDate(QDate(2026, 11, 15)))
    reset_after(qtbot, panel, lambda: panel.to_date.setDate(QDate(2026, 11, 1)))
    assert panel.stack.currentWidget() is panel.empty_label
    assert panel.empty_label.text() == (
        "No payouts match: “From” (2026-11-15) is after “To” (2026-11-01). Change one of the dates."
    )


def test_details_show_fields_and_timeline(panel: HistoryPanel, qtbot: Any) -> None:
    reset_after(qtbot, panel, lambda: panel.status_filter.setCurrentText("Failed"))
    with qtbot.waitSignal(panel.details.eventsLoaded, timeout=5000) as loaded:
        panel.select_row(0)
    assert loaded.args == [3]  # confirmed, created, status
    record = panel.current_record()
    assert record is not None
    assert panel.details.fields["payment_id"].text() == record.payment_id
    closed = "The recipient's bank account is closed. Ask them for another account and send a new payout."
    assert panel.details.fields["failure"].text() == f"{closed} (account_closed)"  # words, next step, code
    assert panel.details.fields["status"].text() == "Failed"
    lines = [panel.details.timeline.item(i).data(WhatRole) for i in range(3)]
    whos = [panel.details.timeline.item(i).data(WhoRole) for i in range(3)]
    assert panel.details.timeline.item(2).text().endswith(" · poller")
    assert lines[0].startswith("Confirmed and recorded")
    assert lines[1].startswith(f"Created at the provider as {record.payment_id}")
    assert lines[2] == f"Status Pending → Failed (from poll): {closed} (account_closed)"
    assert whos == ["alice", "alice", "poller"]


def test_reopen_only_for_pending_rows_with_a_checkin_url(panel: HistoryPanel, qtbot: Any) -> None:
    statuses: dict[str, bool] = {}
    for row in range(10):
        panel.select_row(row)
        record = panel.current_record()
        statuses[record.status] = panel.reopen_button.isEnabled()
    assert statuses == {"pending": True, "succeeded": False, "failed": False, "rejected": False, "confirmed": False}
    while panel.current_record().status != "pending":
        panel.select_row(panel.table.currentIndex().row() + 1)
    with qtbot.waitSignal(panel.reopenRequested, timeout=1000) as reopened:
        qtbot.mouseClick(panel.reopen_button, Qt.MouseButton.LeftButton)
    assert reopened.args == [panel.current_record().local_id]

    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == panel.current_record().payment_id


def test_ctrl_c_copies_the_selected_rows(panel: HistoryPanel, qtbot: Any) -> None:
    panel.select_row(0)
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert lines[0].startswith("Created\tStatus\tAmount")
    assert f"Invoice {ROWS - 1:05d}" in lines[1]


def test_export_writes_the_filtered_rows_defused(
    panel: HistoryPanel, qtbot: Any, tmp_path: Path, run_async: Any
) -> None:
    reset_after(qtbot, panel, lambda: panel.status_filter.setCurrentText("Succeeded"))  # i % 5 == 2
    target = tmp_path / "out.csv"
    with qtbot.waitSignal(panel.exportFinished, timeout=10000) as done:
        future = panel.export_to(target)
    assert run_async(future) == ROWS // 5
    assert done.args == [ROWS // 5, str(target)]
    assert panel.message.text().split("\n")[0] == f"Exported {ROWS // 5:,} payouts to out.csv"
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == ROWS // 5
    assert {row["status"] for row in rows} == {"succeeded"}
    bait = [row["description"] for row in rows if "HYPERLINK" in row["description"]]
    assert bait, "the fill puts a formula in a succeeded row's description"
    assert all(text.startswith("'=") for text in bait)


def test_export_right_after_typing_a_search_writes_what_the_field_says(
    panel: HistoryPanel, tmp_path: Path, run_async: Any
) -> None:
    """Ctrl+E within the search's 250 ms delay: the file holds the rows the search field describes,
    not the rows shown before the last keystroke."""
    panel.search_edit.setText("Invoice 0001")  # the delay has not run out yet
    assert panel.filters.search_timer.isActive()
    target = tmp_path / "typed.csv"
    rows_written = run_async(panel.export_to(target))
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert 0 < len(rows) == rows_written < ROWS
    assert panel.model.query().text == "Invoice 0001"  # the table shows the same rows as the file
    assert rows_written == panel.model.total()
    shown = {str(panel.model.data(panel.model.index(r, 0), RecordRole).local_id) for r in range(panel.model.rowCount())}
    assert {row["local_id"] for row in rows} == shown


def test_an_export_that_cannot_be_written_says_so_in_plain_words(
    panel: HistoryPanel, qtbot: Any, tmp_path: Path
) -> None:
    """Not "[Errno 2] No such file or directory: '/x/.out.csv.k3j.tmp'": the place, the reason, the next step."""
    cases = ((tmp_path / "gone" / "out.csv", "the folder does not exist"), (tmp_path, "is a folder"))
    for target, reason in cases:
        future = panel.export_to(target)
        qtbot.waitUntil(future.done, timeout=10000)
        text = panel.message.text()
        assert text.startswith(f"Export failed: {target} could not be written")
        assert reason in text
        assert "Choose another place and export again." in text
        assert "Errno" not in text  # the technical detail goes to the log
        assert ".tmp" not in text


def test_a_long_message_never_widens_the_history(panel: HistoryPanel, qtbot: Any, tmp_path: Path) -> None:
    """An export to a long file name (or a message naming a long path) wraps in the message line; it
    never raises the panel's minimum width, which would push the window past a 1024-pixel screen."""
    narrowest = panel.minimumSizeHint().width()
    folder = tmp_path / "Finance_Department_Payouts_Archive_December_2026_final_version_for_the_auditors"
    folder.mkdir()
    future = panel.export_to(folder / "payouts-2026-12-06-every-payout-of-the-month-for-the-auditors.csv")
    qtbot.waitUntil(future.done, timeout=10000)
    panel.message.setText(f"Export failed: {folder}/missing/out.csv could not be written")
    QApplication.processEvents()
    assert panel.minimumSizeHint().width() == narrowest


def test_apply_change_updates_row_and_details(panel: HistoryPanel, qtbot: Any) -> None:
    from dataclasses import replace

    from payout_desk.services.desk import PayoutChange

    panel.select_row(2)
    record = panel.current_record()
    assert record is not None
    changed = replace(record, status="succeeded", failure_reason=None)
    with qtbot.waitSignal(panel.model.dataChanged, timeout=1000):
        panel.apply_change(PayoutChange(changed, previous_status=record.status, became_final=True))
    assert panel.details.fields["status"].text() == "Succeeded"
    assert panel.table.currentIndex().row() == 2


def test_refresh_now_asks_the_desk_and_reports(panel: HistoryPanel, qtbot: Any) -> None:
    reset_after(qtbot, panel, lambda: panel.status_filter.setCurrentText("Rejected"))  # no payment id: no network
    panel.select_row(0)
    assert panel.refresh_button.isEnabled()
    assert not panel.copy_button.isEnabled()  # nothing to copy without a payment id
    with qtbot.waitSignal(panel.refreshFinished, timeout=5000) as done:
        qtbot.mouseClick(panel.refresh_button, Qt.MouseButton.LeftButton)
    assert done.args[0].local_id == panel.current_record().local_id
    assert panel.message.text() == "Status checked just now: Rejected"
    assert panel.details.fields["failure"].text() == "Bad IBAN"


def test_layout_shows_created_to_recipient_without_scrolling(panel: HistoryPanel, qtbot: Any) -> None:
    from payout_desk.ui.history.columns import COL_AMOUNT, COL_DESCRIPTION, COL_RECIPIENT, COLUMNS, amount_widest

    assert panel.splitter.orientation() == Qt.Orientation.Vertical  # details below: the table gets the width
    assert panel.splitter.widget(1) is panel.details
    panel.resize(880, 760)  # what the main window gives the history at 1440 px wide
    qtbot.waitUntil(lambda: panel.table.viewport().width() < 880, timeout=2000)
    table, header = panel.table, panel.table.horizontalHeader()
    qtbot.waitUntil(
        lambda: (
            header.sectionViewportPosition(COL_RECIPIENT) + table.columnWidth(COL_RECIPIENT) <= table.viewport().width()
        ),
        timeout=2000,
    )
    assert header.sectionViewportPosition(0) == 0
    assert table.columnWidth(COL_DESCRIPTION) >= 160
    widest = table.fontMetrics().horizontalAdvance(amount_widest(panel.model.locale()))
    assert table.columnWidth(COL_AMOUNT) > widest  # 1,000,000,000.000 is never cut
    for column in range(len(COLUMNS)):  # no header is cut either
        assert table.columnWidth(column) >= header.sectionSizeFromContents(column).width()

    # once the user sizes a column, widths are theirs: a resize no longer moves Description
    header.resizeSection(COL_RECIPIENT, 300)
    description = table.columnWidth(COL_DESCRIPTION)
    panel.resize(1200, 760)
    qtbot.waitUntil(lambda: table.viewport().width() > 900, timeout=2000)
    assert table.columnWidth(COL_DESCRIPTION) == description


def test_details_values_wrap_anywhere_and_copy_exactly(panel: HistoryPanel, qtbot: Any) -> None:
    from dataclasses import replace

    from payout_desk.ui.history.details_pane import DetailsPane

    panel.select_row(0)
    long_id = "pay_" + "30c62ebe95f550002ad4504a" * 3
    url = f"http://127.0.0.1:33719/checkin/{long_id}"
    record = replace(panel.current_record(), payment_id=long_id, checkin_url=url)
    pane = DetailsPane(None)
    qtbot.addWidget(pane)
    pane.resize(420, 500)
    pane.show()
    pane.show_record(record)
    field = pane.fields["payment_id"]
    one_line = field.fontMetrics().height()
    qtbot.waitUntil(lambda: field.height() > 1.5 * one_line, timeout=2000)  # wrapped, not cut
    assert field.text() == long_id  # nothing inserted: what is copied is the id
    assert pane.fields["checkin"].text() == url
    assert pane.fields["checkin"].height() > 1.5 * one_line
    assert field.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert field.isReadOnly()
    scroll = pane.findChild(QScrollArea, "detailsFields")
    assert scroll.horizontalScrollBar().maximum() == 0
    qtbot.waitUntil(lambda: field.geometry().right() < scroll.viewport().width(), timeout=2000)  # not clipped
    field.selectAll()
    field.copy()
    assert QGuiApplication.clipboard().text() == long_id

    # a later palette change (light → dark) reaches the values: no style sheet freezes their colour
    from PySide6.QtGui import QColor, QPalette

    light = QGuiApplication.palette()
    dark = QPalette(QColor("#353535"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8e8e8"))
    QGuiApplication.setPalette(dark)
    try:
        qtbot.waitUntil(lambda: field.palette().color(QPalette.ColorRole.Text) == QColor("#e8e8e8"), timeout=2000)
    finally:
        QGuiApplication.setPalette(light)


def test_status_icon_is_readable_on_the_selection(qapp: Any) -> None:
    from PySide6.QtGui import QColor, QIcon, QPalette

    from payout_desk.domain.status import StatusTone
    from payout_desk.ui.style.status import contrast_ratio, tone_icon

    palette = QGuiApplication.palette()
    highlight = palette.color(QPalette.ColorRole.Highlight)
    for tone in StatusTone:
        icon = tone_icon(tone, palette)
        normal = icon.pixmap(16, 16, QIcon.Mode.Normal).toImage()
        selected = icon.pixmap(16, 16, QIcon.Mode.Selected).toImage()
        assert bytes(normal.constBits()) != bytes(selected.constBits())
        opaque = [
            QColor(selected.pixel(x, y))
            for x in range(selected.width())
            for y in range(selected.height())
            if QColor.fromRgba(selected.pixel(x, y)).alpha() == 255
        ]
        assert opaque, tone
        for color in opaque:  # the shape is drawn in the selected text's colour
            assert color == palette.color(QPalette.ColorRole.HighlightedText), tone
        assert contrast_ratio(opaque[0], highlight) >= 3.0  # WCAG non-text contrast


def test_search_finds_amounts_as_displayed(panel: HistoryPanel, qtbot: Any) -> None:
    reset_after(qtbot, panel, lambda: panel.search_edit.setText("1,500"))  # as the JPY cells show it
    assert panel.model.query().amount == 1500
    qtbot.waitUntil(lambda: panel.model.total_known() and panel.model.total() == ROWS // 3, timeout=5000)
    for row in range(100):  # the first page (the rest loads as it scrolls into view)
        record = panel.model.data(panel.model.index(row, 0), RecordRole)
        assert (record.amount, record.currency) == (1500, "JPY")  # exactly: not BHD 1.500
    reset_after(qtbot, panel, lambda: panel.search_edit.setText("1.500"))
    assert {panel.model.data(panel.model.index(r, 0), RecordRole).currency for r in range(50)} == {"BHD"}
    reset_after(qtbot, panel, lambda: panel.search_edit.setText("Invoice"))
    assert panel.model.query().amount is None  # words stay a text search


def test_a_comma_locale_still_reads_an_amount_typed_as_stored(qtbot: Any) -> None:
    """In a German locale "1250.00" (as the CSV and the wire write it) is no displayed amount; it must still
    match that amount exactly, never fall back to a substring search that finds 11250.00."""
    from PySide6.QtCore import QLocale

    from payout_desk.ui.history.filters import HistoryFilterBar

    previous = QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.German, QLocale.Country.Germany))
    try:
        bar = HistoryFilterBar()
        qtbot.addWidget(bar)
        for text, amount in (("1.250,00", Decimal("1250.00")), ("1250.00", Decimal("1250.00")),
                             ("1250", Decimal(1250)), ("Invoice", None)):  # fmt: skip
            bar.search_edit.setText(text)
            assert bar.query().amount == amount, text
    finally:
        QLocale.setDefault(previous)


def test_totals_equal_the_sum_of_the_exported_rows(
    panel: HistoryPanel, qtbot: Any, tmp_path: Path, run_async: Any
) -> None:
    reset_after(qtbot, panel, lambda: panel.search_edit.setText("Invoice 0001"))  # a filtered subset
    qtbot.waitUntil(lambda: bool(panel.totals.totals) and sum(t.count for t in panel.totals.totals)
                    == panel.model.total(), timeout=5000)  # fmt: skip
    target = tmp_path / "subset.csv"
    rows_written = run_async(panel.export_to(target))
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == rows_written == panel.model.total() > 0
    expected: dict[tuple[str, str], tuple[int, Decimal]] = {}
    for row in rows:  # the exported rows, summed exactly per currency and status
        count, amount = expected.get((row["currency"], row["status"]), (0, Decimal(0)))
        expected[(row["currency"], row["status"])] = (count + 1, amount + Decimal(row["amount"]))
    shown = {(t.currency, s.status): (s.count, s.amount) for t in panel.totals.totals for s in t.by_status}
    assert shown == expected
    label = panel.findChild(QLabel, "totalsLabel")
    assert label.isVisible()
    first = panel.totals.totals[0]
    line = label.text().split("\n")[0]
    if len(first.sent) > 1:  # the headline: what was sent or is on its way; never-sent payouts follow apart
        assert line.startswith(f"{first.currency} · {first.sent_count:,} payouts ")
    elif first.sent:
        assert line.startswith(f"{first.currency} · {first.sent_count:,} {first.sent[0].status} ")
    assert ("; not sent: " in line or line.startswith(f"{first.currency} · not sent: ")) == bool(first.not_sent)
    summary = panel.message.text().split("\n")
    assert summary[0] == f"Exported {rows_written:,} payouts to subset.csv"
    assert summary[1:] == list(panel.totals.toolTip().split("\n"))  # the same totals, every currency


def test_times_name_their_zone(panel: HistoryPanel) -> None:
    from payout_desk.ui.history.columns import COL_CREATED, COL_UPDATED

    for column in (COL_CREATED, COL_UPDATED):  # the table's minutes: the header says whose clock
        tip = panel.model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
        assert tip == f"Local time ({datetime.now().astimezone().tzname()})"
    record = panel.model.data(panel.model.index(0, 0), RecordRole)
    panel.select_row(0)
    zone = record.created_at.astimezone().tzname()
    assert panel.details.fields["created"].text().endswith(f" {zone}")  # to the second, with the zone


@pytest.mark.parametrize(
    ("status", "ambiguous", "attempted", "words"),
    [
        ("confirmed", 0, False, "not sent yet"),
        ("confirmed", 0, True, "may hold"),  # an attempt was under way when the app stopped
        ("outcome_unknown", 1, True, "may hold"),
        ("mismatch", 0, True, "may hold"),  # the provider answered 201 with other details
        ("needs_reconciliation", 1, True, "may hold"),
        ("rejected", 0, True, "not created"),
    ],
)
def test_a_payout_without_a_payment_id_never_reads_not_created_when_the_provider_may_hold_it(
    panel: HistoryPanel, qtbot: Any, status: str, ambiguous: int, attempted: bool, words: str
) -> None:
    """Found by the money audit: an outcome_unknown or mismatch payout (the provider answered 201
    with another amount) read "not created at the provider yet" — a finance user keys it again."""
    from dataclasses import replace

    from payout_desk.ui.history.details_pane import DetailsPane

    panel.select_row(0)
    record = replace(
        panel.current_record(),
        status=status,
        payment_id=None,
        ambiguous=ambiguous,
        first_attempt_at=1 if attempted else None,
    )
    pane = DetailsPane(None)
    qtbot.addWidget(pane)
    pane.show_record(record)
    text = pane.fields["payment_id"].text()
    assert words in text
    if words == "may hold":
        assert "not created" not in text
        assert "do not create it again" in text
