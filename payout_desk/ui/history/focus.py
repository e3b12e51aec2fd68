"""Tab leaves a date field: QDateEdit takes Tab to walk its own sections (year, month, day), and on its
"Any" value it never lets go, so Tab after Ctrl+F stopped at "From" for ever. With this filter Tab and
Shift+Tab always move to the next/previous widget; the arrow keys and typing still edit the sections."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QWidget

__all__ = ["TabLeaves"]


class TabLeaves(QObject):
    """An event filter: Tab / Shift+Tab on a watched widget moves the focus out of it."""

    def watch(self, *widgets: QWidget) -> None:
        for widget in widgets:
            widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, QWidget) and isinstance(event, QKeyEvent):
            key, shift = event.key(), Qt.KeyboardModifier.ShiftModifier
            if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab) and not event.modifiers() & ~shift:
                forward = key == Qt.Key.Key_Tab and not event.modifiers() & shift
                target = watched.nextInFocusChain() if forward else watched.previousInFocusChain()
                while target is not None and target is not watched and not _takes_tab_focus(target):
                    target = target.nextInFocusChain() if forward else target.previousInFocusChain()
                if target is not None and target is not watched:
                    target.setFocus(Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason)
                return True
        return super().eventFilter(watched, event)


def _takes_tab_focus(widget: QWidget) -> bool:
    return (
        bool(widget.focusPolicy() & Qt.FocusPolicy.TabFocus)
        and widget.isVisible()
        and widget.isEnabled()
        and widget.focusProxy() is None
    )
