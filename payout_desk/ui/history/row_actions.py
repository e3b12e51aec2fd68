"""What can be done with the payout selected in the history, as QActions shared by the row's context
menu and the window's Payout menu: Reopen checkin, Copy checkin link (a pending payout's hosted page,
so the recipient can enter their own details), Copy payment ID, Refresh status, Copy row.

Each action is enabled only when it applies to the current record. Object names: ``reopenCheckinAction``,
``copyCheckinLinkAction``, ``copyPaymentIdAction``, ``refreshStatusAction``, ``copyRowsAction``; the
context menu is ``historyRowMenu``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMenu

from payout_desk.ui.history.columns import COLUMNS

if TYPE_CHECKING:
    from payout_desk.journal.models import PayoutRecord
    from payout_desk.ui.history.panel import HistoryPanel

__all__ = ["RowActions", "checkin_link"]


def checkin_link(record: PayoutRecord | None) -> str | None:
    """The hosted checkin page of a payout still waiting for its recipient, else None."""
    if record is None or record.status != "pending" or not record.checkin_url:
        return None
    return record.checkin_url


class RowActions(QObject):
    """The history's row actions; ``update(record)`` after every selection or data change."""

    def __init__(self, panel: HistoryPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self.reopen = self._action("reopenCheckinAction", "&Reopen checkin…", panel.reopen_selected)
        self.copy_link = self._action("copyCheckinLinkAction", "Copy checkin &link", self.copy_checkin_link)
        self.copy_id = self._action("copyPaymentIdAction", "Copy payment &ID", self.copy_payment_id)
        self.refresh = self._action("refreshStatusAction", "Refresh &status now", panel.refresh_current)
        self.copy_rows = self._action("copyRowsAction", "&Copy row", self.copy_rows_text)
        self.copy_rows.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        self.copy_rows.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # shown in the menu; the table's
        self.update(None)

    def _action(self, name: str, text: str, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def all(self) -> list[QAction]:
        return [self.reopen, self.copy_link, self.copy_id, self.refresh, self.copy_rows]

    def update(self, record: PayoutRecord | None) -> None:
        link = checkin_link(record)
        self.reopen.setEnabled(link is not None)
        self.copy_link.setEnabled(link is not None)
        self.copy_id.setEnabled(bool(record is not None and record.payment_id))
        self.refresh.setEnabled(record is not None)
        self.copy_rows.setEnabled(record is not None)

    def copy_checkin_link(self) -> str | None:
        """Put the selected pending payout's checkin link on the clipboard; returns it."""
        link = checkin_link(self.panel.current_record())
        if link is None:
            self.panel.message.setText("Only a pending payout has a checkin link to share.")
            return None
        QGuiApplication.clipboard().setText(link)
        self.panel.message.setText("Checkin link copied: send it to the recipient to enter their own details.")
        return link

    def copy_payment_id(self) -> None:
        record = self.panel.current_record()
        if record is not None and record.payment_id:
            QGuiApplication.clipboard().setText(record.payment_id)
            self.panel.message.setText(f"Copied {record.payment_id}")

    def copy_rows_text(self) -> None:
        """The selected rows as tab-separated text with a header line."""
        table, model = self.panel.table, self.panel.model
        rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
        if not rows and table.currentIndex().isValid():
            rows = [table.currentIndex().row()]
        if not rows:
            return
        lines = ["\t".join(name for name, _ in COLUMNS)]
        for row in rows:
            cells = (str(model.data(model.index(row, c)) or "") for c in range(len(COLUMNS)))
            lines.append("\t".join(cell.replace("\t", " ") for cell in cells))
        QGuiApplication.clipboard().setText("\n".join(lines) + "\n")

    def menu(self) -> QMenu:
        menu = QMenu(self.panel)
        menu.setObjectName("historyRowMenu")
        menu.addActions([self.reopen, self.copy_link])
        menu.addSeparator()
        menu.addActions([self.copy_id, self.copy_rows])
        menu.addSeparator()
        menu.addAction(self.refresh)
        return menu

    def popup(self, pos: QPoint) -> QMenu | None:
        """The context menu at ``pos`` (table viewport coordinates), for the row under it."""
        table = self.panel.table
        index = table.indexAt(pos)
        if not index.isValid():
            return None
        if not table.selectionModel().isRowSelected(index.row(), index.parent()):
            self.panel.select_row(index.row())
        menu = self.menu()
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(table.viewport().mapToGlobal(pos))
        return menu
