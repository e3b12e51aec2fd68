"""The Approvals page of a team desk's window, once per window (the wiring the launch needs; issue 21)."""

from __future__ import annotations

from typing import Any

from payout_desk.services.approvals import ApprovalsService
from payout_desk.ui.approvals.panel import ApprovalsPanel

__all__ = ["open_team_approvals"]


def open_team_approvals(window: Any) -> None:
    """On a team desk's first connect: the queue of the team journal the window's context opened, live from the
    feed, as ``mainTabs``' page ``approvalsTab``. A single desk (or a window that has it already) is left alone."""
    context = window.context
    if not getattr(context.options, "team", None) or window.approvals is not None:
        return
    journal = getattr(context, "_journal", None)
    if journal is None:
        return
    panel = ApprovalsPanel(ApprovalsService(journal))
    window.install_approvals(panel)
    panel.start()
