"""A team desk's checkin: after confirm the payout is the agent's to send, and the agent's ``created`` event (from
the feed, no polling) opens its checkin page in this desk — only on the team's provider's origin; another origin
is refused in words (``services.team_desk.checkin_refusal``). A single desk opens the page from ``submit``.

Every payout confirmed on this desk in this session is waited for, across its approvals however long they take:
approved (the agent then creates it) → its page opens, unless a confirmation or another checkin is open (then the
status bar says where to find it); rejected by an approver, withdrawn or expired → no longer waited for (the desk's
notices, ``ui.frame.team_notices``, say who and why). A payout approved while this desk was closed is not opened
by itself at the next start: the status bar names it (``team_notices``) and its history row has "Reopen checkin…"
and "Copy checkin link" (the row's menu and the details' button).

Before Confirm the confirmation says how many approvals the team's rules ask of the payout
(:func:`approval_line`); after Confirm the status bar says it waits for N approvals until its expiry
(:func:`waiting_text`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, NamedTuple

if TYPE_CHECKING:
    from payout_desk.ui.sending.submit_flow import SubmitFlow

__all__ = ["ApprovalNote", "TeamCheckin", "approval_line", "waiting_text"]

log = logging.getLogger(__name__)

_DONE: Final = frozenset({"succeeded", "failed", "approval_rejected", "withdrawn", "expired"})
STATUS_MS: Final = 30000


class ApprovalNote(NamedTuple):
    """The confirmation's line on approvals, and whether the payout (may) wait for them."""

    text: str
    waits: bool


def approval_line(needed: int | None) -> ApprovalNote:
    """The confirmation's line on approvals: ``needed`` is what the team's rules ask of this payout from this
    preparer (None: the rules could not be read)."""
    if needed is None:
        return ApprovalNote(
            "This payout may need approval: the team's rules could not be read. If it does, it waits for its "
            "approvals and nothing is sent before.",
            waits=True,
        )
    if needed == 0:
        return ApprovalNote(
            "No approval needed by the team's rules: the team's agent sends it once you confirm.", False
        )
    plural = "approval" if needed == 1 else "approvals"
    return ApprovalNote(
        f"Waits for {needed} {plural} (someone other than you) before it is sent: the team's rules ask "
        f"{needed} for this amount. Nothing is sent until then; unapproved in time, it expires.",
        waits=True,
    )


def _when(at: datetime, locale: str) -> str:
    from babel import Locale, UnknownLocaleError
    from babel.dates import format_date, format_time

    local = at.astimezone()
    try:
        found = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        found = Locale.parse("en_US")  # a "C" or unknown locale: the app's default words
    return f"{format_date(local.date(), 'medium', locale=found)} {format_time(local.time(), 'short', locale=found)}"


def waiting_text(local_id: int, required: int, given: int, expires: datetime | None, locale: str = "en_US") -> str:
    """The status bar's words for a payout of this desk waiting for its approvals (kept short: one line at
    1024 px beside the connection label)."""
    until = f" until {_when(expires, locale)}" if expires is not None else ""
    missing = max(required - given, 0)
    plural = "approval" if missing == 1 else "approvals"
    return f"Payout #{local_id} saved; it waits for {missing} {plural}{until}, then the agent sends it."


class TeamCheckin:
    """Waits for the agent's answer to the payouts confirmed on a team desk (see the module docstring)."""

    def __init__(self, flow: SubmitFlow) -> None:
        self.flow = flow
        self.awaiting: set[int] = set()
        self.confirmed_here: set[int] = set()  # every payout confirmed on this desk in this session

    def is_team(self) -> bool:
        """The window is on a team database (``--team``)."""
        return bool(getattr(self.flow.window.context.connection, "team", None))

    def forget(self) -> None:
        """The journal is being replaced: wait for none of its payouts any more."""
        self.awaiting.clear()
        self.confirmed_here.clear()

    async def retype_threshold(self, code: str) -> Decimal | None:
        """A team desk's retype threshold, from the team database (issue 21); None on a single desk (its settings')."""
        lookup = getattr(self.flow.window.context.desk, "retype_threshold", None)
        if lookup is None or not self.is_team():
            return None
        try:
            return Decimal(await lookup(code))
        except Exception:
            log.warning("the team's retype threshold could not be read: the amount is typed twice", exc_info=True)
            return Decimal(0)

    async def approval_line(self, request: Any) -> ApprovalNote | None:
        """The confirmation's line on approvals for ``request``; None on a single desk."""
        desk = self.flow.window.context.desk
        if not self.is_team() or desk is None:
            return None
        try:
            needed: int | None = int(await desk.required_approvals(request))
        except Exception:
            log.warning("the team's approval rules could not be read; the confirmation says so", exc_info=True)
            needed = None
        return approval_line(needed)

    def expect(self, record: Any) -> None:
        """``record`` was confirmed here: its checkin page opens when the agent has created it."""
        local_id = int(record.local_id)
        self.awaiting.add(local_id)
        self.confirmed_here.add(local_id)
        bar = self.flow.window.statusBar()
        if record.status == "awaiting_approval":
            bar.showMessage(
                f"Payout #{local_id} saved; it waits for its approvals, then the agent sends it.", STATUS_MS
            )
            self.flow._spawn(self._waits(local_id))
        else:
            bar.showMessage(
                f"Payout #{local_id} saved; the team's agent sends it. Its checkin page opens here.", STATUS_MS
            )
        self.flow._spawn(self._already(local_id))

    async def _waits(self, local_id: int) -> None:
        """The status bar: how many approvals it waits for, and until when (the database's numbers)."""
        desk = self.flow.window.context.desk
        try:
            required, given, expires = await desk.approval_progress(local_id)
        except Exception:
            log.warning("could not read the approvals of payout %s", local_id, exc_info=True)
            return
        if local_id in self.awaiting and required:
            locale = getattr(self.flow.window.form, "locale_name", "en_US")
            self.flow.window.statusBar().showMessage(
                waiting_text(local_id, required, given, expires, locale), STATUS_MS
            )

    async def _already(self, local_id: int) -> None:
        """The agent may have answered before this desk got here: look once in the journal."""
        desk = self.flow.window.context.desk
        if desk is not None and local_id in self.awaiting:
            self.settle(await desk.get(local_id))

    def changed(self, change: Any) -> None:
        """Slot for the desk's changes."""
        if self.awaiting and change.record.local_id in self.awaiting:
            self.settle(change.record)

    def settle(self, record: Any) -> None:
        """Open the page once the agent recorded it; say so when the provider refused the payout; stop waiting
        for one closed unsent (rejected by an approver, withdrawn, expired) or already final."""
        window = self.flow.window
        local_id = int(record.local_id)
        if local_id not in self.awaiting:
            return
        if record.status == "rejected":
            self.awaiting.discard(local_id)
            window.show_error(f"The provider refused payout #{local_id}: {record.last_error or 'no reason given'}")
        elif record.status == "mismatch":
            self.awaiting.discard(local_id)
            window.show_error(record.last_error or "The provider's answer does not match this payout.")
        elif record.status in _DONE:
            self.awaiting.discard(local_id)  # the notices say what became of it
        elif record.checkin_url:
            self.awaiting.discard(local_id)
            if self.flow.confirm_dialog is not None or self.flow.checkin_dialog is not None:
                window.statusBar().showMessage(
                    f"Payout #{local_id} is at the provider: open its checkin page from its history row "
                    "(Reopen checkin…, or Copy checkin link).",
                    STATUS_MS,
                )
            else:
                self.open(record)

    def open(self, record: Any) -> Any:
        """The checkin dialog for ``record``, pinned to the team's provider; None (and why, in words) otherwise."""
        from payout_desk.services.team_desk import checkin_refusal  # services load after the first paint

        connection = self.flow.window.context.connection
        refusal = checkin_refusal(record.checkin_url, connection.base_url if connection is not None else "")
        if refusal is not None:
            self.flow.window.show_error(refusal)
            return None
        return self.flow.open_checkin(record)
