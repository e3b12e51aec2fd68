"""What the send flow needs from the window it runs in and from the wiring's context.

Declared here, in the sending room, so that the flow needs nothing from the frame above it: the
frame's ``MainWindow`` is a :class:`FlowWindow`, and the context it receives from ``payout_desk.app``
(``AppContext``) is a :class:`FlowContext`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtWidgets import QMainWindow

if TYPE_CHECKING:
    from payout_desk.ui.sending.payout_form import PayoutForm


class ConnectionInfo(Protocol):
    """Which provider the desk talks to."""

    @property
    def environment(self) -> str: ...  # "sandbox" or "live"

    @property
    def profile(self) -> str: ...

    @property
    def base_url(self) -> str: ...


class SettingsPaths(Protocol):
    @property
    def settings(self) -> Path: ...


class FlowContext(Protocol):
    """The parts the flow uses; built and owned by the wiring, never by the UI."""

    @property
    def connection(self) -> ConnectionInfo | None: ...

    @property
    def desk(self) -> Any: ...  # services.desk.PayoutDesk once connected

    @property
    def settings(self) -> Any: ...  # services.settings.AppSettings once loaded

    @property
    def paths(self) -> SettingsPaths: ...

    async def save_settings(self) -> None: ...

    async def token_store(self) -> Any: ...  # services.secrets.TokenStore: one per run


class FlowWindow(QMainWindow):
    """The window the send flow works in: it holds the form and the context, shows a calm error
    line, and says when it is shutting down."""

    form: PayoutForm
    context: FlowContext

    def show_error(self, message: str) -> None:
        raise NotImplementedError

    def shown_error(self) -> str:
        """The message the error line shows now ("" when hidden)."""
        raise NotImplementedError

    @property
    def shutting_down(self) -> bool:
        raise NotImplementedError
