"""The submit flow: confirm → ``await desk.submit`` → the checkin page → back to the window.

Dialogs are opened with ``open()`` (window-modal, no nested event loop). Provider faults never
raise out of ``desk.submit``: the record's status and ``last_error`` say what happened and the
window shows that sentence calmly; the journal keeps the detail. After a rejected submit the form
keeps every value; once the payout is in the journal (pending, or unknown and resent later with
the same key) the form clears for the next payout with a new reference.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from payout_desk.domain.payout import PayoutRequest

if TYPE_CHECKING:
    from payout_desk.ui.confirm_dialog import ConfirmDialog
    from payout_desk.ui.main_window import MainWindow

log = logging.getLogger(__name__)


def checkin_return_url() -> str:
    """The https ``.invalid`` address sent as ``redirectUrl`` and caught by the checkin view.

    Qt-free on purpose: QtWebEngine (≈ 30 MiB resident once loaded) loads with the first checkin
    dialog, not at start-up."""
    from payout_desk.provider.urls import CHECKIN_RETURN_URL

    return CHECKIN_RETURN_URL


class SubmitFlow(QObject):
    """Drives one payout at a time from the form to the provider and the checkin page."""

    confirmOpened = Signal(object)  # ConfirmDialog
    submitted = Signal(object)  # PayoutRecord
    submitFailed = Signal(str)
    checkinOpened = Signal(object)  # CheckinDialog
    checkinClosed = Signal(int)  # local id

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.confirm_dialog: ConfirmDialog | None = None
        self.checkin_dialog: Any = None
        self.settings_dialog: Any = None
        self._tasks: set[asyncio.Future[Any]] = set()
        window.form.submitRequested.connect(self.open_confirm)

    # -- confirm -----------------------------------------------------------------------------
    def open_confirm(self, request: PayoutRequest) -> ConfirmDialog | None:
        context = self.window.context
        connection = context.connection
        if connection is None or context.desk is None or self.confirm_dialog is not None:
            return None
        threshold = getattr(context.settings, "confirm_retype_threshold", None)
        from payout_desk.ui.confirm_dialog import ConfirmDialog  # loaded at the first submit, not at start-up

        dialog = ConfirmDialog(
            request,
            environment=connection.environment,
            profile=connection.profile,
            locale_name=self.window.form.locale_name,
            decimal_separators=self.window.form.decimal_separators,
            retype_threshold=threshold if isinstance(threshold, Decimal) else None,
            parent=self.window,
        )
        self.confirm_dialog = dialog
        dialog.finished.connect(self._confirm_finished)
        dialog.open()
        self.confirmOpened.emit(dialog)
        return dialog

    def _confirm_finished(self, result: int) -> None:
        dialog, self.confirm_dialog = self.confirm_dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        if result == QDialog.DialogCode.Accepted:
            self._spawn(self.submit(dialog.request))
        else:
            self.window.form.focus_amount()  # cancelled: every value is still in the form

    # -- submit ------------------------------------------------------------------------------
    async def submit(self, request: PayoutRequest) -> Any:
        window, desk = self.window, self.window.context.desk
        window.form.set_busy(True)
        window.show_error("")
        try:
            record = await desk.submit(request)
        except Exception:
            log.exception("the payout could not be recorded; nothing was sent")
            message = "The payout could not be recorded in the journal, so nothing was sent. Please try again."
            window.show_error(message)
            self.submitFailed.emit(message)
            return None
        finally:
            window.form.set_busy(False)
        await self._remember_currency(request.currency.code)
        if record.status == "rejected":
            message = record.last_error or "The provider refused this payout."
            window.show_error(f"The provider refused this payout: {message} Nothing was sent; your entries are kept.")
            self.submitFailed.emit(message)
            return record
        window.form.clear_for_next()
        if record.status in ("outcome_unknown", "confirmed"):
            window.show_error(
                "No answer from the provider yet. The payout is saved and will be sent again automatically "
                "with the same key — do not create it again." + (f" ({record.last_error})" if record.last_error else "")
            )
        window.statusBar().showMessage("Payout created.", 5000)
        self.submitted.emit(record)
        if record.checkin_url:
            self.open_checkin(record)
        return record

    async def _remember_currency(self, code: str) -> None:
        context = self.window.context
        settings = context.settings
        if settings is None or not hasattr(settings, "remember_currency"):
            return
        settings.remember_currency(code)
        self.window.form.set_recent_currencies(list(settings.recent_currencies))
        try:
            await context.save_settings()
        except Exception:
            log.warning("could not save the recent currencies", exc_info=True)

    # -- checkin -----------------------------------------------------------------------------
    def open_checkin(self, record: Any) -> Any:
        from payout_desk.ui.checkin_view import CheckinDialog

        if self.checkin_dialog is not None:
            self.checkin_dialog.reject()  # finishes it (and clears self.checkin_dialog)
        connection = self.window.context.connection
        local_id = int(record.local_id)
        dialog = CheckinDialog(
            record.checkin_url,
            provider_base_url=connection.base_url if connection is not None else None,
            payment_id=record.payment_id,
            local_id=local_id,
            parent=self.window,
        )
        self.checkin_dialog = dialog
        dialog.finished.connect(self._checkin_finished)
        dialog.open()
        self.checkinOpened.emit(dialog)
        return dialog

    def _checkin_finished(self, _result: int) -> None:
        dialog, self.checkin_dialog = self.checkin_dialog, None
        if dialog is None:
            return
        local_id = int(dialog.local_id)
        completed = dialog.was_completed()
        dialog.deleteLater()
        desk = self.window.context.desk
        # redirect caught: the poller asks now, then every second for a while; else ask once now
        if desk is not None and not self.window.shutting_down and not (completed and desk.checkin_caught(local_id)):
            self._spawn(self._refresh(local_id))
        self.checkinClosed.emit(local_id)

    async def _refresh(self, local_id: int) -> None:
        try:
            await self.window.context.desk.refresh(local_id)
        except Exception as exc:  # the poller keeps following; say it calmly
            log.info("refresh after checkin failed: %s", exc)

    def reopen(self, local_id: int) -> None:
        """Slot for the history's ``reopenRequested``: open the checkin page of a pending payout again."""
        self._spawn(self._reopen(local_id))

    async def _reopen(self, local_id: int) -> None:
        desk = self.window.context.desk
        if desk is None:
            return
        record = await desk.get(local_id)
        if record.checkin_url and record.status == "pending":
            self.open_checkin(record)
        else:
            self.window.show_error("This payout has no checkin page to open (it is no longer pending).")

    # -- settings ----------------------------------------------------------------------------
    def open_settings(self) -> None:
        context = self.window.context
        if self.settings_dialog is not None:
            self.settings_dialog.raise_()
            return
        if context.settings is None:
            self.window.statusBar().showMessage("Settings are still loading…", 3000)
            return
        from payout_desk.services.secrets import TokenStore
        from payout_desk.ui.settings_dialog import SettingsDialog

        active_before = context.settings.active_profile
        dialog = SettingsDialog(
            context.settings, TokenStore(), settings_path=context.paths.settings, parent=self.window
        )
        self.settings_dialog = dialog
        dialog.settingsSaved.connect(lambda settings: self._settings_saved(settings, active_before))
        dialog.finished.connect(self._settings_finished)
        dialog.open()

    def _settings_saved(self, settings: Any, active_before: str) -> None:
        self.window.form.set_recent_currencies(list(settings.recent_currencies))
        connection = self.window.context.connection
        if settings.active_profile != active_before or connection is None:
            self.window.show_error(
                f"Settings saved. Restart Payout Desk to connect with the profile “{settings.active_profile}”."
            )
        else:
            self.window.statusBar().showMessage("Settings saved.", 4000)

    def _settings_finished(self, _result: int) -> None:
        dialog, self.settings_dialog = self.settings_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    # -- helpers -----------------------------------------------------------------------------
    def close_dialogs(self) -> None:
        """Close any open dialog and cancel the flow's own background tasks (window closing)."""
        for dialog in (self.confirm_dialog, self.checkin_dialog, self.settings_dialog):
            if dialog is not None:
                dialog.reject()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Any) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)
        return task


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("payout flow task failed", exc_info=task.exception())
