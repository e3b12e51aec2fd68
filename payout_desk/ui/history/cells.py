"""What each cell of the history table returns per role: :class:`HistoryCells`, used by HistoryModel.

``HistoryCells(locale)``: ``static(column, role)`` answers the roles that need no record (alignment,
font); ``value(record, column, role)`` the others, for a loaded record or ``None`` (a row whose page
is not here yet: the placeholder "…", "Loading", a muted colour). Cell texts are computed once per
row and kept until ``forget(local_id)`` or ``clear()``; status styles once per status.

Roles beyond Qt's: ``RecordRole`` (PayoutRecord or None), ``LocalIdRole``, ``StatusRole`` (raw status
string), ``LoadedRole`` (bool). ``HANDLED_ROLES``: every role answered (the model returns None for
any other without a lookup).
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from payout_desk.domain.status import shown_status
from payout_desk.journal.models import PayoutRecord
from payout_desk.ui.history.columns import COL_AMOUNT, COL_STATUS, record_texts, record_tooltip
from payout_desk.ui.style.status import StatusStyle, status_style

__all__ = [
    "HANDLED_ROLES",
    "PLACEHOLDER",
    "STATIC_ROLES",
    "HistoryCells",
    "LoadedRole",
    "LocalIdRole",
    "RecordRole",
    "StatusRole",
]

RecordRole: Final = int(Qt.ItemDataRole.UserRole) + 1
LocalIdRole: Final = int(Qt.ItemDataRole.UserRole) + 2
StatusRole: Final = int(Qt.ItemDataRole.UserRole) + 3
LoadedRole: Final = int(Qt.ItemDataRole.UserRole) + 4

PLACEHOLDER: Final = "…"

_DISPLAY: Final = int(Qt.ItemDataRole.DisplayRole)
_ACCESSIBLE: Final = int(Qt.ItemDataRole.AccessibleTextRole)
_ALIGN: Final = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND: Final = int(Qt.ItemDataRole.ForegroundRole)
_DECORATION: Final = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP: Final = int(Qt.ItemDataRole.ToolTipRole)
_FONT: Final = int(Qt.ItemDataRole.FontRole)
#: Roles answered without the row's record.
STATIC_ROLES: Final = frozenset({_ALIGN, _FONT})
HANDLED_ROLES: Final = frozenset(
    {_DISPLAY, _ACCESSIBLE, _FOREGROUND, _DECORATION, _TOOLTIP} | STATIC_ROLES
    | {RecordRole, LocalIdRole, StatusRole, LoadedRole}
)  # fmt: skip
_RIGHT: Final = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT: Final = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


class HistoryCells:
    """Cell values per role, with per-row text and per-status style caches; see the module docstring."""

    def __init__(self, locale: str) -> None:
        self.locale = locale
        #: The desk's connection: open payouts of others read "waiting for profile X".
        self.active_connection: str | None = None
        self._texts: dict[int, tuple[str, ...]] = {}  # display texts per local id (loaded rows only)
        self._styles: dict[str, StatusStyle] = {}
        self._placeholder_color = QPalette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        self._amount_font = QFont(QGuiApplication.font())
        self._amount_font.setFeature(QFont.Tag("tnum"), 1)  # tabular digits: amounts line up

    def forget(self, local_id: int) -> None:
        """Drop the row's cached texts (its record changed or left the cache)."""
        self._texts.pop(local_id, None)

    def clear(self) -> None:
        """Drop every cached text and style (a new result; also picks up a palette change)."""
        self._texts.clear()
        self._styles.clear()

    def static(self, column: int, role: int) -> Any:
        """A role of ``STATIC_ROLES``."""
        if role == _ALIGN:
            return _RIGHT if column == COL_AMOUNT else _LEFT
        return self._amount_font if column == COL_AMOUNT else None  # _FONT

    def value(self, record: PayoutRecord | None, column: int, role: int) -> Any:
        """Any other handled role, for the row's record (None: not loaded yet)."""
        if role == LoadedRole:
            return record is not None
        if record is None:
            if role == _DISPLAY:
                return PLACEHOLDER
            if role == _ACCESSIBLE:
                return "Loading"
            if role == _FOREGROUND:
                return self._placeholder_color
            return None
        if role in (_DISPLAY, _ACCESSIBLE):
            texts = self._texts.get(record.local_id)
            if texts is None:
                texts = self._texts[record.local_id] = record_texts(record, self.locale, self.active_connection)
            return texts[column]
        if role == RecordRole:
            return record
        if role == LocalIdRole:
            return record.local_id
        if role == StatusRole:
            return record.status
        if role == _TOOLTIP:
            return record_tooltip(record, column, self.locale, self.active_connection)
        if column == COL_STATUS:
            style = self._style(shown_status(record.status, record.provider_status))
            return style.icon if role == _DECORATION else style.color if role == _FOREGROUND else None
        return None

    def _style(self, status: str) -> StatusStyle:
        style = self._styles.get(status)
        if style is None:
            style = self._styles[status] = status_style(status)
        return style
