"""RestoreDialog: choose a journal backup; it is checked (integrity_check) before anything is replaced.

The dialog lists the backups (newest first, chosen by default), checks the chosen one off the GUI
thread when *Check and restore* is pressed, shows a failed check in plain words and stays open, and
emits ``backupChosen(object)`` with ``(BackupInfo, BackupCheck)`` and accepts when the check passed.
The swap itself (current journal kept aside) is the caller's (ui/frame/journal_recovery.py).

Object names: ``restoreDialog``, ``restoreIntro``, ``backupList``, ``restoreStatus``,
``restoreButton``, ``restoreCancelButton``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from payout_desk.ui.style.status import status_style

__all__ = ["RestoreDialog", "when_text"]

log = logging.getLogger(__name__)

Verify = Callable[[Any], Awaitable[Any]]  # BackupInfo.path -> BackupCheck, awaited (runs off the GUI thread)


def when_text(info: Any, locale: QLocale | None = None) -> str:
    """A backup's time in the user's local time and locale, e.g. "Sunday 6 December 2026, 09:00"."""
    local = info.created.astimezone()
    loc = locale or QLocale()
    return f"{loc.toString(local.date(), QLocale.FormatType.LongFormat)}, {local:%H:%M}"


def _size_text(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size = size / 1024  # type: ignore[assignment]
    return f"{size} bytes"


class RestoreDialog(QDialog):
    """See the module docstring. ``verify(path)`` awaits journal.backup.verify_backup run off the GUI thread."""

    backupChosen = Signal(object)  # (BackupInfo, BackupCheck)

    def __init__(
        self, backups: Sequence[Any], verify: Verify, *, reason: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("restoreDialog")
        self.setWindowTitle("Restore the payout journal from a backup")
        self.setAccessibleName("Restore from backup")
        self.resize(640, 420)
        self.backups = list(backups)
        self._verify = verify
        self._task: asyncio.Future[Any] | None = None

        layout = QVBoxLayout(self)
        intro = (reason + "\n\n" if reason else "") + (
            "Choose a backup. It is checked before it replaces the journal, and the current journal file is "
            "kept aside in the same folder; nothing is deleted. Payouts recorded after the backup was made "
            "are not in it: check them with your provider before sending them again."
        )
        self.intro = QLabel(intro, self)
        self.intro.setObjectName("restoreIntro")
        self.intro.setWordWrap(True)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)

        self.list = QTreeWidget(self)
        self.list.setObjectName("backupList")
        self.list.setAccessibleName("Backups of the payout journal, newest first")
        self.list.setHeaderLabels(["Made", "Kind", "Size"])
        self.list.setRootIsDecorated(False)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.list.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.header().setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self._items: list[QTreeWidgetItem] = []
        for info in self.backups:
            item = QTreeWidgetItem([when_text(info), info.label, _size_text(info.size)])
            self._items.append(item)
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setToolTip(0, str(info.path))
            self.list.addTopLevelItem(item)

        self.status = QLabel("", self)
        self.status.setObjectName("restoreStatus")
        self.status.setAccessibleName("Backup check result")
        self.status.setWordWrap(True)

        buttons = QDialogButtonBox(self)
        self.restore_button = buttons.addButton("Check and restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setObjectName("restoreButton")
        self.restore_button.setAccessibleName("Check the chosen backup and restore it")
        self.cancel_button = buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setObjectName("restoreCancelButton")
        self.restore_button.clicked.connect(self.check_and_restore)
        buttons.rejected.connect(self.reject)

        layout.addWidget(self.intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)

        if self.backups:
            self.list.setCurrentItem(self._items[0])
            self.list.setFocus()
        else:
            self._say("There is no backup of this journal yet.", bad=True)
            self.restore_button.setEnabled(False)
            self.cancel_button.setFocus()
        self.restore_button.setAutoDefault(False)
        self.restore_button.setDefault(False)  # Enter never replaces the journal by itself

    def selected(self) -> Any | None:
        """The chosen BackupInfo, or None."""
        current = self.list.currentItem()
        return next((info for item, info in zip(self._items, self.backups, strict=True) if item is current), None)

    def check_and_restore(self) -> asyncio.Future[Any] | None:
        """Check the chosen backup off the GUI thread; emit backupChosen and accept when it is good."""
        info = self.selected()
        if info is None or self._task is not None:
            return None
        self.restore_button.setEnabled(False)
        self.list.setEnabled(False)
        self._say(f"Checking the backup of {when_text(info)}… (a large journal takes a while)")
        self._task = asyncio.ensure_future(self._check(info))
        return self._task

    async def _check(self, info: Any) -> None:
        try:
            check = await self._verify(info.path)
        except Exception as exc:  # an unexpected I/O error: say it plainly, keep the detail in the log
            log.warning("checking backup %s failed", info.path, exc_info=True)
            check = None
            problem = f"The backup could not be checked ({type(exc).__name__})."
        else:
            problem = check.problem
        finally:
            self._task = None
        if check is not None and check.ok:
            self._say("The backup is good.")
            self.backupChosen.emit((info, check))
            self.accept()
            return
        self._say(problem + " Choose another backup.", bad=True)
        self.list.setEnabled(True)
        self.restore_button.setEnabled(True)

    def _say(self, text: str, *, bad: bool = False) -> None:
        self.status.setText(text)
        color = status_style("failed" if bad else "pending").color.name()
        self.status.setStyleSheet(f"color: {color};" + (" font-weight: bold;" if bad else ""))
