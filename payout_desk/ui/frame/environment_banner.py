"""The window's environment banner (``environmentBanner``): where payouts go — SANDBOX, LIVE and the profile,
TEAM and the database — or that the desk is connecting or not connected. Moved out of ``main_window`` as it was
(the window keeps ``banner`` and ``show_connection``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from payout_desk.ui.frame.window_context import ExpectedEnvironment, ShownConnection, banner_text
from payout_desk.ui.style.banner import BANNER_CSS, LIVE_STYLE, NEUTRAL_STYLE, SANDBOX_STYLE, WARNING_STYLE

__all__ = ["EnvironmentBanner"]


class EnvironmentBanner(QLabel):
    """``environmentBanner``; its accessible description says where payouts are sent."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("environmentBanner")
        self.setAccessibleName("Environment")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)

    def show_text(self, text: str, style: str = NEUTRAL_STYLE) -> None:
        self.setText(text)
        self.setStyleSheet(style + BANNER_CSS)
        self.setAccessibleDescription(f"Payouts are sent to: {text}")

    def show_expected(self, options: ExpectedEnvironment) -> None:
        """Before connecting: what the command line asked for."""
        if options.sandbox or options.sandbox_url:
            self.show_text("SANDBOX", SANDBOX_STYLE)
        else:
            self.show_text("Connecting…")

    def show_connection(self, connection: ShownConnection) -> str:
        """The connection made (a token of the wrong kind in the warning colour); returns the text shown."""
        style = LIVE_STYLE if connection.environment == "live" else SANDBOX_STYLE
        if connection.token_mismatch:
            style = WARNING_STYLE
        text = banner_text(connection)
        self.show_text(text, style)
        team = getattr(connection, "team", None)
        if team:  # the database journals them; the team's agent sends them to the team's provider
            self.setAccessibleDescription(
                f"Team desk: payouts are journaled in {team}; the team's agent sends them to {connection.base_url}"
            )
        return text
