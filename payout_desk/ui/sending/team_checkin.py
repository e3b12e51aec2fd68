"""A team desk's checkin: after confirm the payout is the agent's to send, and the agent's ``created`` event (from
the feed, no polling) opens its checkin page in this desk — only on the team's provider's origin; another origin
is refused in words (``services.team_desk.checkin_refusal``). A single desk opens the page from ``submit``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from payout_desk.ui.sending.submit_flow import SubmitFlow

__all__ = ["TeamCheckin"]

_SENT_ELSEWHERE = frozenset({"succeeded", "failed"})


class TeamCheckin:
    """Waits for the agent's answer to the payout just confirmed on a team desk."""

    def __init__(self, flow: SubmitFlow) -> None:
        self.flow = flow
        self.awaiting: int | None = None

    def is_team(self) -> bool:
        """The window is on a team database (``--team``)."""
        return bool(getattr(self.flow.window.context.connection, "team", None))

    def expect(self, record: Any) -> None:
        """``record`` was confirmed here: its checkin page opens when the agent has created it."""
        self.awaiting = int(record.local_id)
        sends = (
            "it waits for approval; once approved, the team's agent sends it"
            if record.status == "awaiting_approval"
            else "the team's agent sends it"
        )
        self.flow.window.statusBar().showMessage(
            f"Payout #{record.local_id} saved in the team journal; {sends}. "
            "Its checkin page opens here as soon as the provider has it.",
            15000,
        )
        self.flow._spawn(self._already(self.awaiting))

    async def _already(self, local_id: int) -> None:
        """The agent may have answered before this desk got here: look once in the journal."""
        desk = self.flow.window.context.desk
        if desk is not None and self.awaiting == local_id:
            self.settle(await desk.get(local_id))

    def changed(self, change: Any) -> None:
        """Slot for the desk's changes."""
        if self.awaiting is not None and change.record.local_id == self.awaiting:
            self.settle(change.record)

    def settle(self, record: Any) -> None:
        """Open the page once the agent recorded it; say so when the provider refused the payout."""
        window = self.flow.window
        if self.awaiting != record.local_id:
            return
        if record.status == "rejected":
            self.awaiting = None
            window.show_error(
                f"The provider refused payout #{record.local_id}: {record.last_error or 'no reason given'}"
            )
        elif record.status == "mismatch":
            self.awaiting = None
            window.show_error(record.last_error or "The provider's answer does not match this payout.")
        elif record.checkin_url and record.status not in _SENT_ELSEWHERE:
            self.awaiting = None
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
