"""The window's ways out for the journal: a seen journal emptied between runs is refused with a plain
message (never replaced), a backup is checked and restored (the damaged file kept aside), a new journal
can be started instead, and damage found by the quick_check after connecting offers the newest good
backup. Real window, real sandbox over loopback, real files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QLabel, QPushButton

from payout_desk.app import launch
from payout_desk.journal.backup import list_backups, make_backup
from payout_desk.journal.identity import read_facts
from tests.integration.sandbox.helpers import payout
from tests.unit.journal.helpers import scribble_page
from tests.unit.journal.test_lock import HOLDER

CONNECT_MS = 20000
SHOTS = os.environ.get("PAYOUT_DESK_SHOTS")  # a folder: the dialogs are saved there as PNG


def _close(qtbot: Any, window: Any) -> None:
    with qtbot.waitSignal(window.shutdownFinished, timeout=15000):
        window.close()


def _dialog(qtbot: Any, window: Any, name: str) -> Any:
    found: list[Any] = []

    def visible() -> bool:
        found[:] = [d for d in window.findChildren(QDialog, name) if d.isVisible()]
        return bool(found)

    qtbot.waitUntil(visible, timeout=CONNECT_MS)
    return found[-1]


def _shot(widget: Any, name: str) -> None:
    if SHOTS:
        widget.grab().save(str(Path(SHOTS) / f"{name}.png"))


def _first_run(qtbot: Any, sandbox: Any, data_dir: Path, run_async: Any) -> Path:
    """Open the app once, send a payout, wait for the daily backup, close: a journal the app has seen."""
    window = launch(["--sandbox-url", sandbox.base_url, "--data-dir", str(data_dir)])
    try:
        with qtbot.waitSignal(window.connected, timeout=CONNECT_MS):
            pass
        request = _request()
        run_async(window.context.desk.submit(request))
        journal = window.context.journal_path
        qtbot.waitUntil(lambda: bool(list_backups(journal)), timeout=CONNECT_MS)  # the automatic one, at start
    finally:
        _close(qtbot, window)
    assert read_facts(list_backups(journal)[0].path).records == 0  # made before the payout
    make_backup(journal, "daily")  # the next day's backup, which holds the payout
    return journal


def _request() -> Any:
    from payout_desk.domain.payout import PayoutDraft, validate_draft

    body = payout()
    checked = validate_draft(PayoutDraft(body["amount"], body["currency"], description="Recovery test"))
    assert not isinstance(checked, list)
    return checked


def _connect_fails(qtbot: Any, sandbox: Any, data_dir: Path) -> Any:
    window = launch(["--sandbox-url", sandbox.base_url, "--data-dir", str(data_dir)])
    with qtbot.waitSignal(window.connectFailed, timeout=CONNECT_MS) as failed:
        pass
    return window, failed.args[0]


def test_an_emptied_journal_is_refused_and_a_checked_backup_restores_it(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path, run_async: Any
) -> None:
    journal = _first_run(qtbot, sandbox, data_dir, run_async)
    os.truncate(journal, 0)  # what the audit found: it used to open as a new, empty journal
    window, message = _connect_fails(qtbot, sandbox, data_dir)
    try:
        assert "is empty (0 bytes)" in message
        assert journal.stat().st_size == 0  # refused, untouched
        refusal = _dialog(qtbot, window, "journalRefusalDialog")
        assert "Restore the newest backup, or start a new journal" in refusal.message.text()
        assert "The newest backup was made on" in refusal.backup_note.text()
        assert not window.findChild(QPushButton, "submitButton").isEnabled()
        _shot(refusal, "journal-refused")

        refusal.findChild(QPushButton, "restoreFromBackupButton").click()
        restore = _dialog(qtbot, window, "restoreDialog")
        assert restore.list.topLevelItemCount() >= 1
        assert restore.selected() is not None
        _shot(restore, "restore-dialog")
        with qtbot.waitSignal(window.connected, timeout=CONNECT_MS):
            restore.restore_button.click()
        assert "restored from the backup" in window.statusBar().currentMessage()
        unsent_or_sent = run_async(window.context.desk.history_count(_all()))
        assert unsent_or_sent == 1  # the payout is back
        aside = list(journal.parent.glob("journal.sqlite3.damaged-*Z"))  # its -wal/-shm go with it
        assert len(aside) == 1
        assert aside[0].stat().st_size == 0  # the damaged file, kept as it was
    finally:
        _close(qtbot, window)


def _all() -> Any:
    from payout_desk.journal import HistoryQuery

    return HistoryQuery()


def test_a_missing_journal_can_be_replaced_by_a_new_one_after_confirmation(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path, run_async: Any
) -> None:
    journal = _first_run(qtbot, sandbox, data_dir, run_async)
    journal.rename(data_dir / "moved-away.sqlite3")
    window, message = _connect_fails(qtbot, sandbox, data_dir)
    try:
        assert "is missing" in message
        assert not journal.exists()  # not silently created
        refusal = _dialog(qtbot, window, "journalRefusalDialog")
        refusal.findChild(QPushButton, "newJournalButton").click()
        confirm = _dialog(qtbot, window, "newJournalConfirm")
        with qtbot.waitSignal(window.connected, timeout=CONNECT_MS):
            confirm.findChild(QPushButton, "newJournalYesButton").click()
        assert run_async(window.context.desk.history_count(_all())) == 0
        assert "A new payout journal was started" in window.statusBar().currentMessage()
    finally:
        _close(qtbot, window)


def test_damage_found_after_connecting_offers_the_newest_good_backup(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path, run_async: Any
) -> None:
    journal = _first_run(qtbot, sandbox, data_dir, run_async)
    scribble_page(journal, "payouts_amount")  # an index the start-up does not read: only the check sees it
    window = launch(["--sandbox-url", sandbox.base_url, "--data-dir", str(data_dir)])
    try:
        with qtbot.waitSignal(window.recovery.integrityChecked, timeout=CONNECT_MS) as checked:
            pass
        assert checked.args[0]  # problems found
        damaged = _dialog(qtbot, window, "journalRefusalDialog")
        assert damaged.windowTitle() == "The payout journal is damaged"
        assert "The newest good backup was made on" in damaged.backup_note.text()
        _shot(damaged, "journal-damaged")
        newest = damaged.findChild(QPushButton, "restoreNewestButton")
        with qtbot.waitSignal(window.recovery.integrityChecked, timeout=CONNECT_MS) as again:
            newest.click()
        assert again.args[0] == []  # the restored journal is sound
        qtbot.waitUntil(lambda: window.context.desk is not None, timeout=CONNECT_MS)  # the journal opens first
        assert run_async(window.context.desk.history_count(_all())) == 1
    finally:
        _close(qtbot, window)


def test_file_menu_offers_restore_from_backup(qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path) -> None:
    window = launch(["--sandbox-url", sandbox.base_url, "--data-dir", str(data_dir)])
    try:
        with qtbot.waitSignal(window.connected, timeout=CONNECT_MS):
            pass
        action = window.findChild(QAction, "restoreBackupAction")
        assert action.text().replace("&", "") == "Restore from backup…"
        action.trigger()
        restore = _dialog(qtbot, window, "restoreDialog")
        restore.cancel_button.click()
        assert window.context.desk is not None  # cancelling changes nothing
    finally:
        _close(qtbot, window)


def test_a_way_out_that_fails_says_why_and_changes_nothing(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path, run_async: Any
) -> None:
    journal = _first_run(qtbot, sandbox, data_dir, run_async)
    os.truncate(journal, 0)
    window, _message = _connect_fails(qtbot, sandbox, data_dir)
    holder = subprocess.Popen(  # another process takes the journal's lock meanwhile
        [sys.executable, "-c", HOLDER, str(journal)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "open"
        refusal = _dialog(qtbot, window, "journalRefusalDialog")
        refusal.findChild(QPushButton, "newJournalButton").click()
        confirm = _dialog(qtbot, window, "newJournalConfirm")
        confirm.findChild(QPushButton, "newJournalYesButton").click()
        qtbot.waitUntil(lambda: "No new journal was started" in window.error_label.text(), timeout=CONNECT_MS)
        assert "already open in another Payout Desk" in window.error_label.text()
        assert journal.exists()
        assert not list(journal.parent.glob("journal.sqlite3.set-aside-*"))  # nothing moved
        assert window.context.desk is None
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
        _close(qtbot, window)


def test_a_journal_that_was_not_opened_says_so_where_the_history_would_be(
    qtbot: Any, qt_loop: Any, sandbox: Any, data_dir: Path, run_async: Any
) -> None:
    """A hard-linked journal is refused; the history pane and the status bar stop saying "Opening the
    journal…" and "Connecting…" as if something were still on its way."""
    journal = _first_run(qtbot, sandbox, data_dir, run_async)
    os.link(journal, data_dir / "second-name.sqlite3")
    window, message = _connect_fails(qtbot, sandbox, data_dir)
    try:
        assert "2 names on disk" in message
        assert window.history is None
        placeholder = window.findChild(QLabel, "historyPlaceholder")
        assert placeholder.isVisible()
        assert "Opening" not in placeholder.text()
        assert "not open" in placeholder.text()
        assert window.connection_label.text() == "Journal not open"
    finally:
        _close(qtbot, window)
