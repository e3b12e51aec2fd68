"""The window's menu bar: File, Payout, View, Help — one place for every command, each with its
shortcut shown, so the next issues add theirs here.

**Adding a File action** (e.g. "Restore from backup…"): append it in :func:`file_actions` between the
marked lines; it lands above Quit. Object names: ``fileMenu``, ``payoutMenu``, ``viewMenu``,
``helpMenu``; actions ``settingsAction``, ``exportAction``, ``quitAction``, ``newPayoutAction``,
``searchAction``, ``refreshHistoryAction``, ``shortcutsAction``, ``openLogFolderAction``,
``aboutAction``; the history's row actions (``ui/history/row_actions.py``) join the Payout menu
once the history is open.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from payout_desk import APP_NAME, __version__

__all__ = ["WindowMenus", "log_folder"]

log = logging.getLogger(__name__)


def log_folder(fallback: Path) -> Path:
    """The folder of the log file this process writes (its file handler), else ``fallback``."""
    for handler in logging.getLogger().handlers:
        name = getattr(handler, "baseFilename", None)
        if name:
            return Path(name).parent
    return fallback


class WindowMenus:
    """Builds and holds the menu bar's menus and actions for ``window`` (the MainWindow)."""

    def __init__(self, window: Any) -> None:
        self.window = window
        bar = window.menuBar()
        bar.setObjectName("menuBar")
        self.actions: dict[str, QAction] = {}
        self.file_menu = self._menu(bar, "&File", "fileMenu")
        self.file_menu.addActions(self.file_actions())
        self.payout_menu = self._menu(bar, "&Payout", "payoutMenu")
        self.payout_menu.addAction(self._action("newPayoutAction", "&New payout", window.new_payout, "Ctrl+N"))
        self.payout_menu.addSeparator()
        self._row_anchor = self.payout_menu.addSeparator()
        self.view_menu = self._menu(bar, "&View", "viewMenu")
        self.view_menu.addAction(self._action("searchAction", "&Search history", window.focus_search, "Ctrl+F"))
        self.view_menu.addAction(self._action("refreshHistoryAction", "&Refresh history", window.refresh_history, "F5"))
        self.view_menu.addAction(self._action("resetLayoutAction", "Reset window &layout", window.reset_layout, None))
        self.help_menu = self._menu(bar, "&Help", "helpMenu")
        self.help_menu.addAction(self._action("shortcutsAction", "&Keyboard shortcuts", self.show_shortcuts, "F1"))
        self.help_menu.addAction(self._action("openLogFolderAction", "Open the &log folder", self.open_log_folder))
        self.help_menu.addSeparator()
        self.help_menu.addAction(self._action("aboutAction", f"&About {APP_NAME}", self.show_about))
        self.dialog: QMessageBox | None = None

    def file_actions(self) -> list[QAction]:
        """The File menu, top to bottom."""
        w = self.window
        quit_action = self._action("quitAction", "&Quit", w.close, "Ctrl+Q")  # Ctrl+Q on every platform
        return [
            self._action("settingsAction", "&Settings…", w.open_settings, "Ctrl+,"),
            self._action("exportAction", "&Export history to CSV…", w.export_history, "Ctrl+E"),
            # -- File actions of later issues go here --
            self._action("restoreBackupAction", "&Restore from backup…", lambda: w.recovery.open_restore(), None),
            # -- end of the File actions of later issues --
            self._separator(),
            quit_action,
        ]

    def _menu(self, bar: Any, title: str, name: str) -> QMenu:
        menu = bar.addMenu(title)
        menu.setObjectName(name)
        return menu

    def _separator(self) -> QAction:
        action = QAction(self.window)
        action.setSeparator(True)
        return action

    def _action(self, name: str, text: str, slot: Any, keys: Any = None) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if keys is not None:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _checked=False: slot())
        self.actions[name] = action
        return action

    def add_row_actions(self, actions: list[QAction]) -> None:
        """The history's row actions (Reopen checkin, Copy checkin link …) join the Payout menu."""
        self.payout_menu.insertActions(self._row_anchor, actions)
        for action in actions:
            self.actions[action.objectName()] = action

    # -- Help --------------------------------------------------------------------------------------
    def shortcut_lines(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action with a shortcut, and the window's own keys."""
        lines = [("Ctrl+Enter", "Send the payout (opens the confirmation)")]
        for menu in (self.file_menu, self.payout_menu, self.view_menu, self.help_menu):
            for action in menu.actions():
                keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
                if keys and not action.isSeparator():
                    lines.append((keys, action.text().replace("&", "").rstrip("…")))
        lines.append(("Tab / Shift+Tab", "Move through every field, table and button of the window"))
        return lines

    def show_shortcuts(self) -> QMessageBox:
        rows = "".join(f"<tr><td><b>{k}</b>&nbsp;&nbsp;</td><td>{t}</td></tr>" for k, t in self.shortcut_lines())
        return self._show("shortcutsDialog", "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> QMessageBox:
        text = (
            f"<b>{APP_NAME} {__version__}</b><p>Send one-off payouts through your payment provider's Payouts "
            "API, follow each one until it succeeds or fails, and keep every payout in a journal on this "
            "computer.</p>"
            f"<p>Settings: {html.escape(str(self.window.context.paths.settings))}<br>"
            f"Logs: {html.escape(str(self._log_folder()))}</p>"
        )
        return self._show("aboutDialog", f"About {APP_NAME}", text)

    def _show(self, name: str, title: str, html: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Icon.NoIcon, title, html, QMessageBox.StandardButton.Close, self.window)
        box.setObjectName(name)
        box.setTextFormat(Qt.TextFormat.RichText)
        box.finished.connect(box.deleteLater)
        self.dialog = box
        box.open()
        return box

    def _log_folder(self) -> Path:
        paths = self.window.context.paths
        return log_folder(getattr(paths, "log_dir", paths.settings.parent / "logs"))

    def open_log_folder(self) -> Path:
        folder = self._log_folder()
        folder.mkdir(parents=True, exist_ok=True)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.window.statusBar().showMessage(f"The log folder is {folder}", 10000)
        return folder
