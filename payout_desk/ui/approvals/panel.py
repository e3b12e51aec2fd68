"""The approvals queue (team mode, issue 21): every payout awaiting approval the database shows this person,
live from the feed, with a count of what waits for *me* (``countChanged``; the main window's tab shows it).

``approveButton`` / ``rejectButton`` are enabled only for a row this person may decide (an approver, not its
preparer, not decided by them yet) and ``withdrawButton`` only for their own payout: the preparer never gets
an enabled approve, an approver never gets withdraw on someone else's. The database refuses the rest anyway;
a refusal shows in ``approvalsMessage`` in its own words.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.approvals import ApprovalRefusedError
from payout_desk.domain.money import format_amount_number
from payout_desk.domain.thresholds import DEFAULT_RETYPE_THRESHOLDS, retype_threshold
from payout_desk.journal.models import JournalError
from payout_desk.services.approvals import ApprovalsService, QueueItem
from payout_desk.ui.approvals.dialogs import (
    WARNING_STYLE,
    ApproveDialog,
    RejectDialog,
    WithdrawDialog,
    decisions_text,
    short_time,
    warnings_text,
)
from payout_desk.ui.history.event_words import describe_event
from payout_desk.ui.sending.form_fields import ERROR_COLOR, push_button

__all__ = ["COLUMNS", "COL_WARNINGS", "ApprovalsPanel"]

log = logging.getLogger(__name__)

#: The warnings come early (icon + short words) so they show without scrolling at 1024×640; the selected row's
#: warnings in full are under the table (``approvalsSelectedWarnings``).
COLUMNS = ("#", "Amount", "Currency", "Warnings", "Recipient", "Prepared by", "Approvals", "Reference", "Confirmed")
COL_WARNINGS, COL_APPROVALS = COLUMNS.index("Warnings"), COLUMNS.index("Approvals")
SHORT_WARNINGS: Final = {
    "far_above": "Far above usual",
    "duplicate": "Near-duplicate",
    "later_duplicate": "Near-duplicate (a later one)",  # the earlier of a pair is warned too
    "first": "First payout",
}
#: The Warnings column's width holds one short warning whole (with the icon); more words are elided (second audit
#: N8): the cell's tooltip and ``approvalsSelectedWarnings`` give them in full, and "Prepared by" and "Approvals"
#: stay in view at 1024×640. A recipient's name is elided past :data:`RECIPIENT_WIDTH_TEXT` (tooltip: in full).
WARNINGS_WIDTH_TEXT: Final = "Near-duplicate"
RECIPIENT_WIDTH_TEXT: Final = "Ada Lovelace"
COL_RECIPIENT: Final = COLUMNS.index("Recipient")


class ApprovalsPanel(QWidget):
    """The queue page of ``mainTabs`` (``approvalsTab``)."""

    countChanged = Signal(int)  # how many payouts wait for this person's decision
    decided = Signal(int)  # a payout approved, rejected or withdrawn from this desk
    preparerNotice = Signal(str)  # what became of one of my payouts that left the queue

    def __init__(
        self,
        service: ApprovalsService,
        *,
        locale_name: str = "en_US",
        decimal_separators: str = ".",
        thresholds: Mapping[str, Decimal] = DEFAULT_RETYPE_THRESHOLDS,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("approvalsTab")
        self.setAccessibleName("Approvals")
        self.service = service
        self.locale_name = locale_name
        self.decimal_separators = decimal_separators
        self.thresholds = thresholds
        self.items: list[QueueItem] = []
        self.dialog: ApproveDialog | RejectDialog | WithdrawDialog | None = None
        self._watch: asyncio.Task[None] | None = None
        self._loading: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[None] | None = None
        self._again = False

        layout = QVBoxLayout(self)
        self.count_label = QLabel("Loading the approvals queue…", self)
        self.count_label.setObjectName("approvalsCount")
        self.count_label.setAccessibleName("Waiting for you")
        layout.addWidget(self.count_label)
        self.message = QLabel(self)
        self.message.setObjectName("approvalsMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setStyleSheet(f"color: {ERROR_COLOR};")
        self.message.hide()
        layout.addWidget(self.message)
        self.notice = QLabel(self)
        self.notice.setObjectName("approvalsNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()
        layout.addWidget(self.notice)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("approvalsTable")
        self.table.setAccessibleName("Payouts awaiting approval")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COL_WARNINGS, QHeaderView.ResizeMode.Interactive)  # a person may widen it
        header.setSectionResizeMode(COL_RECIPIENT, QHeaderView.ResizeMode.Interactive)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        metrics = self.table.fontMetrics()
        icon = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        self.table.setColumnWidth(COL_WARNINGS, metrics.horizontalAdvance(WARNINGS_WIDTH_TEXT) + icon + 14)
        self._recipient_cap = metrics.horizontalAdvance(RECIPIENT_WIDTH_TEXT) + 16
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.activated.connect(lambda _index: self.open_approve())  # opens the dialog; never approves
        layout.addWidget(self.table, 1)
        self.selected_warnings = QLabel(self)  # the selected payout's warnings in full, never off-screen
        self.selected_warnings.setObjectName("approvalsSelectedWarnings")
        self.selected_warnings.setWordWrap(True)
        self.selected_warnings.setTextFormat(Qt.TextFormat.PlainText)
        self.selected_warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.selected_warnings.setAccessibleName("Warnings of the selected payout")
        self.selected_warnings.hide()
        layout.addWidget(self.selected_warnings)

        buttons = QHBoxLayout()
        self.approve_button = push_button(
            self, "A&pprove…", "approveButton", "Approve", "Open the selected payout to approve it"
        )
        self.reject_button = push_button(
            self, "Re&ject…", "rejectButton", "Reject", "Reject the selected payout with a reason"
        )
        self.withdraw_button = push_button(
            self,
            "&Withdraw…",
            "withdrawButton",
            "Withdraw",
            "Take back your own payout still awaiting approval (asks first)",
        )
        self.approve_button.clicked.connect(self.open_approve)
        self.reject_button.clicked.connect(self.open_reject)
        self.withdraw_button.clicked.connect(self.withdraw_selected)
        for button in (self.approve_button, self.reject_button, self.withdraw_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- loading -------------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """Learn who is connected, then follow the feed: the queue reloads after every batch."""

        async def run() -> None:
            await self.service.start()
            try:
                self.thresholds = await self.service.retype_thresholds()  # team mode: the database's
            except (JournalError, ApprovalRefusedError) as exc:
                log.warning("approvals: the team's retype thresholds could not be read (%s); the defaults apply", exc)
            self._watch = self.service.watch(self.reload)

        self._starting = asyncio.ensure_future(run())
        return self._starting

    async def stop(self) -> None:
        """Stop following the feed and wait until it has stopped (its listening thread joined): a start still
        under way is cancelled too, so no follower outlives the panel's journal."""
        tasks = [task for task in (self._starting, self._watch, self._loading) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def reload(self) -> asyncio.Task[None]:
        """Read the queue again (one read at a time; a reload asked for meanwhile runs after it)."""
        if self._loading is not None and not self._loading.done():
            self._again = True
            return self._loading
        self._loading = asyncio.ensure_future(self._load())
        return self._loading

    async def _load(self) -> None:
        while True:
            self._again = False
            try:
                items = await self.service.queue()
            except (JournalError, ApprovalRefusedError) as exc:
                self.show_message(f"The approvals queue could not be read: {exc}")
                return
            gone = {i.request.local_id for i in self.items if i.mine} - {i.request.local_id for i in items}
            self.show_items(items)
            for local_id in sorted(gone):
                await self._tell_preparer(local_id)
            if not self._again:
                return

    async def _tell_preparer(self, local_id: int) -> None:
        """One of my payouts left the queue: say what became of it (approved, rejected with the reason, …)."""
        try:
            events = await self.service.events(local_id)
        except JournalError as exc:
            log.warning("approvals: the events of payout %s could not be read (%s)", local_id, exc)
            return
        steps = [e for e in events if e.kind in ("approval_granted", "approval_rejected", "withdrawn", "expired")]
        if steps:
            text = f"Your payout #{local_id}: {describe_event(steps[-1])}."
            lines = [*[line for line in self.notice.text().splitlines() if line][-4:], text]
            self.notice.setText("\n".join(lines))
            self.notice.setAccessibleName(text)
            self.notice.show()
            self.preparerNotice.emit(text)

    def show_items(self, items: Sequence[QueueItem]) -> None:
        selected = self.selected()
        self.items = list(items)
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            request = item.request
            money = request.amount
            serious = [w for w in item.warnings if w.serious]
            cells = (
                f"#{request.local_id}",
                format_amount_number(money.amount, money.currency, self.locale_name),
                money.currency.code,
                ", ".join(SHORT_WARNINGS.get(w.kind, w.kind) for w in serious) if serious else "—",
                request.recipient or "—",
                request.prepared_by + (" (you)" if item.mine else ""),
                f"{request.approvals} of {request.required}",
                request.reference or "—",
                short_time(request.confirmed_at),
            )
            for column, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if column in (0, 1):
                    cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if column == COL_APPROVALS:
                    cell.setToolTip(decisions_text(request))
                if column == COL_RECIPIENT:
                    cell.setToolTip(text)
                if column == COL_WARNINGS and item.warnings:
                    cell.setToolTip(warnings_text(item.warnings))
                    if serious:  # an icon as well as words: never colour alone
                        cell.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
                self.table.setItem(row, column, cell)
        self.table.resizeColumnToContents(COL_RECIPIENT)
        self.table.setColumnWidth(COL_RECIPIENT, min(self.table.columnWidth(COL_RECIPIENT), self._recipient_cap))
        waiting = sum(1 for item in self.items if item.waits_for_me)
        self.count_label.setText(
            f"{waiting} payout{'' if waiting == 1 else 's'} wait{'s' if waiting == 1 else ''} for your approval"
            f" · {len(self.items)} awaiting approval in all"
        )
        self.count_label.setAccessibleDescription(self.count_label.text())
        self._reselect(selected)
        self._update_buttons()
        self.countChanged.emit(waiting)

    def _reselect(self, previous: QueueItem | None) -> None:
        ids = [item.request.local_id for item in self.items]
        if previous is not None and previous.request.local_id in ids:
            self.table.selectRow(ids.index(previous.request.local_id))
        elif self.items and self.table.currentRow() < 0:
            self.table.selectRow(0)

    # -- actions -------------------------------------------------------------------------------
    def selected(self) -> QueueItem | None:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        row = min(rows) if rows else -1
        return self.items[row] if 0 <= row < len(self.items) else None

    def _update_buttons(self) -> None:
        item = self.selected()
        text = warnings_text(item.warnings) if item is not None else ""
        self.selected_warnings.setText(f"#{item.request.local_id}: {text}" if item is not None and text else "")
        self.selected_warnings.setAccessibleDescription(self.selected_warnings.text())
        serious = item is not None and any(w.serious for w in item.warnings)
        self.selected_warnings.setStyleSheet(WARNING_STYLE if serious else "")
        self.selected_warnings.setVisible(bool(self.selected_warnings.text()))
        self.approve_button.setEnabled(item is not None and item.can_approve)
        self.reject_button.setEnabled(item is not None and item.can_reject)
        self.withdraw_button.setEnabled(item is not None and item.can_withdraw)

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setAccessibleName(text)
        self.message.setVisible(bool(text))

    def open_approve(self) -> ApproveDialog | None:
        item = self.selected()
        if item is None or not item.can_approve:
            return None
        code = item.request.amount.currency.code
        dialog = ApproveDialog(
            item.request,
            item.warnings,
            locale_name=self.locale_name,
            decimal_separators=self.decimal_separators,
            retype_threshold=retype_threshold(self.thresholds, code),
            parent=self,
        )
        dialog.accepted.connect(lambda: self._decide("approve", item, ""))
        self._open(dialog)
        return dialog

    def open_reject(self) -> RejectDialog | None:
        item = self.selected()
        if item is None or not item.can_reject:
            return None
        dialog = RejectDialog(item.request, locale_name=self.locale_name, parent=self)
        dialog.accepted.connect(lambda: self._decide("reject", item, dialog.reason))
        self._open(dialog)
        return dialog

    def _open(self, dialog: ApproveDialog | RejectDialog | WithdrawDialog) -> None:
        self.dialog = dialog
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def withdraw_selected(self) -> WithdrawDialog | None:
        """Ask first (the payout, its amount and recipient; Cancel the default): withdrawn only once confirmed."""
        item = self.selected()
        if item is None or not item.can_withdraw:
            return None
        dialog = WithdrawDialog(item.request, locale_name=self.locale_name, parent=self)
        dialog.accepted.connect(lambda: self._decide("withdraw", item, ""))
        self._open(dialog)
        return dialog

    def _decide(self, action: str, item: QueueItem, reason: str) -> asyncio.Task[None]:
        async def run() -> None:
            request = item.request
            try:
                if action == "approve":
                    await self.service.approve(request)
                elif action == "reject":
                    await self.service.reject(request, reason)
                else:
                    await self.service.withdraw(request)
            except (ApprovalRefusedError, JournalError) as exc:
                self.show_message(f"Payout #{request.local_id}: {exc}")
                return
            self.show_message("")
            self.decided.emit(request.local_id)
            await self.reload()

        return asyncio.ensure_future(run())
