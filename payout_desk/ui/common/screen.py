"""Dialogs on small screens: open at a preferred size, never larger than the screen they open on leaves
room for (a 1024×640 screen minus its panel and the title bar)."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

__all__ = ["resize_within_screen"]

#: The share of the screen's available area a dialog may take (the main window's own rule: 92 %).
SHARE = 0.92


def resize_within_screen(widget: QWidget, width: int, height: int) -> None:
    """``widget.resize(width, height)``, shrunk to ``SHARE`` of its screen's available area."""
    parent = widget.parentWidget()
    screen = (parent.screen() if parent is not None else None) or widget.screen() or QGuiApplication.primaryScreen()
    area = screen.availableGeometry()
    widget.resize(min(width, int(area.width() * SHARE)), min(height, int(area.height() * SHARE)))
