"""``payout-desk-admin reconcile``: a person's decision on a team payout that needs reconciliation, in plain words.

* ``--not-found`` — the payout is not at the provider: it goes back to ``outcome_unknown`` and the team's agent
  sends it again with the same idempotency key (a provider that has it after all answers with it; nothing is paid
  twice). The database lets only an app administrator (payout_desk_admin) decide this, with a reason, and records
  it in the admin audit as well as in the payout's events (migration 0018).
* ``--found PAYMENT_ID`` — the payout is at the provider as that payment: recorded (a preparer's decision in the
  database); the payout stays ``needs_reconciliation`` and the agent does not send it.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

import psycopg

from payout_desk.domain.held_back import held_back_problems
from payout_desk.domain.status import NEEDS_RECONCILIATION
from payout_desk.journal.models import JournalError

__all__ = ["add_reconcile_command", "reconcile"]


def add_reconcile_command(commands: Any) -> None:
    """``reconcile LOCAL_ID (--found PAYMENT_ID | --not-found) --reason TEXT``."""
    parser = commands.add_parser(
        "reconcile", help="decide about a payout that needs reconciliation (--not-found: the agent sends it again)"
    )
    parser.add_argument("local_id", type=_local_id, metavar="LOCAL_ID", help="the payout's number (#N on the desk)")
    decision = parser.add_mutually_exclusive_group(required=True)
    decision.add_argument("--found", metavar="PAYMENT_ID", help="the provider holds it as this payment")
    decision.add_argument("--not-found", action="store_true", help="the provider does not hold it: send it again")
    parser.add_argument("--reason", required=True, help="why (recorded with the decision)")


def _local_id(text: str) -> int:
    """LOCAL_ID: a payout number such as 12 or #12 (a usage error, exit 2, otherwise)."""
    try:
        value = int(text.strip().removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a payout number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a payout number")
    return value


def _payout(conn: psycopg.Connection[Any], local_id: int) -> tuple[str, str, str, str, str | None]:
    """(status, amount, currency, created_by, last_error) of a payout; JournalError when there is none."""
    found = conn.execute(
        "SELECT status, amount::text, currency, created_by, last_error FROM payout_desk.payouts WHERE local_id = %s",
        (local_id,),
    ).fetchone()
    if found is None:
        raise JournalError(f"there is no payout #{local_id} in this team's journal (or you may not see it)")
    status, amount, code, by, error = found
    return str(status), str(amount), str(code), str(by), None if error is None else str(error)


def reconcile(conn: psycopg.Connection[Any], args: argparse.Namespace, out: TextIO) -> None:
    """Record the decision (the database checks who may take it) and say what it did."""
    local_id: int = args.local_id
    reason = str(args.reason).strip()
    if not reason:
        raise JournalError("--reason: say why (it is recorded with the decision); nothing was changed")
    try:
        status, amount, code, by, error = _payout(conn, local_id)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise JournalError(
            f"you may not read the team's payouts, let alone reconcile one ({exc}); nothing was changed"
        ) from None
    what = f"payout #{local_id} ({amount} {code}, prepared by {by})"
    if status != NEEDS_RECONCILIATION:
        raise JournalError(
            f"{what} does not need reconciliation: it is {status.replace('_', ' ')}. Nothing was changed."
        )
    if args.not_found:
        decision, back_to = "not_found", "outcome_unknown"
    else:
        payment_id = str(args.found).strip()
        if not payment_id:
            raise JournalError("--found: give the provider's payment id; nothing was changed")
        decision, back_to = f"found:{payment_id}", NEEDS_RECONCILIATION
    try:
        conn.execute("SELECT payout_desk.record_reconciled(%s, %s, %s, %s)", (local_id, decision, reason, back_to))
    except psycopg.errors.InsufficientPrivilege as exc:
        who = "an administrator (payout_desk_admin)" if args.not_found else "a preparer (payout_desk_preparer)"
        raise JournalError(
            f"only {who} may record this decision about {what}; nothing was changed "
            f"({(exc.diag.message_primary or str(exc)).strip()})"
        ) from None
    except psycopg.errors.InvalidParameterValue as exc:
        raise JournalError(f"{exc.diag.message_primary or exc}; nothing was changed") from None
    if args.not_found:
        print(f"{what}: recorded as not found at the provider (audited). It is back to outcome unknown: the team's "
              "agent sends it again with its same idempotency key, so a provider that has it after all answers with "
              "that payment and nothing is paid twice.", file=out)  # fmt: skip
        if held_back_problems(error) is not None:
            print(f"warning: the agent held it back before: {error} The agent checks it again before sending and "
                  "holds it back again while that is so.", file=out)  # fmt: skip
    else:
        print(f"{what}: recorded as found at the provider as payment {args.found.strip()}. It stays needs "
              "reconciliation; the agent does not send it.", file=out)  # fmt: skip
    print(f"reason: {reason}", file=out)
