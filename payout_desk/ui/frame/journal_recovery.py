"""The journal's ways out, in the window: a refused journal, a damaged one, and File → Restore from backup….

- :meth:`JournalRecovery.offer` (connecting raised a ``JournalDamagedError``: the journal was missing,
  empty, unreadable, replaced or shortened, and was not opened) shows :class:`JournalRefusalDialog`
  with the plain message and two ways out: restore a backup, or start a new journal (the old file
  is kept aside). Nothing is replaced silently.
- :meth:`JournalRecovery.check_integrity` runs ``PRAGMA quick_check`` after connecting, off the GUI
  thread; on damage it offers the newest backup that passes its own check.
- :meth:`JournalRecovery.open_restore` is File → Restore from backup…: :class:`RestoreDialog` checks
  the chosen backup first; the desk is then stopped, the backup swapped in (the current file kept
  aside) and the window connects again.

Blocking work (listing, checking, swapping files) runs on this object's own worker thread.
Object names: ``journalRefusalDialog``, ``journalRefusalTitle``, ``journalRefusalMessage``,
``journalRefusalBackup``, ``restoreFromBackupButton``, ``restoreNewestButton``, ``newJournalButton``,
``journalRefusalCloseButton``; the menu action ``restoreBackupAction``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from payout_desk.ui.common.background import spawn_logged
from payout_desk.ui.frame.restore_dialog import RestoreDialog, when_text

if TYPE_CHECKING:
    from payout_desk.ui.frame.main_window import MainWindow

__all__ = ["JournalRecovery", "JournalRefusalDialog"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class JournalRefusalDialog(QDialog):
    """The plain message and the ways out; see the module docstring."""

    restoreRequested = Signal()  # choose a backup
    restoreNewestRequested = Signal()  # the newest good backup named in the dialog
    newJournalRequested = Signal()

    def __init__(
        self, title: str, message: str, backup_note: str, *, newest: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("journalRefusalDialog")
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        layout = QVBoxLayout(self)
        self.title = QLabel(title, self)
        self.title.setObjectName("journalRefusalTitle")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.message = QLabel(message, self)
        self.message.setObjectName("journalRefusalMessage")
        self.message.setAccessibleName("What happened to the payout journal")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.backup_note = QLabel(backup_note, self)
        self.backup_note.setObjectName("journalRefusalBackup")
        self.backup_note.setWordWrap(True)
        self.backup_note.setTextFormat(Qt.TextFormat.PlainText)

        buttons = QDialogButtonBox(self)
        self.newest_button: QPushButton | None = None
        if newest:
            self.newest_button = buttons.addButton(newest, QDialogButtonBox.ButtonRole.AcceptRole)
            self.newest_button.setObjectName("restoreNewestButton")
            self.newest_button.clicked.connect(self._choose(self.restoreNewestRequested))
        self.restore_button = buttons.addButton("Restore from backup…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setObjectName("restoreFromBackupButton")
        self.restore_button.setAccessibleName("Choose a backup to restore")
        self.restore_button.clicked.connect(self._choose(self.restoreRequested))
        self.new_button = buttons.addButton("Start a new journal…", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.new_button.setObjectName("newJournalButton")
        self.new_button.setAccessibleName("Start a new journal and keep the old file aside")
        self.new_button.clicked.connect(self._choose(self.newJournalRequested))
        self.close_button = buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setObjectName("journalRefusalCloseButton")
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)  # Enter chooses nothing by itself

        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self.backup_note)
        layout.addStretch(1)
        layout.addWidget(buttons)
        (self.newest_button or self.restore_button).setFocus()
        self.setMinimumWidth(620)
        self.adjustSize()

    def _choose(self, signal: Any) -> Callable[[], None]:
        def chosen() -> None:
            self.accept()
            signal.emit()

        return chosen


class JournalRecovery(QObject):
    """Restore, start anew, and the integrity check after connecting, for one MainWindow."""

    finished = Signal(str)  # a way out completed: what happened, in plain words
    integrityChecked = Signal(list)  # quick_check's findings ([] = sound)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.dialog: QDialog | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._tasks: set[asyncio.Future[Any]] = set()

    # -- offering ------------------------------------------------------------------------------
    @staticmethod
    def is_damaged(error: BaseException) -> bool:
        from payout_desk.journal.identity import JournalDamagedError

        return isinstance(error, JournalDamagedError)

    def offer(self, error: BaseException) -> asyncio.Future[Any]:
        """Show the refusal for a journal that was not opened (a JournalDamagedError)."""
        return self._spawn(self._offer(error))

    async def _offer(self, error: BaseException) -> None:
        from payout_desk.journal.backup import list_backups

        log.warning("journal refused (%s): %s", getattr(error, "reason", "?"), getattr(error, "detail", "") or error)
        backups = await self._off(lambda: list_backups(self._journal_path()))
        note = (
            f"The newest backup was made on {when_text(backups[0])} ({backups[0].label.lower()})."
            if backups
            else "There is no backup of this journal."
        )
        dialog = JournalRefusalDialog("The payout journal was not opened", str(error), note, parent=self.window)
        dialog.restore_button.setEnabled(bool(backups))
        self._show(dialog)

    def check_integrity(self) -> asyncio.Future[Any]:
        """``quick_check`` off the GUI thread; on damage, offer the newest good backup."""
        return self._spawn(self._check_integrity())

    async def _check_integrity(self) -> None:
        from payout_desk.journal.backup import newest_good_backup, quick_check

        path = await self._off(self._journal_path)
        problems = await self._off(quick_check, path)
        self.integrityChecked.emit(problems)
        if not problems:
            log.info("journal quick_check: ok")
            return
        log.error("journal quick_check found damage in %s: %s", path, "; ".join(problems))
        good = await self._off(newest_good_backup, path)
        message = (
            f"The payout journal {path} is damaged: its integrity check found problems. Payouts in the damaged "
            "part may be missing or wrong. Restore a backup, or start a new journal (the old file is kept aside)."
        )
        if good is None:
            note, newest = "There is no good backup of this journal.", ""
        else:
            info, check = good
            records = check.facts.records if check.facts is not None else 0
            note = f"The newest good backup was made on {when_text(info)}; it holds {records:,} journal entries."
            newest = f"Restore the backup of {when_text(info)}"
        dialog = JournalRefusalDialog("The payout journal is damaged", message, note, newest=newest, parent=self.window)
        if good is not None:
            dialog.restoreNewestRequested.connect(lambda: self._spawn(self._restore(good)))
        self._show(dialog)

    def _show(self, dialog: JournalRefusalDialog) -> None:
        dialog.restoreRequested.connect(lambda: self.open_restore())
        dialog.newJournalRequested.connect(self.confirm_new_journal)
        self._replace_dialog(dialog)
        dialog.open()

    # -- ways out ------------------------------------------------------------------------------
    def open_restore(self, reason: str = "") -> asyncio.Future[Any]:
        """File → Restore from backup…: list the backups, then RestoreDialog (it checks the chosen one)."""
        return self._spawn(self._open_restore(reason))

    async def _open_restore(self, reason: str) -> None:
        from payout_desk.journal.backup import list_backups, verify_backup

        backups = await self._off(lambda: list_backups(self._journal_path()))

        async def verify(path: Path) -> Any:
            return await self._off(verify_backup, path)

        dialog = RestoreDialog(backups, verify, reason=reason, parent=self.window)
        dialog.backupChosen.connect(lambda chosen: self._spawn(self._restore(chosen)))
        self._replace_dialog(dialog)
        dialog.open()

    async def _restore(self, chosen: tuple[Any, Any]) -> None:
        from payout_desk.journal.backup import restore_backup

        info, check = chosen
        ok, aside = await self._swap(
            "Restoring the journal…",
            "The backup was not restored",
            lambda path, registry: restore_backup(info.path, path, registry, verified=check),
        )
        if ok:
            kept = f" The previous journal file is kept as {aside.name}." if aside is not None else ""
            self._done(f"The journal was restored from the backup of {when_text(info)}.{kept}")

    async def _swap(
        self, status: str, failure: str, job: Callable[[Path, Any], Path | None]
    ) -> tuple[bool, Path | None]:
        """Stop the desk and close the journal, run ``job(journal, registry)`` off the GUI thread; on a
        failure (another window holds the journal, a bad backup…) connect again and say why."""
        path, registry = await self._off(self._journal_path), self.window.context.journal_registry
        await self.window.suspend(status)
        try:
            return True, await self._off(job, path, registry)
        except Exception as exc:
            log.exception("%s (%s)", failure, path)
            with contextlib.suppress(Exception):
                await self.window.reconnect()
            self.window.show_error(f"{failure}: {getattr(exc, 'user_message', None) or exc}")
            return False, None

    def confirm_new_journal(self) -> QMessageBox:
        """Ask once more (Cancel is the default), then move the journal aside and start a new one."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Start a new journal?",
            "Start a new, empty payout journal? The current file is kept in the same folder under a new "
            "name; nothing is deleted. Payouts recorded in it will not be in the new journal.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setObjectName("newJournalConfirm")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("Start a new journal")
        yes.setObjectName("newJournalYesButton")
        box.buttonClicked.connect(lambda button: button is yes and self._spawn(self._start_new()))
        self._replace_dialog(box)
        box.open()
        return box

    async def _start_new(self) -> None:
        from payout_desk.journal.backup import start_new_journal

        ok, aside = await self._swap("Starting a new journal…", "No new journal was started", start_new_journal)
        if ok:
            kept = f" The previous journal file is kept as {aside.name}." if aside is not None else ""
            self._done(f"A new payout journal was started.{kept}")

    def _done(self, message: str) -> None:
        log.warning("journal: %s", message)
        self.window.reconnect()
        self.window.statusBar().showMessage(message, 15000)
        self.finished.emit(message)

    # -- plumbing ------------------------------------------------------------------------------
    def _journal_path(self) -> Path:
        """The journal's real file (blocking: call through ``_off``)."""
        path: Path = self.window.context.journal_path
        return path

    def _replace_dialog(self, dialog: QDialog) -> None:
        old, self.dialog = self.dialog, dialog
        if old is not None and shiboken6.isValid(old) and old.isVisible():
            old.reject()

        def finished(_result: int) -> None:
            if self.dialog is dialog:
                self.dialog = None
            dialog.deleteLater()

        dialog.finished.connect(finished)

    def close(self) -> None:
        """Close any dialog, cancel the background work (the window is closing)."""
        dialog, self.dialog = self.dialog, None
        if dialog is not None and shiboken6.isValid(dialog):
            dialog.reject()
        for task in list(self._tasks):
            task.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _off(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-desk-journal-care")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def _spawn(self, coro: Any) -> asyncio.Future[Any]:
        return spawn_logged(self._tasks, coro, "journal recovery")
