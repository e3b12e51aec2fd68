"""The window's side of switching journals without a restart (issue 20): Settings saved with a Team profile active
(or a provider profile again after one). The context opens the journal that profile asks for beside the one in use
(``app.journal_switch``, off the GUI thread); only then does the window let go of the old one — its confirmation or
checkin page closed, the payout flow's work under way finished, the approvals page stopped and removed, the history
taken down — and the context stops the desk and closes the old journal. The history then opens from the new
journal, and the connect that follows puts up the banner (TEAM and the database) and, on a team desk, the approvals
page. The form's draft is never touched. When the new journal cannot open, :class:`NotConnected` says why and the
journal in use, and its history, stay."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from PySide6.QtCore import Qt

__all__ = ["follow_journal", "leave_journal"]

log = logging.getLogger(__name__)


async def follow_journal(window: Any) -> bool:
    """Before a reconnect: switch to the journal the active profile asks for, if it is another one. True when the
    journal changed. NotConnected (from the context) when it cannot open: nothing of the window was let go."""
    context = window.context
    nxt = await context.next_journal()
    if nxt is None:
        return False
    if not window.shutting_down:
        window.flow.forget_journal()
        await window.flow.settle()
        await leave_journal(window)
    records = await context.adopt_journal(nxt)  # a context closed meanwhile closes it instead (NotConnected)
    window.install_history(records)
    return True


async def leave_journal(window: Any) -> None:
    """Let go of everything that shows or follows the journal in use (it closes next)."""
    dialog = window.reconcile_dialog
    if dialog is not None:
        with contextlib.suppress(RuntimeError):  # already closed and deleted
            dialog.reject()
        window.reconcile_dialog = None
    approvals = window.approvals
    if approvals is not None:
        await approvals.stop()  # its feed follower, before the journal closes
        window.tabs.removeTab(window.tabs.indexOf(approvals))
        approvals.deleteLater()
        window.approvals = None
        window.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)  # one page again: no tab bar to reach
    window._remove_history()  # the history panel of the old journal (the new one is installed from its Records)
