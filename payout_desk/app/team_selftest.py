"""``payout-desk --team CONNINFO --self-test``: checks the team path a desk uses, sends nothing, and exits.

Steps, each printed as it runs (stdout; 0 only when all held):

1. the sslmode rule (``verify-full`` unless the host is loopback or a unix socket), before anything is dialled;
   then connect as the person, the schema version, and a desk role (preparer, approver or viewer);
2. the team names a usable provider (``payout-desk-admin set-provider``);
3. the change feed: LISTEN works for this login, a notification of its own comes back (no desk is woken).

It confirms, writes and sends nothing: the agent sends (``payout-desk-agent --self-test`` checks the agent's
side: its role, the provider and its token). No Qt here.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

__all__ = ["run_team_self_test"]

TOTAL_STEPS = 3


def _say(out: TextIO, text: str) -> None:
    print(text, file=out, flush=True)


async def _checks(conninfo: str, out: TextIO) -> str:
    """Run the steps; the closing line (PASSED) or raise with the reason of the first that failed."""
    from payout_desk.app.team import open_team
    from payout_desk.journal.postgres.feed import check_listen
    from payout_desk.services.team import team_identity

    _say(out, f"self-test [1/{TOTAL_STEPS}] the sslmode rule and connecting as your own login")
    journal, login, roles, database = await open_team(conninfo)  # the rule first, then schema and role
    try:
        held = ", ".join(sorted(r.removeprefix("payout_desk_") for r in roles))
        _say(out, f"self-test       ok: {database} as {login} ({held}); schema version as this desk expects")
        _say(out, f"self-test [2/{TOTAL_STEPS}] the team's provider")
        base_url = await journal.provider_base_url()
        if base_url is None:
            raise ValueError(
                "the team database names no provider yet, so nothing can be sent: an administrator runs "
                "payout-desk-admin set-provider URL"
            )
        identity = team_identity(base_url)
        _say(out, f"self-test       ok: {identity.endpoint} ({identity.environment}); the team's agent sends there")
        _say(out, f"self-test [3/{TOTAL_STEPS}] the change feed (LISTEN, one notification of its own)")
        seconds = await asyncio.get_running_loop().run_in_executor(None, check_listen, conninfo)
        _say(out, f"self-test       ok: a notification came back in {seconds * 1000:.0f} ms")
        return (
            f"self-test PASSED: {login} can open a desk on {database} (nothing was confirmed, written or "
            "sent; the agent's side is checked by payout-desk-agent --self-test)"
        )
    finally:
        await journal.close()


def run_team_self_test(conninfo: str, out: TextIO | None = None) -> int:
    """0 when every check held; 1 with the reason on the first that did not (never a traceback)."""
    from payout_desk.journal import JournalError
    from payout_desk.provider.errors import InsecureBaseUrlError

    out = out or sys.stdout
    try:
        verdict = asyncio.run(_checks(conninfo, out))
    except InsecureBaseUrlError as exc:
        _say(out, f"self-test FAILED: the team's provider is not usable: {exc.detail}")
        return 1
    except (JournalError, ValueError) as exc:  # TeamRefusedError is a JournalError: said in words
        _say(out, f"self-test FAILED: {exc}")
        return 1
    _say(out, verdict)
    return 0
