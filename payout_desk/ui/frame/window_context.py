"""What the main window receives from the wiring (``payout_desk.app.context.AppContext``) and what its
banner says about a connection: the window's side of the contract, so the frame never imports the wiring."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from payout_desk.ui.sending.host import ConnectionInfo, FlowContext

__all__ = ["ExpectedEnvironment", "ShownConnection", "WindowContext", "banner_text"]


class ShownConnection(ConnectionInfo, Protocol):
    """The connection as the banner shows it (``payout_desk.app.context.Connection``)."""

    @property
    def token_kind(self) -> str | None: ...

    @property
    def token_mismatch(self) -> bool: ...


class ExpectedEnvironment(Protocol):
    """What the command line asked for, shown before connecting (``LaunchOptions``)."""

    @property
    def sandbox(self) -> bool: ...

    @property
    def sandbox_url(self) -> str | None: ...


class WindowContext(FlowContext, Protocol):
    """What the window receives from the wiring (``payout_desk.app.context.AppContext``): it connects
    (journal, provider, desk) and closes them; the window never builds them."""

    @property
    def options(self) -> ExpectedEnvironment: ...

    async def open_journal(self) -> Any: ...  # services.records.Records: the history, no provider needed

    async def connect(self, listener: Any = None) -> ShownConnection: ...  # NotConnected says what is missing

    async def disconnect(self) -> None: ...

    async def next_journal(self) -> Any: ...  # the active profile's journal opened beside (None: same); NotConnected

    async def adopt_journal(self, journal: Any) -> Any: ...  # desk stopped, old journal closed: the new Records

    def follow_settings(self) -> None: ...  # Settings chose a profile: it wins over the command line

    def expected_profile(self) -> str: ...

    async def close(self) -> None: ...

    async def release(self) -> None:
        """Close as ``close`` does, but allow ``connect`` again (after a journal restore)."""

    @property
    def journal_path(self) -> Path:
        """The journal's real file; touches the disk (read it off the GUI thread)."""

    @property
    def journal_registry(self) -> Any:
        """What the app remembers about its journals (journal.identity.JournalRegistry)."""


def banner_text(connection: ShownConnection) -> str:
    team = getattr(connection, "team", None)  # a team desk: its database and login, never a password
    if team:
        return f"TEAM — {team}"
    text = "LIVE — " + connection.profile if connection.environment == "live" else "SANDBOX"
    if connection.token_mismatch and connection.token_kind:
        expected = "live" if connection.environment == "live" else "test"
        text += (
            f"   ⚠ This profile uses a {connection.token_kind} token (tk_{connection.token_kind}_), "
            f"not a {expected} token (tk_{expected}_)"
        )
    return text
