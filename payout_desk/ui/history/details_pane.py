"""DetailsPane: every field of one payout plus its audit timeline (attempts and status changes).

Construct::

    pane = DetailsPane(events_source=desk, parent=None)   # events_source: anything with
                                                          # ``async events(local_id) -> list[JournalEvent]``
    pane.show_record(record)      # slot: a PayoutRecord, or None for "nothing selected"
    pane.set_events(events)       # fill the timeline directly (show_record does it via events_source)

Signals: ``eventsLoaded(int)`` (number of events shown), ``eventsFailed(str)``.
For a payout being polled, ``detail_checks`` says when it was last checked and when it will be next
(from ``events_source.poll_times(local_id)`` when the source has it, see :class:`PollSchedule`;
refreshed every second while shown); the row is hidden otherwise.
Object names: ``detailsPane``, ``detailsTitle``, ``detailsSplitter`` (fields | timeline, side by side
so the pane suits a place under the history table), ``timelineList`` (a QListWidget; each item reads
"what" then "when · who", with ``WhatRole`` / ``WhoRole`` / ``WhenRole`` data), and one
:class:`ValueText` per field named ``detail_<field>`` (``detail_status``, ``detail_amount``,
``detail_payment_id``, ``detail_failure`` …): read-only, selectable by mouse (Ctrl+C copies exactly the
value), wrapping anywhere so a payment id or checkin URL is never cut, growing to fit its text; it has
QLabel's ``text()`` / ``setText()``. Loading the events runs through ``asyncio.ensure_future``; a newer
selection supersedes an older load.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Iterable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QPalette, QResizeEvent, QTextOption, QWheelEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from payout_desk.domain.failures import failure_text
from payout_desk.domain.held_back import held_back_words
from payout_desk.domain.status import PENDING, is_closed, payment_id_words, shown_status
from payout_desk.journal.models import JournalEvent, PayoutRecord
from payout_desk.ui.history.columns import describe_checks, format_local_time, format_record_amount
from payout_desk.ui.history.event_words import closed_words, currency_name, describe_event, pending_words
from payout_desk.ui.style.status import status_style

if TYPE_CHECKING:
    from payout_desk.services.poll import PollTimes

__all__ = [
    "DetailsPane",
    "EventsSource",
    "PollSchedule",
    "ValueText",
    "WhatRole",
    "WhenRole",
    "WhoRole",
    "describe_event",
    "pending_words",
]

#: Data roles of the timeline items (the text is "what\nwhen · who").
WhatRole: Final = int(Qt.ItemDataRole.UserRole) + 1
WhoRole: Final = int(Qt.ItemDataRole.UserRole) + 2
WhenRole: Final = int(Qt.ItemDataRole.UserRole) + 3

#: (field key, label) in display order.
FIELDS: Final[tuple[tuple[str, str], ...]] = (
    ("status", "Status"),
    ("amount", "Amount"),
    ("description", "Description"),
    ("recipient", "Recipient"),
    ("reference", "Reference"),
    ("payment_id", "Payment ID"),
    ("failure", "Provider says"),
    ("created", "Created"),
    ("updated", "Last update"),
    ("checks", "Status checks"),
    ("created_by", "Created by"),
    ("environment", "Environment"),
    ("checkin", "Checkin page"),
    ("metadata", "Metadata"),
    ("local_id", "Journal number"),
    ("idempotency_key", "Idempotency key"),
)


_STATUS_KINDS: Final = frozenset({"status", "created", "rejected", "outcome_unknown", "mismatch"})


class EventsSource(Protocol):
    def events(self, local_id: int) -> Awaitable[list[JournalEvent]]: ...


@runtime_checkable
class PollSchedule(Protocol):
    """The desk's polling hints (PayoutDesk has them; a plain history source may not)."""

    def watch(self, local_ids: Iterable[int]) -> None: ...
    def poll_times(self, local_id: int) -> PollTimes | None: ...


class ValueText(QTextEdit):
    """One read-only field value: selectable by mouse, copied exactly (no inserted break characters),
    wrapped anywhere when a word is longer than the line (ids, URLs, keys), as tall as its text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # so Ctrl+C copies a selection; not a Tab stop
        self.setAcceptRichText(False)
        self.setUndoRedoEnabled(False)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        self.document().setDocumentMargin(0)
        self.viewport().setAutoFillBackground(False)  # transparent: reads like a label on the pane
        self.document().documentLayout().documentSizeChanged.connect(self._fit)
        self._fit()

    def text(self) -> str:
        return self.toPlainText()

    def setText(self, text: str) -> None:  # QLabel's API, so the pane's fields read like labels
        self.setPlainText(text)
        self._fit()

    def set_emphasis(self, color: QColor | None = None, *, bold: bool = False) -> None:
        """Text colour and weight (palette and font, not a style sheet, so a later palette change —
        light/dark — still reaches the plain values)."""
        palette = QPalette()  # nothing resolved: every role follows the parent
        if color is not None:
            for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
                palette.setColor(group, QPalette.ColorRole.Text, color)
        self.setPalette(palette)
        font = QFont()  # likewise: follows the parent's font
        if bold:
            font.setBold(True)
        self.setFont(font)

    def _fit(self, *_args: object) -> None:
        height = int(self.document().size().height() + 0.999) + 2 * self.frameWidth()
        self.setFixedHeight(max(height, self.fontMetrics().height()))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        event.ignore()  # never scrolls itself: the pane's scroll area gets the wheel


class DetailsPane(QWidget):
    """Fields and timeline of the selected payout; see the module docstring."""

    eventsLoaded = Signal(int)
    eventsFailed = Signal(str)
    reconcileRequested = Signal(object)  # PayoutRecord that needs a person's reconciliation

    def __init__(self, events_source: EventsSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detailsPane")
        self.setAccessibleName("Payout details")
        self._source = events_source
        self._record: PayoutRecord | None = None
        self._load: asyncio.Future[None] | None = None
        self._checks_timer = QTimer(self)
        self._checks_timer.setInterval(1000)
        self._checks_timer.timeout.connect(self._show_checks)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.title = QLabel("Select a payout to see its details", self)
        self.title.setObjectName("detailsTitle")
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        layout.addWidget(self.title)
        self.reconcile_button = QPushButton("Reconcile…", self)
        self.reconcile_button.setObjectName("reconcileButton")
        self.reconcile_button.setAccessibleName("Reconcile this payout with the provider")
        self.reconcile_button.clicked.connect(self._reconcile_clicked)
        self.reconcile_button.hide()
        layout.addWidget(self.reconcile_button)

        body = QWidget(self)
        form = QFormLayout(body)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(0, 0, 4, 0)
        form.setVerticalSpacing(3)
        self._form = form
        self.fields: dict[str, ValueText] = {}
        for key, label in FIELDS:
            value = ValueText(body)
            value.setObjectName(f"detail_{key}")
            value.setAccessibleName(label)
            name = QLabel(label + ":", body)
            name.setBuddy(value)
            if key == "status":  # icon + coloured text: never colour alone
                row = QWidget(body)
                row_layout = QHBoxLayout(row)
                row_layout.setContentsMargins(0, 0, 0, 0)
                self.status_icon = QLabel(row)
                self.status_icon.setObjectName("detail_status_icon")
                self.status_icon.setAccessibleName("Status icon")
                row_layout.addWidget(self.status_icon)
                row_layout.addWidget(value, 1)
                form.addRow(name, row)
            else:
                form.addRow(name, value)
            self.fields[key] = value
        scroll = QScrollArea(self)
        scroll.setObjectName("detailsFields")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # values wrap instead
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        scroll.setMinimumWidth(240)

        events = QWidget(self)
        events_layout = QVBoxLayout(events)
        events_layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel("Timeline", events)
        heading.setFont(font)
        events_layout.addWidget(heading)
        self.timeline = QListWidget(events)
        self.timeline.setObjectName("timelineList")
        self.timeline.setAccessibleName("Timeline of attempts and status changes")
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setWordWrap(True)
        self.timeline.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        heading.setBuddy(self.timeline)
        events_layout.addWidget(self.timeline, 1)
        events.setMinimumWidth(200)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("detailsSplitter")
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(events)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([520, 340])
        layout.addWidget(self.splitter, 1)
        self.show_record(None)

    # ---------------------------------------------------------------- API
    def record(self) -> PayoutRecord | None:
        return self._record

    @Slot(object)
    def show_record(self, record: PayoutRecord | None) -> None:
        """Show ``record`` (None clears the pane) and load its timeline."""
        same = record is not None and self._record is not None and record.local_id == self._record.local_id
        self._record = record
        self.reconcile_button.setVisible(record is not None and record.status == "needs_reconciliation")
        if self._load is not None and not self._load.done() and not same:
            self._load.cancel()
        if record is None:
            self.title.setText("Select a payout to see its details")
            for value in self.fields.values():
                value.setText("")
            self.status_icon.clear()
            self.timeline.clear()
            self._show_checks()
            return
        self._fill(record)
        self._show_checks()
        if self._source is not None:
            self._load = asyncio.ensure_future(self._load_events(record.local_id))

    def _reconcile_clicked(self) -> None:
        if self._record is not None:
            self.reconcileRequested.emit(self._record)

    def set_events(self, events: Sequence[JournalEvent]) -> None:
        """Fill the timeline, oldest first (a pending payout's status then says what it waits for)."""
        self.timeline.clear()
        if self._record is not None and self._record.status == PENDING:
            label = status_style(PENDING).label
            self.fields["status"].setText(f"{label} — {pending_words(events)}")
        if self._record is not None and is_closed(self._record.status):  # who rejected it, with the reason
            record = self._record
            self.fields["failure"].setText(closed_words(record.status, events, record.last_error, record.created_by))
        attempted = False
        for event in events:
            what = describe_event(event, attempted_before=attempted)
            attempted = attempted or event.kind == "attempt_started"
            item = QListWidgetItem(f"{what}\n{format_local_time(event.at)} · {event.actor}")
            item.setData(WhatRole, what)
            item.setData(WhoRole, event.actor)
            item.setData(WhenRole, event.at)
            item.setToolTip(what)
            new = event.detail.get("new") if event.kind in _STATUS_KINDS else None
            if new:
                item.setIcon(status_style(str(new)).icon)
            self.timeline.addItem(item)

    # ---------------------------------------------------------------- internals
    @Slot()
    def _show_checks(self) -> None:
        """The status-checks row for a polled payout, hidden otherwise; ticks while shown."""
        source: object = self._source
        times = None
        if self._record is not None and isinstance(source, PollSchedule):
            times = source.poll_times(self._record.local_id)
        if times is not None:
            self.fields["checks"].setText(describe_checks(times, datetime.now(UTC)))
        self._form.setRowVisible(self.fields["checks"], times is not None)
        if times is None:
            self._checks_timer.stop()
        elif not self._checks_timer.isActive():
            self._checks_timer.start()

    async def _load_events(self, local_id: int) -> None:
        assert self._source is not None
        try:
            events = await self._source.events(local_id)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.eventsFailed.emit(str(exc) or type(exc).__name__)
            return
        if self._record is None or self._record.local_id != local_id or not shiboken6.isValid(self.timeline):
            return  # another payout was selected meanwhile, or the pane was closed
        self.set_events(events)
        self.eventsLoaded.emit(len(events))

    def _fill(self, record: PayoutRecord) -> None:
        style = status_style(shown_status(record.status, record.provider_status))
        amount = format_record_amount(record)
        self.title.setText(f"{amount} — {style.label}")
        recipient = " ".join(
            part
            for part in (record.recipient_name or "", f"({record.recipient_id})" if record.recipient_id else "")
            if part
        )
        problem = failure_text(record.failure_reason) or record.last_error or ""
        closed = is_closed(record.status)  # an approver's reason, never the provider's words
        if closed:
            problem = closed_words(record.status, (), record.last_error, record.created_by)
        held = held_back_words(record.last_error, record.local_id, attempted_before=record.first_attempt_at is not None)
        problem = held or problem  # the team's agent kept it back: what happened and who decides, in words
        label = self._form.labelForField(self.fields["failure"])
        name = "Approval" if closed else "Not sent" if held else "Provider says"
        if isinstance(label, QLabel):
            label.setText(name + ":")
        self.fields["failure"].setAccessibleName(name)
        values = {
            "status": style.label + (f" — {pending_words(())}" if record.status == PENDING else ""),
            "amount": f"{amount} ({currency_name(record.currency)})",
            "description": record.description or "",
            "recipient": recipient,
            "reference": record.external_id or "",
            "payment_id": record.payment_id
            or ("none — the agent did not send it" if held and record.first_attempt_at is None else None)
            or payment_id_words(record.status, attempted=record.first_attempt_at is not None or bool(record.ambiguous)),
            "failure": problem or "—",
            "created": format_local_time(record.created_at),
            "updated": format_local_time(record.updated_at),
            "created_by": record.created_by,
            "environment": f"{record.environment} ({record.profile})",
            "checkin": record.checkin_url or "—",
            "metadata": json.dumps(dict(record.metadata), ensure_ascii=False) if record.metadata else "—",
            "local_id": str(record.local_id),
            "idempotency_key": record.idempotency_key,
        }
        for key, text in values.items():
            self.fields[key].setText(text)
        self.status_icon.setPixmap(style.icon.pixmap(16, 16))
        self.fields["status"].set_emphasis(style.color, bold=True)
        self.fields["failure"].set_emphasis(status_style("failed").color if problem and not closed else None)
