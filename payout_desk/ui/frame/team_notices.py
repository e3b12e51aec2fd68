"""What a team desk tells its person besides final statuses (issue 21, audit F17 and F29).

* The preparer's own payouts waiting for approval: each approval ("approved by ben — 1 of 2"), the last one
  ("approved by carl (2 of 2): the team's agent sends it"), a rejection by an approver (who, and the reason),
  a withdrawal and an expiry — through the desk's notifier (tray or toast, and the status bar), as for final
  statuses. Who and how many come from the payout's journal events; only the payout's preparer is told.
* Final statuses (succeeded, failed, rejected, needs reconciliation …) go to the notifier on a team desk only
  for the payout's preparer (created_by is this desk's login), not to every desk of the team; a single desk is
  told of every payout as before.
* The status bar's ``connectionLabel`` never says "Connected" while the team database is lost; it says so,
  and shows the connection again once the desk is back and has caught up.
* When the desk opens: the preparer's approved payouts at the provider whose checkin was not completed here (approved
  while the desk was closed, say) are named in the status bar, with where their checkin page is (the row's
  *Reopen checkin…* / *Copy checkin link*); they are not opened by themselves.

A single desk has no approvals and no lost database: nothing else here acts on it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from PySide6.QtCore import QObject

from payout_desk.domain.status import APPROVAL_REJECTED, AWAITING_APPROVAL, CLOSED_STATUSES, EXPIRED, WITHDRAWN
from payout_desk.journal.models import HistoryQuery
from payout_desk.ui.common.background import spawn_logged
from payout_desk.ui.frame.notifications import amount_words

__all__ = ["TeamNotices", "describe_decision"]

log = logging.getLogger(__name__)

#: How many of the newest pending payouts the start-up look goes through.
_LOOK_AT: Final = 50

#: The journal event each notice reads its approver, reason or count from.
_EVENT_OF: Final = {
    "partial": "approval_granted",
    "approved": "approval_granted",
    APPROVAL_REJECTED: APPROVAL_REJECTED,
    WITHDRAWN: WITHDRAWN,
    EXPIRED: EXPIRED,
}


def _decision(change: Any) -> str | None:
    """Which notice ``change`` asks for, if any: partial, approved, approval_rejected, withdrawn, expired."""
    before, now = change.previous_status, change.record.status
    if now in CLOSED_STATUSES:
        return str(now) if before != now else None
    if before != AWAITING_APPROVAL:
        return None
    if now == AWAITING_APPROVAL:
        return "partial" if change.event == "approval_granted" else None
    return "approved"  # the last approval: confirmed (or already further, in the same feed batch)


def describe_decision(
    record: Any, kind: str, event: Any, *, me: str, opens_here: bool, locale: str | None = None
) -> tuple[str, str]:
    """(title, message) of a decision on a payout ``me`` prepared; ``event`` its journal event (or None)."""
    amount, who = amount_words(record, locale)
    what = f"{amount}{who} (#{record.local_id})"
    detail = event.detail if event is not None and isinstance(event.detail, dict) else {}
    actor = str(event.actor) if event is not None else ""
    by = "you" if actor == me else actor or "an approver"
    given, required = detail.get("approvals"), detail.get("required")
    count = f"{given} of {required}" if given is not None and required is not None else ""
    if kind == "partial":
        missing = int(required) - int(given) if given is not None and required is not None else None
        more = f"; it waits for {missing} more" if missing else "; it still waits"
        return f"Payout approved ({count})" if count else "Payout approved", f"{what} approved by {by}{more}."
    if kind == "approved":
        then = (
            "its checkin page opens here."
            if opens_here
            else "open its checkin page from its history row (Reopen checkin…, Copy checkin link)."
        )
        return (
            "Payout approved",
            f"{what} approved by {by}{f' ({count})' if count else ''} — the agent sends it; {then}",
        )
    if kind == APPROVAL_REJECTED:
        reason = detail.get("reason") or record.last_error or "no reason given"
        return "Payout rejected by an approver", f"{what} was rejected by {by}: “{reason}”. Nothing was sent."
    if kind == WITHDRAWN:
        return "Payout withdrawn", f"{what} was withdrawn by {by}: it will never be sent."
    approvals = f" ({count} approvals)" if count else ""
    return "Payout expired", f"{what} expired without its approvals{approvals}: it will never be sent."


class TeamNotices(QObject):
    """Installed on the main window; see the module docstring."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        self._tasks: set[asyncio.Future[Any]] = set()
        self._connected_text = ""
        window.bridge.payoutChanged.connect(self.changed)
        window.bridge.payoutFinal.connect(self.payout_final)

    # -- the connection label --------------------------------------------------------------------
    def follow(self, desk: Any) -> None:
        """Keep the connection label true for ``desk`` (a team desk: it may lose its database); name the
        preparer's approved payouts waiting for their checkin."""
        subscribe = getattr(desk, "subscribe_state", None)
        if subscribe is not None:
            subscribe(lambda online: self._state(desk, online))
            if getattr(desk, "can_prepare", False):
                spawn_logged(self._tasks, self._approved_meanwhile(desk), "approved payouts at start")

    async def _approved_meanwhile(self, desk: Any) -> None:
        pending = await desk.history_page(HistoryQuery(statuses=frozenset({"pending"})), 0, _LOOK_AT)
        found = []
        for record in (r for r in pending if r.created_by == desk.actor and r.checkin_url):
            kinds = {e.kind for e in await desk.events(record.local_id)}
            if "approval_granted" in kinds and "checkin_completed" not in kinds:
                found.append(f"#{record.local_id}")
        if found and self.window.context.desk is desk:
            self.window.statusBar().showMessage(
                f"Approved and at the provider: {', '.join(found[:5])}{' …' if len(found) > 5 else ''} — its checkin "
                "page is on its history row (Reopen checkin…, Copy checkin link).",
                30000,
            )

    def _state(self, desk: Any, online: bool) -> None:
        if self.window.context.desk is not desk:
            return  # an older desk, replaced by a reconnect
        label = self.window.connection_label
        if not online:
            if not self._connected_text:
                self._connected_text = label.text()
            label.setText(f"Lost the team database {desk.database} — reconnecting…")
        elif self._connected_text:
            label.setText(self._connected_text)
            self._connected_text = ""

    # -- decisions on the preparer's payouts -----------------------------------------------------
    def payout_final(self, change: Any) -> None:
        """Slot for ``DeskBridge.payoutFinal``: the notifier's final-status notice, on a team desk only for the
        payout's preparer."""
        desk = self.window.context.desk
        if getattr(desk, "subscribe_state", None) is None or change.record.created_by == getattr(desk, "actor", None):
            self.window.notifier.payout_final(change)

    def changed(self, change: Any) -> None:
        """Slot for ``DeskBridge.payoutChanged``."""
        desk = self.window.context.desk
        me = getattr(desk, "actor", None)
        if me is None or getattr(desk, "subscribe_state", None) is None or change.record.created_by != me:
            return  # a single desk, or someone else's payout
        kind = _decision(change)
        if kind is not None:
            spawn_logged(self._tasks, self._tell(desk, change.record, kind), "approval notice")

    async def _tell(self, desk: Any, record: Any, kind: str) -> None:
        try:
            events = await desk.events(record.local_id)
        except Exception:
            log.warning("could not read the events of payout %s for its notice", record.local_id, exc_info=True)
            events = []
        wanted = _EVENT_OF[kind]
        event = next((e for e in reversed(events) if e.kind == wanted), None)
        opens_here = record.local_id in self.window.flow.team.confirmed_here
        locale = getattr(self.window.form, "locale_name", None)
        title, message = describe_decision(record, kind, event, me=desk.actor, opens_here=opens_here, locale=locale)
        self.window.notifier.notify(title, message, warning=kind in (APPROVAL_REJECTED, EXPIRED))

    def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
