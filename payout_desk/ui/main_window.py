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
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from payout_desk import APP_NAME
from payout_desk.ui.app_context import AppContext, AppPaths, Connection, LaunchOptions
from payout_desk.ui.banner_styles import BANNER_CSS, LIVE_STYLE, NEUTRAL_STYLE, SANDBOX_STYLE, WARNING_STYLE
from payout_desk.ui.desk_bridge import DeskBridge
from payout_desk.ui.notifications import Notifier
from payout_desk.ui.payout_form import PayoutForm
from payout_desk.ui.pyside_guard import GuiThreadGarbageCollector
from payout_desk.ui.submit_flow import SubmitFlow, checkin_return_url

log = logging.getLogger(__name__)



def banner_text(connection: Connection) -> str:
    text = "LIVE — " + connection.profile if connection.environment == "live" else "SANDBOX"
    if connection.token_mismatch and connection.token_kind:
        expected = "live" if connection.environment == "live" else "test"
        text += (
            f"   ⚠ This profile uses a {connection.token_kind} token (tk_{connection.token_kind}_), "
            f"not a {expected} token (tk_{expected}_)"
        )
    return text


class MainWindow(QMainWindow):
    """Top-level window of Payout Desk."""

    closing = Signal()
    shutdownFinished = Signal()
    connected = Signal(object)  # Connection
    connectFailed = Signal(str)

    def __init__(self, context: AppContext | None = None, *, locale: QLocale | None = None) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.resize(1440, 860)
        self.context = context or AppContext(LaunchOptions(), AppPaths.resolve(None))
        self.bridge = DeskBridge(self)
        self.history: Any = None
        self._connect_task: asyncio.Task[None] | None = None
        self._shutdown_task: asyncio.Task[None] | None = None
        self._shut_down = False
        self._painted = asyncio.Event()

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 8, 8, 0)
        self.banner = QLabel(central)
        self.banner.setObjectName("environmentBanner")
        self.banner.setAccessibleName("Environment")
        self.banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.banner.setWordWrap(True)
        layout.addWidget(self.banner)
        self.error_banner = self._build_error_banner(central)
        layout.addWidget(self.error_banner)

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
        scroll.setMinimumWidth(480)
        self.history_stack = QStackedWidget(splitter)
        placeholder = QLabel("Connecting…", self.history_stack)
        placeholder.setObjectName("historyPlaceholder")
        placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.history_stack.addWidget(placeholder)
        splitter.addWidget(scroll)
        splitter.addWidget(self.history_stack)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([540, 900])
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)

        self.connection_label = QLabel("Connecting…", self)
        self.connection_label.setObjectName("connectionLabel")
        self.statusBar().addPermanentWidget(self.connection_label)
        self.notifier = Notifier(self)
        self.bridge.payoutFinal.connect(self.notifier.payout_final)
        self.flow = SubmitFlow(self)
        self.garbage = GuiThreadGarbageCollector()
        self._install_shortcuts()
        self._show_expected_environment()
        self.form.set_ready(False, "Connecting…")
        self.form.focus_amount()

    # -- building ----------------------------------------------------------------------------
    def _build_error_banner(self, parent: QWidget) -> QFrame:
        frame = QFrame(parent)
        frame.setObjectName("errorBanner")
        frame.setStyleSheet(
            "QFrame#errorBanner { background: #fdecea; border: 1px solid #e3a29d; border-radius: 4px; }"
        )
        row = QHBoxLayout(frame)
        row.setContentsMargins(10, 6, 6, 6)
        self.error_label = QLabel(frame)
        self.error_label.setObjectName("errorBannerText")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet("color: #5f1410;")
        close = QToolButton(frame)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(frame.hide)
        row.addWidget(self.error_label, 1)
        row.addWidget(close)
        frame.hide()
        return frame

    def _install_shortcuts(self) -> None:
        def add(keys: QKeySequence | str, slot: Any, name: str) -> None:
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setObjectName(name)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(slot)

        add("Ctrl+N", self.form.focus_amount, "shortcutNewPayout")
        add("Ctrl+Return", self.form.attempt_submit, "shortcutSubmit")
        add("Ctrl+Enter", self.form.attempt_submit, "shortcutSubmitKeypad")
        add("Ctrl+F", self.focus_search, "shortcutSearch")
        add("F5", self.refresh_history, "shortcutRefresh")
        add(QKeySequence(QKeySequence.StandardKey.Refresh), self.refresh_history, "shortcutRefreshStd")
        add("Ctrl+,", self.open_settings, "shortcutSettings")

    # -- environment ---------------------------------------------------------------------------
    def _show_expected_environment(self) -> None:
        opts = self.context.options
        if opts.sandbox or opts.sandbox_url:
            self._set_banner("SANDBOX", SANDBOX_STYLE)
        else:
            self._set_banner("Connecting…", NEUTRAL_STYLE)

    def _set_banner(self, text: str, style: str) -> None:
        self.banner.setText(text)
        self.banner.setStyleSheet(style + BANNER_CSS)
        self.banner.setAccessibleDescription(f"Payouts are sent to: {text}")

    def show_connection(self, connection: Connection) -> None:
        style = LIVE_STYLE if connection.environment == "live" else SANDBOX_STYLE
        if connection.token_mismatch:
            style = WARNING_STYLE
        self._set_banner(banner_text(connection), style)
        kind = f" · {connection.token_kind} token" if connection.token_kind else ""
        self.connection_label.setText(f"Connected: {connection.profile} · {connection.base_url}{kind}")
        self.setWindowTitle(f"{APP_NAME} — {banner_text(connection).split('   ')[0]}")

    def show_error(self, message: str) -> None:
        """A calm inline message (never a stack trace)."""
        self.error_label.setText(message)
        self.error_banner.setVisible(bool(message))

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
        try:
            connection = await self.context.connect(listener=self.bridge.attach)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            message = getattr(exc, "user_message", None) or str(exc) or type(exc).__name__
            log.warning("could not connect: %s", message, exc_info=True)
            self.form.set_ready(False, "Not connected")
            self.connection_label.setText("Not connected")
            if self.banner.text() == "Connecting…":
                self._set_banner("NOT CONNECTED", NEUTRAL_STYLE)
            self.show_error(f"Could not connect: {message}")
            self.connectFailed.emit(message)
            return
        self.show_connection(connection)
        settings = self.context.settings
        self.form.set_recent_currencies(list(getattr(settings, "recent_currencies", []) or []))
        self._install_history()
        self.form.set_ready(True)
        self.connected.emit(connection)

    def _install_history(self) -> None:
        try:
            from payout_desk.ui.history_panel import HistoryPanel
        except ImportError:  # the history panel is not available: the form still works
            log.warning("history panel not available", exc_info=True)
            return
        panel = HistoryPanel(self.context.desk, parent=self.history_stack)
        self.bridge.payoutChanged.connect(panel.apply_change)
        panel.reopenRequested.connect(self.flow.reopen)
        self.history = panel
        self.history_stack.addWidget(panel)
        self.history_stack.setCurrentWidget(panel)
        panel.reload()

    def focus_search(self) -> None:
        search = self.findChild(QLineEdit, "searchEdit")
        if search is not None:
            search.setFocus(Qt.FocusReason.ShortcutFocusReason)
            search.selectAll()

    def refresh_history(self) -> None:
        if self.history is not None:
            self.history.reload()

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
        self.hide()
        event.ignore()
        if self._shutdown_task is None:
            try:
                self._shutdown_task = asyncio.ensure_future(self.shutdown())
            except RuntimeError:  # no event loop (a bare window in a test): nothing to close
                self._finish_shutdown()

    async def shutdown(self) -> None:
        """Stop connecting, stop the desk, close the journal and the client, stop the sandbox."""
        if self._connect_task is not None and not self._connect_task.done():
            self._connect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connect_task
        self.flow.close_dialogs()
        self.bridge.detach()
        self.notifier.close()
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
