"""How the window gets to its records and its provider: the journal first (the history opens from it
alone), then the connection — and, when that cannot be made, why not and the one action that fixes it.

* A second instance on the same data folder: one dialog naming the running instance, then this one quits.
* No token / keychain locked / provider unreachable: the :class:`ConnectionBanner` says so; sending stays
  off; the history, search, details, timeline and export work from the journal.
* No usable keychain and a Live profile: its token is asked once per start in a dialog, kept in memory
  (said so) — never a loop: cancelled, the banner offers the dialog again.
* :meth:`Connector.reconnect` (Settings saved, Try again, a token entered, the provider back by itself)
  needs no restart; an unreachable provider is tried again every :attr:`retry_ms`. When the active profile asks
  for another journal (a Team profile, or a provider profile after one) it is switched first
  (:mod:`payout_desk.ui.frame.journal_switch`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QLabel, QLineEdit, QMessageBox

from payout_desk import APP_NAME
from payout_desk.services.availability import NotConnected
from payout_desk.ui.frame.journal_switch import follow_journal

if TYPE_CHECKING:
    from payout_desk.journal.lock import JournalInUseError
    from payout_desk.services.team_connection import TeamRefusedError

log = logging.getLogger(__name__)

RETRY_MS = 15_000


def second_instance_text(exc: JournalInUseError) -> str:
    """The one message a second instance shows: which instance holds the data folder, what to do."""
    who = f"process {exc.holder}" if exc.holder else "another window"
    return (
        f"Payout Desk is already running on this data folder ({who}, journal {exc.path}).\n\n"
        "Use that window: two windows on one journal could send the same payouts twice. This one closes now."
    )


class Connector(QObject):
    """Drives the window's start-up and reconnects; see the module docstring."""

    historyOpened = Signal(object)  # services.records.Records
    notConnected = Signal(object)  # services.connection.NotConnected
    secondInstance = Signal(object)  # the QMessageBox shown

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self.retry_ms = RETRY_MS
        self.retry_timer = QTimer(self)
        self.retry_timer.setObjectName("reconnectTimer")
        self.retry_timer.setSingleShot(True)
        self.retry_timer.timeout.connect(self.reconnect)
        self.problem: NotConnected | None = None
        self.token_dialog: QInputDialog | None = None
        self.instance_dialog: QMessageBox | None = None
        self._asked_token = False
        self._task: asyncio.Future[None] | None = None
        self._token_task: asyncio.Future[None] | None = None

    # -- start-up ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Open the journal (the history shows at once), then connect."""
        from payout_desk.journal.lock import JournalInUseError  # the journal loads after the first paint

        self._placeholder("Opening the journal…")
        try:
            records = await self.window.context.open_journal()
        except JournalInUseError as exc:
            log.warning("second instance: %s", exc)
            self._second_instance(exc)
            return
        except Exception as exc:
            from payout_desk.services.team_connection import TeamRefusedError

            if isinstance(exc, TeamRefusedError):  # expected, in words: no traceback, the message kept
                self._team_refused(exc)
                return
            log.exception("the journal could not be opened")
            self.window.show_error(f"The payout journal could not be opened: {exc}")
            self.window.form.set_ready(False, "Journal not available")
            self.window.connection_label.setText("Journal not open")  # not "Connecting…" for ever
            self._placeholder("The payout journal is not open, so the history cannot be shown.\n"
                              "The message above says why and what to do.")  # fmt: skip
            self.window.connectFailed.emit(f"The payout journal could not be opened: {exc}")
            if self.window.recovery.is_damaged(exc):
                self.window.recovery.offer(exc)  # restore a checked backup, or a new journal (old one kept)
            return
        self.historyOpened.emit(records)
        await self.connect_provider()

    def _team_refused(self, exc: TeamRefusedError) -> None:
        """The team database was not opened, for a reason said in words (the sslmode rule, the login, its role):
        one log line, no traceback; the banner says TEAM — not connected; the message stays (no ✕) with the one
        action that can fix it — Settings for a Team profile, otherwise Try again."""
        window, message, in_settings = self.window, str(exc), exc.in_settings
        log.warning("not connected to the team database: %s", message)
        window.form.set_ready(False, "Not connected")
        window.connection_label.setText("Not connected: TEAM")
        window.banner.show_text("TEAM — not connected")
        window.setWindowTitle(f"{APP_NAME} — not connected")
        self._placeholder("Not connected to the team database, so its payouts cannot be shown.\n"
                          "The message above says why and what to do.")  # fmt: skip
        window.connection_banner.show_problem(
            "settings" if in_settings else "team_refused", message, "Settings…" if in_settings else "Try again",
            lead="Not connected to the team database — nothing is shown or sent.",
        )  # fmt: skip
        window.connectFailed.emit(message)

    def _placeholder(self, text: str) -> None:
        """What the history pane says while it has no journal."""
        label = self.window.history_stack.findChild(QLabel, "historyPlaceholder")
        if label is not None:
            label.setText(text)

    def _second_instance(self, exc: JournalInUseError) -> None:
        self.window.form.setEnabled(False)  # nothing half alive: no editable form behind the dialog
        self.window.form.set_ready(False, "Already open in another window")
        self.window.connection_label.setText("Already open in another window")  # nothing is on its way
        self._placeholder("This window closes: the history is in the Payout Desk window already open.")
        box = QMessageBox(QMessageBox.Icon.Warning, "Payout Desk is already running", second_instance_text(exc),
                          QMessageBox.StandardButton.Close, self.window)  # fmt: skip
        box.setObjectName("secondInstanceDialog")
        box.finished.connect(lambda _r: self.window.close())
        self.instance_dialog = box
        box.open()
        self.secondInstance.emit(box)

    # -- connecting ----------------------------------------------------------------------------
    async def connect_provider(self) -> None:
        window = self.window
        self.retry_timer.stop()
        try:
            connection = await window.context.connect(listener=window.bridge.attach)
        except asyncio.CancelledError:
            raise
        except NotConnected as exc:
            self._not_connected(exc)
            return
        except Exception as exc:
            detail = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
            log.warning("could not connect: %s", detail, exc_info=True)
            if window.recovery.is_damaged(exc):  # met while recovering: the journal, not the provider
                window.show_error(f"Could not connect: {detail}")
                window.form.set_ready(False, "Journal not available")
                window.connectFailed.emit(f"Could not connect: {detail}")
                window.recovery.offer(exc)
                return
            self._not_connected(NotConnected("other", f"Could not connect: {detail}"))
            return
        self.problem = None
        window.connection_banner.clear()
        window.on_connected(connection)

    def _not_connected(self, exc: NotConnected) -> None:
        self.problem = exc
        log.info("not connected (%s): %s", exc.reason, exc.user_message)
        self.window.on_not_connected(exc)
        self.window.connection_banner.show_problem(exc.reason, exc.user_message, exc.action)
        if exc.reason in ("unreachable", "other"):
            self.retry_timer.start(self.retry_ms)
        if exc.reason == "token_needed" and not self._asked_token:
            self._asked_token = True  # once per start by itself; the banner's button asks again
            self.ask_token()
        self.notConnected.emit(exc)

    def reconnect(self) -> asyncio.Future[None]:
        """Drop the current connection (if any) and connect with the active profile; no restart."""
        if self._task is not None and not self._task.done():
            return self._task
        self._task = asyncio.ensure_future(self._reconnect())
        return self._task

    async def _reconnect(self) -> None:
        self.retry_timer.stop()
        self.window.bridge.detach()
        self.window.on_reconnecting()
        try:
            await follow_journal(self.window)  # another profile's journal: opened beside this one, then swapped
        except Exception as exc:  # refused: the journal in use stays open, not connected
            if not isinstance(exc, NotConnected):
                log.exception("the journal could not be switched")
                exc = NotConnected("other", f"Could not open the journal of the profile in use: {exc}")
            await self.window.flow.settle()  # a payout under way finishes with the desk it started on
            await self._disconnect()
            self._not_connected(exc)
            return
        await self._disconnect()
        await self.connect_provider()

    async def _disconnect(self) -> None:
        try:
            await self.window.context.disconnect()
        except Exception:
            log.exception("error while dropping the connection")

    def act(self, reason: str) -> None:
        """The banner's button: the one action that fixes ``reason``."""
        if reason in ("no_token", "token_refused", "settings"):
            self.window.open_settings()
        elif reason == "token_needed":
            self.ask_token()
        elif reason == "team_refused":
            self.window.reconnect()  # no journal yet: start over (the sslmode rule, the login and its role again)
        else:
            self.reconnect()

    # -- the token, once per start, without a keychain -------------------------------------------
    def ask_token(self) -> QInputDialog | None:
        problem = self.problem
        if problem is None or self.token_dialog is not None:
            return self.token_dialog
        dialog = QInputDialog(self.window)
        dialog.setObjectName("tokenPromptDialog")
        dialog.setWindowTitle(f"API token for “{problem.profile}”")
        dialog.setLabelText(
            f"Paste the API token of the profile “{problem.profile}” (tk_live_…).\n\n"
            "There is no system keychain on this computer: the token is kept in memory only, until you "
            "close Payout Desk, and asked again at the next start."
        )
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.setOkButtonText("Connect")
        dialog.finished.connect(self._token_finished)
        self.token_dialog = dialog
        dialog.open()
        return dialog

    def _token_finished(self, result: int) -> None:
        dialog, self.token_dialog = self.token_dialog, None
        if dialog is None:
            return
        token = dialog.textValue().strip()
        dialog.deleteLater()
        problem = self.problem
        if not result or not token or problem is None:
            return  # the banner keeps offering the dialog
        self._token_task = asyncio.ensure_future(self._keep_token(problem.profile, token))

    async def _keep_token(self, profile: str, token: str) -> None:
        tokens = await self.window.context.token_store()
        await self.window.context.off_thread(tokens.set, profile, token)
        self.window.statusBar().showMessage(
            f"The token of “{profile}” is kept in memory until you close Payout Desk (no system keychain).", 15000
        )
        await self.reconnect()

    def stop(self) -> None:
        self.retry_timer.stop()
        for dialog in (self.token_dialog, self.instance_dialog):
            if dialog is not None:
                with contextlib.suppress(RuntimeError):
                    dialog.reject()
