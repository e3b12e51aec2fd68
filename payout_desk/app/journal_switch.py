"""Another journal without a restart (issue 20): Settings made a Team profile active, another Team profile, or a
provider profile again after a Team one. The journal that profile asks for is opened *beside* the one in use — a
team database as the person's own login (the sslmode rule checked, the password from the keychain), or this
computer's journal — and only once it is open is the desk stopped and the journal in use closed. When it cannot
open, the journal in use stays open (its history shown) and :class:`NotConnected` says why in words.

The window drives it (``ui.frame.journal_switch``): :func:`open_next_journal`, then its own views let go of the
old journal, then :func:`adopt_journal`. Nothing here runs blocking work on the GUI thread: the keychain and the
journals' opening run on worker threads."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from payout_desk.services.availability import NotConnected

if TYPE_CHECKING:
    from payout_desk.app.context import AppContext

__all__ = ["NextJournal", "adopt_journal", "open_next_journal", "wanted_team"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NextJournal:
    """A journal opened beside the one in use, not yet used: ``team`` is its conninfo (None: this computer's)."""

    team: str | None
    journal: Any
    login: str = ""
    roles: frozenset[str] = frozenset()
    database: str = ""

    def __repr__(self) -> str:  # a conninfo may hold a password: never in a log or a message
        return f"NextJournal(team={self.team is not None}, database={self.database!r}, login={self.login!r})"


async def wanted_team(ctx: AppContext) -> str | None:
    """The team conninfo the desk should be on (None: this computer's journal). While the command line decides
    (``--team``, or the launch's own Team profile) that is the one in use; once Settings chose a profile, the active
    profile's. A Team profile breaking the sslmode rule is a JournalError naming it (``app.team``)."""
    if ctx.follow_options:
        return ctx.options.team
    from payout_desk.app.team import team_profile_conninfo

    return await team_profile_conninfo(ctx)


async def open_next_journal(ctx: AppContext) -> NextJournal | None:
    """The journal the active profile asks for when it is not the one in use, opened beside it; None when it is the
    same (or nothing is open yet: the connect opens it). NotConnected, naming the rule or the cause, when it cannot
    open — the journal in use is left open and untouched."""
    if ctx.records is None:
        return None
    from payout_desk.journal import JournalError

    profile = _active_name(ctx)
    kept = " The journal in use stays open."  # the banner adds that sending is off and the history is all here
    try:
        target = await wanted_team(ctx)
    except JournalError as exc:  # the profile itself is wrong: fixing it is Settings' job
        raise NotConnected("settings", f"{exc}{kept}", profile=profile) from None
    if target == ctx.options.team:
        return None
    try:
        if target is None:
            return NextJournal(None, await ctx.open_local_journal())
        from payout_desk.app.team import open_team

        journal, login, roles, database = await open_team(target)
    except (JournalError, OSError) as exc:
        where = "the team database" if target else "this computer's payout journal"
        log.warning("switching to %s failed: %s", where, exc)
        why = str(exc).strip().rstrip(".")
        raise NotConnected("other", f"Could not open {where} of “{profile}”: {why}.{kept}", profile=profile) from None
    return NextJournal(target, journal, login, roles, database)


async def adopt_journal(ctx: AppContext, nxt: NextJournal) -> Any:
    """Stop the desk (its pollers or feed), close its client and the journal in use, then use ``nxt``'s journal:
    the new :class:`~payout_desk.services.records.Records` the history reads."""
    from payout_desk.services.records import Records

    if ctx._closed:  # the window closed while it opened: it is not used, and not left open
        await nxt.journal.close()
        raise NotConnected("other", "Payout Desk is closing.")
    try:
        await ctx.disconnect()
    except Exception:  # as a reconnect does: the switch goes on
        log.exception("error while dropping the connection")
    if ctx._journal is not None:
        try:
            await ctx._close_journal()  # as it was opened (options.team still says which kind)
        except Exception:
            log.exception("error while closing the journal left behind")
    ctx.options = replace(ctx.options, team=nxt.team)
    ctx._journal = nxt.journal
    ctx.team_login, ctx.team_roles, ctx.team_database = nxt.login, nxt.roles, nxt.database
    ctx.records = Records(nxt.journal)
    log.info("now on %s", f"the team database {nxt.database} as {nxt.login}" if nxt.team else "this computer's journal")
    return ctx.records


def _active_name(ctx: AppContext) -> str:
    try:
        return str(ctx.settings.profile().name)
    except (KeyError, AttributeError):
        return ""
