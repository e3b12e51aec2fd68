"""``--team CONNINFO``: the wiring of a desk on a team database (issue 20). No provider client, no token, no
keychain: the journal is the team's PostgreSQL (as the person's own login), the desk is a
:class:`~payout_desk.services.team_desk.TeamDesk`, and the banner names the database (never the password).
Saved settings are read (currencies, thresholds) but the active profile is not touched."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from payout_desk.app.provider_choice import Connection
from payout_desk.services.availability import NotConnected

if TYPE_CHECKING:
    from payout_desk.app.context import AppContext

__all__ = ["connect_team", "open_team", "open_team_journal", "team_profile_conninfo"]

log = logging.getLogger(__name__)


async def team_profile_conninfo(ctx: AppContext) -> str | None:
    """The conninfo of the active profile when it is a Team profile (its libpq settings, the sslmode rule checked,
    the password from the keychain), else None. A profile that breaks the rule is a JournalError naming it."""
    from payout_desk.services.team_connection import TeamRefusedError
    from payout_desk.services.team_profile import resolve_team_conninfo

    try:
        profile = ctx.settings.profile()
    except (KeyError, AttributeError):
        return None
    if getattr(profile, "kind", None) != "team":
        return None
    tokens = await ctx.token_store()
    try:
        return str(await ctx.off_thread(resolve_team_conninfo, profile, tokens))
    except ValueError as exc:
        raise TeamRefusedError(
            f"The Team profile “{profile.name}” cannot be used: {exc}. Fix it in Settings.", in_settings=True
        ) from None


async def open_team_journal(ctx: AppContext, conninfo: str) -> Any:
    """The team journal as this login (schema version and role checked: a plain JournalError says why not)."""
    journal, ctx.team_login, ctx.team_roles, ctx.team_database = await open_team(conninfo)
    return journal


async def open_team(conninfo: str) -> tuple[Any, str, frozenset[str], str]:
    """(the team journal, the login, its app roles, the database's label), touching no context: a switch opens it
        beside the journal in use (``app.journal_switch``). A TeamRefusedError says why not, in words: the sslmode rule
    (checked before anything is dialled, for ``--team`` as for a Team profile), the login, the schema version."""
    import psycopg

    from payout_desk.journal import JournalError
    from payout_desk.journal.postgres.async_pg import AsyncPgJournal
    from payout_desk.journal.postgres.desk_reads import DESK_ROLES, database_label, login_roles
    from payout_desk.services.team_connection import TeamRefusedError, check_team_connection

    try:
        check_team_connection(conninfo)  # the Team profile's rule, before anything is dialled
    except ValueError as exc:
        fix = " Use sslmode=verify-full, with the server's CA as sslrootcert." if "sslmode" in str(exc) else ""
        raise TeamRefusedError(f"The team database was not contacted: {exc}.{fix}") from None
    try:
        journal = await AsyncPgJournal.open(conninfo)
    except JournalError as exc:  # expected, and said in words: no role, another schema version, refused at the door
        message = str(exc)
        if isinstance(exc.__cause__, psycopg.OperationalError):  # the login, its password, the host or port
            message = (f"Could not open the team database: {_first_line(exc.__cause__)}. Check the login, its "
                       "password, the host and the port, then Try again.")  # fmt: skip
        raise TeamRefusedError(message) from None
    try:
        login, roles = await journal.on_connection(login_roles)
        if not roles & DESK_ROLES:
            raise TeamRefusedError(_no_desk_role(login, roles))
        database = await journal.on_connection(database_label)
    except BaseException:
        await journal.close()
        raise
    return journal, login, frozenset(roles), database


def _no_desk_role(login: str, roles: frozenset[str]) -> str:
    """Why ``login`` opens no desk: it holds no preparer, approver or viewer role (the real reason), and what its
    role is for instead (audit 2, N3: an administrator's login is not refused for being an administrator)."""
    held = {role.removeprefix("payout_desk_") for role in roles}
    what = (
        "an app administrator's login: it changes the team's rules with payout-desk-admin and, so that no one "
        "both sets the rules and prepares or approves payouts, holds no preparer or approver role"
        if held == {"admin"}
        else "an agent's login: the agent's server uses it (payout-desk-agent)"
        if held == {"agent"}
        else f"a login holding {', '.join(sorted(held))}"
        if held
        else "a login with no Payout Desk role"
    )
    return (
        f"The login {login} holds no preparer, approver or viewer role, and a desk opens with one of those only. "
        f"{login} is {what}. To look at the team's payouts, ask your database administrator for a viewer login "
        "(payout-desk-admin add-person LOGIN --role viewer)."
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().removeprefix("connection failed:").strip()
    return " ".join(text.split("\n")[0].split()) if text else type(exc).__name__


async def connect_team(ctx: AppContext, listener: Any) -> Connection:
    """The team desk on the open journal; NotConnected (the history stays) while the team names no provider."""
    from payout_desk.provider.errors import InsecureBaseUrlError
    from payout_desk.services.team import team_identity
    from payout_desk.services.team_desk import TeamDesk

    journal = ctx._journal
    base_url = await journal.provider_base_url()
    if base_url is None:
        raise NotConnected(
            "other",
            "The team database names no provider yet, so nothing can be sent. An administrator sets it "
            "(payout-desk-admin set-provider URL); then Try again.",
            profile="Team",
        )
    try:
        identity = team_identity(base_url)
    except InsecureBaseUrlError as exc:
        raise NotConnected(
            "other", f"The team's provider {base_url} is not usable: {exc.detail}", profile="Team"
        ) from None
    desk = TeamDesk(journal, identity, login=ctx.team_login, roles=ctx.team_roles, database=ctx.team_database)
    if listener is not None:
        listener(desk)
    await desk.start()
    connection = Connection(identity.environment, identity.profile, identity.endpoint, identity=identity.key)
    connection.team = f"{ctx.team_database} as {ctx.team_login}"
    ctx.desk, ctx.connection = desk, connection
    ctx.records.attach(desk)
    log.info("team desk: %s, provider %s (agents send; no token here)", connection.team, identity.endpoint)
    return connection
