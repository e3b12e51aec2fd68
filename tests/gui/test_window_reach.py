"""Issue 16 (the reach items): the menu bar, the history rows' context menu and Copy checkin link, the whole
window reachable by Tab and Shift+Tab (no trap at the date filters), a window that fits 1024×640 logical pixels
and remembers its geometry and column widths, and Settings showing the address actually in use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from payout_desk.app import launch
from payout_desk.domain.payout import PayoutDraft, validate_draft
from payout_desk.ui.frame.menus import log_folder

#: Widgets a person must reach with the keyboard, form and history alike.
MUST_REACH = {
    "amountEdit", "descriptionEdit", "searchEdit", "statusFilter", "fromDate", "toDate", "clearDatesButton",
    "historyTable", "exportButton", "refreshButton", "timelineList",
}  # fmt: skip


def launch_connected(qtbot: Any, data_dir: Path) -> Any:
    window = launch(["--sandbox", "--data-dir", str(data_dir)])
    qtbot.waitUntil(lambda: window.context.connection is not None and window.history is not None, timeout=20000)
    return window


def close(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
        window.close()


def walk(qtbot: Any, window: Any, key: Qt.Key, steps: int = 120) -> list[QWidget]:
    """Press ``key`` until the focus comes back to where it started; the widgets visited, in order."""
    start = QApplication.focusWidget()
    seen: list[QWidget] = []
    for _ in range(steps):
        qtbot.keyClick(QApplication.focusWidget(), key)
        current = QApplication.focusWidget()
        assert current is not None
        assert current.window() is window  # never leaves the window
        if current is start:
            return seen
        assert current not in seen, f"Tab goes round without coming back, stuck at {current.objectName()!r}"
        seen.append(current)
    raise AssertionError(f"the focus never came back after {steps} presses of {key!r}")


def names(widgets: list[QWidget]) -> list[str]:
    return [w.objectName() or (w.parentWidget().objectName() if w.parentWidget() else "") for w in widgets]


def test_focus_chain_reaches_the_whole_window_both_ways(qtbot: Any, run_async: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, data_dir)
    try:
        run_async(window.context.desk.submit(validate_draft(PayoutDraft("3.00", "EUR", "one row"))))
        qtbot.waitUntil(lambda: window.history.model.rowCount() == 1, timeout=10000)
        window.activateWindow()
        qtbot.waitActive(window)
        qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # where the trap began
        qtbot.waitUntil(window.history.search_edit.hasFocus, timeout=2000)
        forward = walk(qtbot, window, Qt.Key.Key_Tab)
        reached = set(names(forward)) | {"searchEdit"}
        assert reached >= MUST_REACH, f"Tab never reaches {sorted(MUST_REACH - reached)}"
        order = names(forward)
        assert order.index("fromDate") < order.index("toDate") < order.index("clearDatesButton")  # past "From"
        backward = walk(qtbot, window, Qt.Key.Key_Backtab)
        assert set(names(backward)) | {"searchEdit"} >= MUST_REACH
        assert backward == list(reversed(forward))  # Shift+Tab is the same chain, reversed
    finally:
        close(qtbot, window)


def test_menu_bar_has_the_commands_with_their_shortcuts(qtbot: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, data_dir)
    try:
        bar = window.menuBar()
        titles = [a.text().replace("&", "") for a in bar.actions()]
        assert titles == ["File", "Payout", "View", "Help"]

        def items(name: str) -> list[str]:
            menu = window.findChild(QMenu, name)
            return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]

        assert items("fileMenu") == ["Settings…", "Export history to CSV…", "Restore from backup…", "Quit"]
        assert items("payoutMenu")[:3] == ["New payout", "Reopen checkin…", "Copy checkin link"]
        assert "Search history" in items("viewMenu")
        assert items("helpMenu") == ["Keyboard shortcuts", "Open the log folder", "About Payout Desk"]
        wanted = ("quitAction", "settingsAction", "newPayoutAction", "searchAction")
        keys = {n: window.menus.actions[n].shortcut().toString() for n in wanted}
        assert keys == {"quitAction": "Ctrl+Q", "settingsAction": "Ctrl+,", "newPayoutAction": "Ctrl+N",
                        "searchAction": "Ctrl+F"}  # fmt: skip
        lines = dict(window.menus.shortcut_lines())
        assert lines["Ctrl+Q"] == "Quit"
        assert lines["Ctrl+E"] == "Export history to CSV"
        box = window.menus.show_shortcuts()
        assert box.objectName() == "shortcutsDialog"
        assert "Ctrl+Q" in box.text()
        box.reject()
        about = window.menus.show_about()
        assert "Payout Desk" in about.text()
        assert str(data_dir / "settings.json") in about.text()  # where things are, for support
        about.reject()
        assert log_folder(data_dir / "logs").is_absolute()
        window.menus.actions["settingsAction"].trigger()
        qtbot.waitUntil(lambda: window.flow.settings_dialog is not None, timeout=5000)
        window.flow.settings_dialog.reject()
        with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
            window.menus.actions["quitAction"].trigger()  # Quit closes the window cleanly
    finally:
        if not window.shutting_down:
            close(qtbot, window)


def test_copy_checkin_link_and_the_row_context_menu(qtbot: Any, run_async: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, data_dir)
    try:
        record = run_async(window.context.desk.submit(validate_draft(PayoutDraft("4.00", "EUR", "needs details"))))
        assert record.status == "pending"
        assert record.checkin_url
        panel = window.history
        qtbot.waitUntil(lambda: panel.model.rowCount() == 1, timeout=10000)
        copy_link = window.menus.actions["copyCheckinLinkAction"]
        assert not copy_link.isEnabled()  # nothing selected yet
        table = panel.table
        rect = table.visualRect(panel.model.index(0, 0))
        menu = panel.row_actions.popup(rect.center())
        assert menu is not None
        assert menu.objectName() == "historyRowMenu"
        texts = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
        assert texts[:2] == ["Reopen checkin…", "Copy checkin link"]
        assert panel.current_record().local_id == record.local_id  # the row under the pointer is selected
        assert copy_link.isEnabled()
        menu.close()
        QGuiApplication.clipboard().clear()
        copy_link.trigger()  # the Payout menu's and the context menu's action are one
        assert QGuiApplication.clipboard().text() == record.checkin_url
        assert "send it to the recipient" in panel.message.text()
        assert panel.row_actions.popup(QPoint(5, table.viewport().height() - 2)) is None  # no row: no menu
    finally:
        close(qtbot, window)


def test_window_fits_1024_by_640_and_remembers_its_layout(qtbot: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, data_dir)
    try:
        hint = window.minimumSizeHint()
        assert hint.width() <= 1024, hint
        assert hint.height() <= 640, hint
        window.resize(1024, 640)
        qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 640, timeout=2000)
        for name in ("submitButton", "historyTable", "searchEdit", "environmentBanner"):
            widget = window.findChild(QWidget, name)
            top_left = widget.mapTo(window, QPoint(0, 0))
            assert 0 <= top_left.x() < 1024, name
            assert 0 <= top_left.y() < 640, name
        window.menus.actions["resetLayoutAction"].trigger()  # sized to its screen again (this one is 800×800)
        area = window.screen().availableGeometry()
        assert window.width() <= max(area.width(), hint.width())
        assert window.height() <= area.height()
        assert area.contains(window.frameGeometry().center())
        window.history.table.setColumnWidth(4, 333)
        window.resize(hint.width(), 600)  # within this 800×800 screen (Qt keeps a restored window on it)
        remembered = window.size()
    finally:
        close(qtbot, window)
    assert (data_dir / "window.ini").exists()
    again = launch_connected(qtbot, data_dir)
    try:
        assert again.size() == remembered
        qtbot.waitUntil(lambda: again.history.table.columnWidth(4) == 333, timeout=5000)
        again.menus.actions["resetLayoutAction"].trigger()
        assert again.history.table.columnWidth(4) != 333
    finally:
        close(qtbot, again)


def test_settings_shows_the_address_in_use(qtbot: Any, run_async: Any, data_dir: Path) -> None:
    window = launch_connected(qtbot, data_dir)
    try:
        window.open_settings()
        qtbot.waitUntil(lambda: window.flow.settings_dialog is not None, timeout=5000)
        dialog = window.flow.settings_dialog
        run_async(dialog.ready)
        dialog.profile_list.setCurrentRow(0)  # the built-in sandbox
        assert dialog.url_edit.text() == window.context.connection.base_url  # the address actually in use
        assert not dialog.url_edit.isEnabled()
        assert "Started by Payout Desk" in dialog.in_use_label.text()
        assert [d.name for d in dialog._drafts] == ["Built-in sandbox", "Sandbox"]  # no empty Live profile
        dialog.reject()
    finally:
        close(qtbot, window)


def test_a_notification_never_covers_or_swallows_review_and_send_at_1024_by_640(qtbot: Any, data_dir: Path) -> None:
    """The in-window toast stays 8 s: at 1024×640 it sat over "Review and send…" and took its clicks."""
    window = launch_connected(qtbot, data_dir)
    try:
        window.resize(1024, 640)
        qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 640, timeout=2000)
        notifier = window.notifier
        if notifier.uses_tray:
            return  # a tray message, nothing inside the window
        notifier.notify("Payout failed", "BHD 310.500 to Layla Haddad failed. " + "The reason in words. " * 4)
        toast = notifier.toast
        assert toast.isVisible()
        button = window.findChild(QWidget, "submitButton")
        where = button.mapTo(window, QPoint(0, 0))
        assert not toast.geometry().intersects(button.geometry().translated(where - button.pos()))
        assert toast.testAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # clicks go through
    finally:
        close(qtbot, window)


def test_tab_scrolls_the_filter_row_to_the_field_it_reaches_at_1024_by_640(qtbot: Any, data_dir: Path) -> None:
    """At 1024×640 the filter row scrolls sideways; Tab onto "To" or "Clear" must bring it into view, or a
    keyboard user types a date into a field they cannot see."""
    window = launch_connected(qtbot, data_dir)
    try:
        window.resize(1024, 640)
        qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 640, timeout=2000)
        window.activateWindow()
        qtbot.waitActive(window)
        history = window.history
        area = window.findChild(QWidget, "historyFiltersArea")
        assert area.horizontalScrollBar().maximum() > 0  # the row is wider than the room: it scrolls
        history.from_date.setFocus()
        for widget in (history.to_date, history.clear_dates):
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
            assert QApplication.focusWidget() is widget
            shown = widget.visibleRegion().boundingRect()
            assert shown.width() == widget.width(), f"{widget.objectName()} has the focus but is out of view"
    finally:
        close(qtbot, window)


def test_the_history_table_keeps_rows_to_read_at_1024_by_640(qtbot: Any, run_async: Any, data_dir: Path) -> None:
    """At 1024×640 the details pane kept its full 320 px and the table showed two or three rows; the
    details give way too now (they scroll), so a small screen still shows a page of payouts."""
    window = launch_connected(qtbot, data_dir)
    try:
        for n in range(8):
            run_async(window.context.desk.submit(validate_draft(PayoutDraft(f"{n + 1}.00", "EUR", f"row {n}"))))
        qtbot.waitUntil(lambda: window.history.model.rowCount() == 8, timeout=10000)
        window.resize(1024, 640)
        qtbot.waitUntil(lambda: window.width() == 1024 and window.height() == 640, timeout=2000)
        table = window.history.table
        qtbot.waitUntil(lambda: table.viewport().height() // table.rowHeight(0) >= 5, timeout=2000)
        window.resize(1440, 860)
        qtbot.waitUntil(lambda: window.height() == 860, timeout=2000)
        assert window.history.details.height() >= 300  # a large window still gives the details their room
    finally:
        close(qtbot, window)
