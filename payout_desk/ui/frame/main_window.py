"""The main window: the environment banner, the payout form, the history, and the app's life cycle.

The window is shown at once; :meth:`MainWindow.start` connects asynchronously (the form says
"Connecting…" and keeps submit disabled until the desk is ready). Closing hides the window, stops
polling, closes the journal and stops the embedded sandbox, then emits :attr:`shutdownFinished`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QPaintEvent, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from payout_desk import APP_NAME
from payout_desk.ui.approvals.install import open_team_approvals
from payout_desk.ui.frame.connection_banner import ConnectionBanner, follow_team_desk
from payout_desk.ui.frame.connector import Connector
from payout_desk.ui.frame.desk_bridge import DeskBridge
from payout_desk.ui.frame.environment_banner import EnvironmentBanner
from payout_desk.ui.frame.error_banner import ErrorBanner
from payout_desk.ui.frame.garbage import GuiThreadGarbageCollector
from payout_desk.ui.frame.geometry import WindowLayout
from payout_desk.ui.frame.journal_recovery import JournalRecovery
from payout_desk.ui.frame.menus import WindowMenus
from payout_desk.ui.frame.notifications import Notifier
from payout_desk.ui.frame.team_notices import TeamNotices
from payout_desk.ui.frame.waiting_banner import WaitingBanner
from payout_desk.ui.frame.window_context import ShownConnection, WindowContext
from payout_desk.ui.history.columns import COL_CREATED_BY
from payout_desk.ui.sending.host import FlowWindow
from payout_desk.ui.sending.payout_form import PayoutForm
from payout_desk.ui.sending.submit_flow import SubmitFlow, checkin_return_url

log = logging.getLogger(__name__)


class MainWindow(FlowWindow):
    """Top-level window of Payout Desk."""

    context: WindowContext

    closing = Signal()
    shutdownFinished = Signal()
    connected = Signal(object)  # Connection
    connectFailed = Signal(str)

    def __init__(self, context: WindowContext, *, locale: QLocale | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.context = context
        self.bridge = DeskBridge(self)
        self.history: Any = None
        self.reconcile_dialog: Any = None
        self._connect_task: asyncio.Task[None] | None = None
        self._shutdown_task: asyncio.Task[None] | None = None
        self._shut_down = False
        self._painted = asyncio.Event()

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        self.banner = EnvironmentBanner(central)
        layout.addWidget(self.banner)
        self.error_banner = ErrorBanner(central)
        self.error_label = self.error_banner.label
        layout.addWidget(self.error_banner)
        self.connection_banner = ConnectionBanner(central)
        layout.addWidget(self.connection_banner)
        self.waiting_banner = WaitingBanner(central)
        layout.addWidget(self.waiting_banner)
        self.waiting_banner.rebound.connect(lambda _n: self.refresh_history())

        splitter = QSplitter(Qt.Orientation.Horizontal, central)
        splitter.setObjectName("mainSplitter")
        self.form = PayoutForm(
            redirect_url="", locale=locale, localize_names=False, parent=None
        )  # return URL set in _connect
        scroll = QScrollArea(splitter)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.form)
        scroll.setMinimumWidth(400)
        # mainTabs: the history; team mode adds the approvals (install_approvals). One page: no tab bar.
        self.tabs = QTabWidget(splitter)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("Pages")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a hidden tab bar must not break the Tab chain
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.history_stack = QStackedWidget(self.tabs)
        placeholder = QLabel("Opening the journal…", self.history_stack)
        placeholder.setObjectName("historyPlaceholder")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.history_stack.addWidget(placeholder)
        self.tabs.addTab(self.history_stack, "&History")
        self.approvals: Any = None
        splitter.addWidget(scroll)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([460, 980])  # the form needs ~420; the history's filter row ~780
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.connection_label = QLabel("Connecting…", self)
        self.connection_label.setObjectName("connectionLabel")
        self.statusBar().addPermanentWidget(self.connection_label)
        self.notifier = Notifier(self)
        self.team_notices = TeamNotices(self)  # final statuses (a team desk: one's own payouts); approvals; a lost db
        self.flow = SubmitFlow(self)
        self.form.showPayoutRequested.connect(self.show_payout)
        self.flow.connectionSettingsChanged.connect(self._settings_changed_connection)
        self.bridge.payoutChanged.connect(self.flow.payout_changed)  # an error line whose cause is gone goes
        self.garbage = GuiThreadGarbageCollector()
        self.connector = Connector(self)
        self.connector.historyOpened.connect(self.install_history)
        self.connection_banner.actionRequested.connect(self.connector.act)
        self.menus = WindowMenus(self)
        self.recovery = JournalRecovery(self)  # a refused or damaged journal's ways out
        self._install_shortcuts()
        self.window_layout = WindowLayout(self, splitter, context.paths.settings.with_name("window.ini"))
        self.window_layout.restore()
        self.banner.show_expected(context.options)
        self.form.set_ready(False, "Connecting…")
        self.form.focus_amount()

    # -- building ----------------------------------------------------------------------------
    def _install_shortcuts(self) -> None:
        def add(keys: QKeySequence | str, slot: Any, name: str) -> None:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setObjectName(name)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

        # Ctrl+N, Ctrl+F, F5, Ctrl+, Ctrl+E, Ctrl+Q, F1 are the menu bar's (ui/frame/menus.py).
        add("Ctrl+Return", self.form.attempt_submit, "shortcutSubmit")
        add("Ctrl+Enter", self.form.attempt_submit, "shortcutSubmitKeypad")
        if QKeySequence(QKeySequence.StandardKey.Refresh) != QKeySequence("F5"):
            add(QKeySequence(QKeySequence.StandardKey.Refresh), self.refresh_history, "shortcutRefreshStd")

    # -- environment ---------------------------------------------------------------------------
    def show_connection(self, connection: ShownConnection) -> None:
        shown = self.banner.show_connection(connection)
        kind = f" · {connection.token_kind} token" if connection.token_kind else ""
        self.connection_label.setText(f"Connected: {connection.profile} · {connection.base_url}{kind}")
        self.setWindowTitle(f"{APP_NAME} — {shown.split('   ')[0]}")

    def show_error(self, message: str) -> None:
        """A calm inline message (never a stack trace)."""
        self.error_banner.show_message(message)

    def shown_error(self) -> str:
        return self.error_banner.shown(self)

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        """Connect in the background (call once the window is shown, on the running qasync loop)."""
        self.garbage.start()
        if self._connect_task is None:
            self._connect_task = asyncio.ensure_future(self._connect())
        return self._connect_task

    async def _connect(self) -> None:
        # Let the window appear first: start-up work begins after the first paint (or 1 s at most).
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._painted.wait(), 1.0)
        self.form.set_redirect_url(checkin_return_url())
        self.form.localize_currency_names()
        await self.connector.start()

    def reconnect(self) -> asyncio.Future[None]:
        """Connect again with the active profile (Settings saved, Try again): no restart. After
        :meth:`suspend` (a journal restored or started anew) the journal is opened again first."""
        if self.history is None:
            self._connect_task = asyncio.ensure_future(self.connector.start())
            return self._connect_task
        return self.connector.reconnect()

    def _settings_changed_connection(self) -> None:
        self.context.follow_settings()
        self.reconnect()

    def on_reconnecting(self) -> None:
        self.flow.close_confirm()  # a confirmation shows the old connection: never confirm against it
        self.form.set_ready(False, "Connecting…")
        self.connection_label.setText("Connecting…")
        self.waiting_banner.hide()
        self.banner.show_text("Connecting…")

    def on_connected(self, connection: ShownConnection) -> None:
        self.show_error("")
        self.show_connection(connection)
        settings = self.context.settings
        self.form.set_recent_currencies(list(getattr(settings, "recent_currencies", []) or []))
        self.waiting_banner.task = asyncio.ensure_future(self.waiting_banner.refresh(self.context.desk))
        self.refresh_history()  # the active connection changed: "waiting for profile" notes follow it
        self.form.set_ready(True)
        follow_team_desk(self)  # a team desk: a viewer's form stays off; a lost database says so
        self.team_notices.follow(self.context.desk)
        open_team_approvals(self)  # a team desk: the approvals queue (once)
        self.connected.emit(connection)

    def on_not_connected(self, problem: Any) -> None:
        profile = getattr(problem, "profile", "") or self.context.expected_profile()
        self.form.set_ready(False, "Not connected")
        self.connection_label.setText(f"Not connected: {profile}" if profile else "Not connected")
        self.banner.show_text(f"NOT CONNECTED — {profile}" if profile else "NOT CONNECTED")
        self.setWindowTitle(f"{APP_NAME} — not connected")
        self.connectFailed.emit(problem.user_message)

    def install_history(self, records: Any) -> None:
        """The history, from the journal alone: it needs no provider."""
        from payout_desk.ui.history.panel import HistoryPanel

        self._remove_history()
        panel = HistoryPanel(records, parent=self.history_stack)
        self.bridge.payoutChanged.connect(panel.apply_change)
        panel.reopenRequested.connect(self.flow.reopen)
        panel.details.reconcileRequested.connect(self.open_reconcile)
        self.history = panel
        self.history_stack.addWidget(panel)
        self.history_stack.setCurrentWidget(panel)
        self.menus.add_row_actions(panel.row_actions.all())
        self.window_layout.restore_history(panel)
        team = bool(getattr(self.context.options, "team", None))
        panel.table.setColumnHidden(COL_CREATED_BY, not team)  # who confirmed it: a team's history only
        if team:
            panel.columns.team_layout()  # Created by after Currency; Status fits the approval states
        panel.reload()
        if not team:  # the team's database is the server's to check
            self.recovery.check_integrity()  # quick_check off the GUI thread, once per journal opened

    def install_approvals(self, panel: QWidget) -> None:
        """Team mode: the approvals queue as ``mainTabs``' page ``approvalsTab``; its tab counts what waits."""
        if self.approvals is not None:
            self.tabs.removeTab(self.tabs.indexOf(self.approvals))
            self.approvals.deleteLater()
        panel.setObjectName("approvalsTab")
        self.approvals = panel
        self.tabs.addTab(panel, "&Approvals")
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.TabFocus)  # two pages: the tab bar is reachable
        panel.countChanged.connect(self._show_approvals_count)  # type: ignore[attr-defined]

    def _show_approvals_count(self, waiting: int) -> None:
        if self.approvals is not None:
            self.tabs.setTabText(self.tabs.indexOf(self.approvals), f"&Approvals ({waiting})")

    def _remove_history(self) -> None:
        if self.history is not None:
            self.history_stack.removeWidget(self.history)
            self.history.deleteLater()
            self.history = None

    async def _stop_connecting(self) -> None:
        """Cancel a connect in progress, close the flow's dialogs, stop listening to the desk."""
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connect_task
        self.connector.stop()
        if self.approvals is not None:
            await self.approvals.stop()  # its feed follower, before the journal closes
        self.flow.close_dialogs()
        self.bridge.detach()

    async def suspend(self, status: str) -> None:
        """Stop the desk and close the journal (and the rest of the context) so its file can be replaced;
        :meth:`reconnect` afterwards."""
        await self._stop_connecting()
        self._remove_history()
        self.form.set_ready(False, status)
        self.connection_label.setText(status)
        await self.context.release()

    def new_payout(self) -> None:
        self.form.focus_amount()

    def export_history(self) -> None:
        if self.history is not None:
            self.history.choose_export_path()

    def reset_layout(self) -> None:
        self.window_layout.reset()

    def focus_search(self) -> None:
        search = self.findChild(QLineEdit, "searchEdit")
        if search is not None:
            search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            search.selectAll()

    def refresh_history(self) -> None:
        if self.history is not None:
            self.history.reload()

    def open_reconcile(self, record: Any) -> Any:
        """The reconciliation dialog for a ``needs_reconciliation`` payout (window-modal)."""
        from payout_desk.ui.frame.reconcile_dialog import ReconcileDialog

        dialog = ReconcileDialog(self.context.desk, record, self)
        dialog.resolved.connect(lambda _record: self.refresh_history())
        dialog.finished.connect(dialog.deleteLater)
        self.reconcile_dialog = dialog
        dialog.open()
        return dialog

    def show_payout(self, local_id: int, reference: str) -> None:
        """Find an earlier payout in the history (by its reference, which is unique per connection)."""
        if self.history is None:
            return
        self.history.search_edit.setText(reference)
        self.history.apply_filters()
        self.statusBar().showMessage(f"Showing payout #{local_id}", 5000)

    def open_settings(self) -> None:
        self.flow.open_settings()

    @property
    def shutting_down(self) -> bool:
        return self._shutdown_task is not None or self._shut_down

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._shut_down:
            super().closeEvent(event)
            return
        self.closing.emit()
        self.window_layout.save()
        self.hide()
        event.ignore()
        if self._shutdown_task is None:
            try:
                self._shutdown_task = asyncio.ensure_future(self.shutdown())
            except RuntimeError:  # no event loop (a bare window in a test): nothing to close
                self._finish_shutdown()

    async def shutdown(self) -> None:
        """Stop connecting, stop the desk, close the journal and the client, stop the sandbox."""
        await self._stop_connecting()
        self.recovery.close()
        self.notifier.close()
        self.team_notices.stop()
        try:
            await self.context.close()
        finally:
            self._finish_shutdown()

    def _finish_shutdown(self) -> None:
        self._shut_down = True
        self.garbage.stop()
        self.close()
        self.shutdownFinished.emit()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        self._painted.set()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.notifier.toast.isVisible():
            self.notifier._place_toast()
