"""The window on small and high-DPI screens: it opens sized to the screen it is on (never larger than its
available area, centred), fits 1024×640 logical pixels, and remembers its geometry, its splitters and the
history's column widths between runs (``window.ini`` beside the settings, through QSettings)."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QSplitter

__all__ = ["MIN_SIZE", "PREFERRED_SIZE", "WindowLayout"]

#: The smallest screen the window must fit (logical pixels; Qt scales for high DPI).
MIN_SIZE: Final = (1024, 640)
PREFERRED_SIZE: Final = (1440, 860)


class WindowLayout:
    """Sizes ``window`` for its screen and keeps its layout in ``path`` (an ini file)."""

    def __init__(self, window: QMainWindow, splitter: QSplitter, path: Path) -> None:
        self.window = window
        self.splitter = splitter
        self.path = path
        self.history: Any = None  # the HistoryPanel once open

    def _store(self) -> QSettings:
        return QSettings(str(self.path), QSettings.Format.IniFormat)

    def fit_to_screen(self) -> None:
        """Preferred size, shrunk to 92 % of the screen's available area, centred on it."""
        screen = self.window.screen() or QGuiApplication.primaryScreen()
        area = screen.availableGeometry()
        width = max(min(PREFERRED_SIZE[0], int(area.width() * 0.92)), min(MIN_SIZE[0], area.width()))
        height = max(min(PREFERRED_SIZE[1], int(area.height() * 0.92)), min(MIN_SIZE[1], area.height()))
        self.window.resize(width, height)
        frame = self.window.frameGeometry()
        frame.moveCenter(area.center())
        self.window.move(frame.topLeft())

    def restore(self) -> bool:
        """The geometry and splitter saved last time (True), else sized to the screen (False)."""
        store = self._store()
        geometry = store.value("window/geometry")
        if not isinstance(geometry, QByteArray) or not self.window.restoreGeometry(geometry):
            self.fit_to_screen()
            return False
        splitter = store.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        return True

    def restore_history(self, panel: Any) -> None:
        """The history's column widths and its table/details split, as the person left them."""
        self.history = panel
        store = self._store()
        header = store.value("history/columns")
        if isinstance(header, QByteArray) and panel.table.horizontalHeader().restoreState(header):
            panel.keep_column_widths()
        split = store.value("history/splitter")
        if isinstance(split, QByteArray):
            panel.splitter.restoreState(split)

    def save(self) -> None:
        store = self._store()
        store.setValue("window/geometry", self.window.saveGeometry())
        store.setValue("window/splitter", self.splitter.saveState())
        if self.history is not None:
            store.setValue("history/columns", self.history.table.horizontalHeader().saveState())
            store.setValue("history/splitter", self.history.splitter.saveState())
        store.sync()
        _owner_only(self.path)

    def reset(self) -> None:
        """Forget what was saved and size the window for its screen again."""
        store = self._store()
        store.clear()
        store.sync()
        _owner_only(self.path)
        self.fit_to_screen()
        if self.history is not None:
            self.history.fit_columns()


def _owner_only(path: Path) -> None:
    """0600, as every file in the data folder (QSettings writes with the umask's mode)."""
    if sys.platform != "win32":
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)
