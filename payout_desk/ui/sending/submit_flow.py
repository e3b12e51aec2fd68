"""The submit flow: confirm → ``await desk.submit`` → the checkin page → back to the window.

Dialogs are opened with ``open()`` (window-modal, no nested event loop). Provider faults never
raise out of ``desk.submit``: the record's status and ``last_error`` say what happened and the
window shows that sentence calmly; the journal keeps the detail. After a rejected submit the form
keeps every value; once the payout is in the journal (pending, or unknown and resent later with
the same key) the form clears for the next payout with a new reference.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from payout_desk.domain.payout import PayoutRequest
from payout_desk.ui.common.background import spawn_logged
from payout_desk.ui.sending.team_checkin import TeamCheckin

if TYPE_CHECKING:
    from payout_desk.ui.sending.confirm_dialog import ConfirmDialog
    from payout_desk.ui.sending.host import FlowWindow

log = logging.getLogger(__name__)
#: How long a journal switch waits for the payout flow's work under way (a send has its own timeouts below this).
SETTLE_SECONDS = 30.0


#: What happens next when the checkin page is closed before the recipient's details were entered.
CLOSED_EARLY_TEXT = (
    "Checkin closed before the details were entered. The payout stays pending, waiting for the "
    "recipient's details: reopen its checkin page from the history (or send them its checkin link). "
    "If nobody completes it, the provider fails it as expired."
)


def retype_threshold(settings: Any, code: str) -> Decimal | None:
    """The amount from which ``code`` payouts are typed twice: the settings' threshold for the
    currency; a currency without one always asks (0). None only while settings are not loaded."""
    lookup = getattr(settings, "retype_threshold", None)
    if lookup is None:
        return None
    value = lookup(code)
    return value if isinstance(value, Decimal) else Decimal(0)


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
    #: Settings changed the connection (another active profile, its address or its token): reconnect.
    connectionSettingsChanged = Signal()

    def __init__(self, window: FlowWindow) -> None:
        super().__init__(window)
        self.window = window
        self.confirm_dialog: ConfirmDialog | None = None
        self.checkin_dialog: Any = None
        self.settings_dialog: Any = None
        self._tasks: set[asyncio.Future[Any]] = set()
        self._confirm_pending = False
        self._unanswered: tuple[int, str] | None = None  # the payout the error line waits on
        self.team = TeamCheckin(self)  # a team desk: the agent's created event opens the checkin page
        window.form.submitRequested.connect(self.open_confirm)

    # -- confirm -----------------------------------------------------------------------------
    def open_confirm(self, request: PayoutRequest) -> asyncio.Future[Any] | None:
        """Check the reference, look up near-duplicates off the GUI thread, then open the confirmation
        (:attr:`confirmOpened`); None when no confirmation can open now. An emptied reference gets a
        generated one, put in the form and shown in the confirmation; a reference this connection
        already used is refused at the form with a link to that payout."""
        context = self.window.context
        if context.connection is None or context.desk is None or self.confirm_dialog is not None:
            return None
        if self._confirm_pending:
            return None
        if request.external_id is None:
            from payout_desk.services.desk import new_reference

            request = dataclasses.replace(request, external_id=new_reference())
            self.window.form.external_id_edit.setText(request.external_id or "")
            self.window.form.external_id_edit.setCursorPosition(0)
        self._confirm_pending = True
        return self._spawn(self.confirm(request))

    async def confirm(self, request: PayoutRequest) -> ConfirmDialog | None:
        """The reference check, the journal's near-duplicates of ``request``, then the confirmation."""
        try:
            owner = await self.window.context.desk.reference_owner(request.external_id or "")
            if owner is not None:
                self.window.form.show_reference_in_use(request.external_id or "", owner)
                self.submitFailed.emit("reference in use")
                return None
            try:
                duplicates = await self.window.context.desk.near_duplicates(request)
            except Exception:
                log.warning("the duplicate check failed; the confirmation says so", exc_info=True)
                duplicates = None
            return self._show_confirm(request, duplicates, await self._team_threshold(request.currency.code))
        finally:
            self._confirm_pending = False

    async def _team_threshold(self, code: str) -> Decimal | None:
        """A team desk's retype threshold, from the team database (issue 21); None on a single desk (its settings')."""
        lookup = getattr(self.window.context.desk, "retype_threshold", None)
        if lookup is None or not self.team.is_team():
            return None
        try:
            return Decimal(await lookup(code))
        except Exception:
            log.warning("the team's retype threshold could not be read: the amount is typed twice", exc_info=True)
            return Decimal(0)

    def _show_confirm(
        self, request: PayoutRequest, duplicates: list[Any] | None, team_threshold: Decimal | None = None
    ) -> ConfirmDialog | None:
        context = self.window.context
        connection = context.connection
        if connection is None or self.confirm_dialog is not None or self.window.shutting_down:
            return None
        from payout_desk.ui.sending.confirm_dialog import ConfirmDialog  # loaded at the first submit, not at start-up

        dialog = ConfirmDialog(
            request,
            environment=connection.environment,
            profile=connection.profile,
            locale_name=self.window.form.locale_name,
            decimal_separators=self.window.form.decimal_separators,
            retype_threshold=retype_threshold(context.settings, request.currency.code)
            if team_threshold is None
            else team_threshold,
            duplicates=duplicates or (),
            parent=self.window,
        )
        if duplicates is None:
            self.window.show_error("The journal could not be checked for similar payouts; check the history first.")
        self.confirm_dialog = dialog
        dialog.finished.connect(self._confirm_finished)
        dialog.open()
        self.confirmOpened.emit(dialog)
        return dialog

    def close_confirm(self) -> None:
        """Cancel an open confirmation (the connection it names is going away)."""
        if self.confirm_dialog is not None:
            self.confirm_dialog.reject()

    def _confirm_finished(self, result: int) -> None:
        dialog, self.confirm_dialog = self.confirm_dialog, None
        if dialog is None:
            return
        dialog.deleteLater()
        self.window.activateWindow()  # back to the window (its shortcuts), whatever the platform does
        if result == QDialog.DialogCode.Accepted:
            self._spawn(self.submit(dialog.request, duplicates_shown=dialog.duplicates_shown))
        else:
            self.window.form.focus_amount()  # cancelled: every value is still in the form

    # -- submit ------------------------------------------------------------------------------
    async def submit(self, request: PayoutRequest, *, duplicates_shown: list[int] | None = None) -> Any:
        from payout_desk.services.desk import ReferenceInUseError  # services load after the first paint

        window, desk = self.window, self.window.context.desk
        window.form.set_busy(True)
        window.show_error("")
        try:
            record = await desk.submit(request, duplicates_shown=duplicates_shown or ())
        except ReferenceInUseError as exc:  # used meanwhile: refused, nothing was recorded or sent
            window.form.show_reference_in_use(exc.external_id, exc.owner)
            self.submitFailed.emit(exc.user_message)
            return None
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
        if self.team.is_team():  # the team's agent sends it; the feed brings its checkin page
            self.submitted.emit(record)
            self.team.expect(record)
            return record
        if record.status in ("outcome_unknown", "confirmed"):
            message = (
                "No answer from the provider yet. The payout is saved and will be sent again automatically "
                "with the same key — do not create it again." + (f" ({record.last_error})" if record.last_error else "")
            )
            window.show_error(message)
            self._unanswered = (record.local_id, message)
            window.statusBar().showMessage("Payout saved; waiting for the provider's answer.", 5000)
        elif record.status == "mismatch":  # the provider holds something that is not this payout
            window.show_error(record.last_error or "The provider's answer does not match this payout.")
            window.statusBar().showMessage("The provider's answer does not match; nothing more is sent.", 5000)
        else:
            window.statusBar().showMessage("Payout created.", 5000)
        self.submitted.emit(record)
        if record.checkin_url:
            self.open_checkin(record)
        return record

    def payout_changed(self, change: Any) -> None:
        """Slot for the desk's changes: once the payout the error line waits on is answered (the
        outage recovered by itself), the error line goes, if it still says that."""
        self.team.changed(change)
        if self._unanswered is None or change.record.local_id != self._unanswered[0]:
            return
        if change.record.status in ("outcome_unknown", "confirmed"):
            return
        _local_id, message = self._unanswered
        self._unanswered = None
        if self.window.shown_error() == message:
            self.window.show_error("")
            self.window.statusBar().showMessage("The provider answered: the payout was sent once.", 8000)

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
        from payout_desk.ui.sending.checkin_view import CheckinDialog

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
        dialog.completed.connect(lambda _pid: self._spawn(self._checkin_completed(local_id)))
        dialog.closedEarly.connect(self._checkin_closed_early)
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

    async def _checkin_completed(self, local_id: int) -> None:
        try:
            await self.window.context.desk.checkin_completed(local_id)
        except Exception:
            log.warning("could not journal the completed checkin of payout %s", local_id, exc_info=True)
        self.window.statusBar().showMessage("Details received: the provider is processing the payout.", 8000)

    def _checkin_closed_early(self) -> None:
        self.window.statusBar().showMessage(CLOSED_EARLY_TEXT, 30000)

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
        if desk is None:  # the history opens without a connection; the provider's page needs one
            self.window.show_error("Not connected: the checkin page opens once Payout Desk is connected.")
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
        self._spawn(self._open_settings())

    async def _open_settings(self) -> None:
        context = self.window.context
        tokens = await context.token_store()  # the run's one store: a token kept in memory is found again
        if self.settings_dialog is not None or self.window.shutting_down:
            return
        from payout_desk.ui.settings.dialog import SettingsDialog

        connection = context.connection
        in_use = {connection.profile: connection.base_url} if connection is not None else {}
        before = _connection_settings(context.settings)
        dialog = SettingsDialog(context.settings, tokens, settings_path=context.paths.settings,
                                addresses_in_use=in_use, parent=self.window)  # fmt: skip
        self.settings_dialog = dialog
        dialog.settingsSaved.connect(lambda settings: self._settings_saved(settings, before, dialog.changed_tokens))
        dialog.finished.connect(self._settings_finished)
        dialog.open()

    def _settings_saved(self, settings: Any, before: Any, changed_tokens: set[str]) -> None:
        self.window.form.set_recent_currencies(list(settings.recent_currencies))
        connection = self.window.context.connection
        if connection is None or _connection_settings(settings) != before or settings.active_profile in changed_tokens:
            self.window.statusBar().showMessage(f"Settings saved. Connecting with “{settings.active_profile}”…", 5000)
            self.connectionSettingsChanged.emit()
        else:
            self.window.statusBar().showMessage("Settings saved.", 4000)

    def _settings_finished(self, _result: int) -> None:
        dialog, self.settings_dialog = self.settings_dialog, None
        if dialog is not None:
            dialog.deleteLater()

    # -- helpers -----------------------------------------------------------------------------
    def forget_journal(self) -> None:
        """The journal is being replaced (``ui.frame.journal_switch``): close what shows one of its payouts and stop
        waiting on any of them; the form's draft stays as typed."""
        self.close_confirm()
        if self.checkin_dialog is not None:
            self.checkin_dialog.reject()
        self.team.awaiting = None
        self._unanswered = None

    async def settle(self) -> None:
        """Wait (:data:`SETTLE_SECONDS` at most) for the flow's work under way — a payout being recorded or sent,
        a checkin being journalled — before its desk stops."""
        pending = [task for task in self._tasks if not task.done() and task is not asyncio.current_task()]
        if pending:
            _done, late = await asyncio.wait(pending, timeout=SETTLE_SECONDS)
            if late:
                log.warning("%d payout flow task(s) still running while the journal is replaced", len(late))

    def close_dialogs(self) -> None:
        """Close any open dialog and cancel the flow's own background tasks (window closing)."""
        for dialog in (self.confirm_dialog, self.checkin_dialog, self.settings_dialog):
            if dialog is not None:
                dialog.reject()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Any) -> asyncio.Future[Any]:
        return spawn_logged(self._tasks, coro, "payout flow")


def _connection_settings(settings: Any) -> tuple[str, str, str, str]:
    """What the connection depends on in the settings: the active profile's name, kind and address (a Team
    profile's: its libpq settings, never a password)."""
    try:
        profile = settings.profile()
    except KeyError:
        return (settings.active_profile, "", "", "")
    team = profile.team.conninfo() if getattr(profile, "team", None) is not None else ""
    return (profile.name, profile.kind, profile.base_url, team)

