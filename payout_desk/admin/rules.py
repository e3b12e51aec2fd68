"""``payout-desk-admin``'s approval commands: set-rule, rules, set-expiry, set-retype-threshold (audited in the
database; plain sentences and warnings here)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

import psycopg

from payout_desk.domain.approvals import (
    ApprovalRule,
    amount_text,
    rules_summary,
    tier_in_force,
    uncovered,
)
from payout_desk.domain.money import AmountError, Currency, UnknownCurrencyError, currency, parse_amount
from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.people import (
    GROUPS,
    check_login,
    list_people,
)

__all__ = ["APPROVAL_COMMANDS", "add_approval_commands", "run_approval_command"]

APPROVAL_COMMANDS = ("set-rule", "rules", "set-expiry", "set-retype-threshold")
_ANY_CURRENCY = Currency("*", "any currency", 4)  # a rule for * is a plain amount of at most 4 decimals


def add_approval_commands(commands: Any) -> None:
    """The approval rules' commands (issue 21)."""
    rule = commands.add_parser("set-rule", help="set one approval tier (audited; --approvers 0 removes it)")
    rule.add_argument("--currency", required=True, help="a currency code (EUR) or * for every other currency")
    rule.add_argument("--from", dest="amount_from", required=True, metavar="AMOUNT", help="from this amount on")
    rule.add_argument("--approvers", required=True, type=_count, help="approvals needed (0: remove this tier)")
    rule.add_argument("--preparer", metavar="LOGIN", help="only for this preparer's payouts (adds to the rule)")
    commands.add_parser("rules", help="show the approval rules and which currencies need no approval")
    expiry = commands.add_parser("set-expiry", help="days a payout may wait for its approvals (default 7)")
    expiry.add_argument("days", type=_days)
    retype = commands.add_parser("set-retype-threshold", help="from which amount the amount is typed twice")
    retype.add_argument("--currency", required=True)
    retype.add_argument("amount", help="an amount, or default")


def _count(text: str) -> int:
    """--approvers: a whole number of 0 or more (a usage error, exit 2, otherwise)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is below 0 (0 removes a tier)")
    return value


def _days(text: str) -> int:
    """set-expiry DAYS: 1 to 365 (a usage error, exit 2, otherwise)."""
    value = _count(text)
    if not 1 <= value <= 365:
        raise argparse.ArgumentTypeError(f"{value} days: payouts may wait 1 to 365 days")
    return value


def _rule_currency(code: str) -> Currency:
    if code == "*":
        return _ANY_CURRENCY
    try:
        return currency(code.strip().upper())
    except UnknownCurrencyError as exc:
        raise JournalError(f"--currency {code!r}: not an active ISO 4217 currency code (or * for all)") from exc


def _rule_amount(text: str, code: Currency, option: str = "--from") -> Decimal:
    """An exact amount of zero or more (never float); the money module's rules and words, naming ``option``
    (the command's own: ``--from`` for set-rule, ``AMOUNT`` for set-retype-threshold)."""
    try:
        return parse_amount(text, code)
    except AmountError as exc:
        if exc.rule == "zero":
            return Decimal(0) if code.code == "*" else Decimal(0).quantize(code.quantum)
        raise JournalError(f"{option} {text!r}: {exc}") from None


def _approvers(n: int) -> str:
    return "no approval" if n == 0 else f"{n} approver{'s' if n != 1 else ''}"


def _team_members(conn: psycopg.Connection[Any], group: str) -> list[str]:
    """The logins that hold ``group`` (directly or through another role) and can log in; a superuser does
    not count (the database refuses its approvals)."""
    rows = conn.execute(
        "SELECT rolname FROM pg_catalog.pg_roles WHERE rolcanlogin AND NOT rolsuper"
        " AND pg_catalog.pg_has_role(oid, %s, 'USAGE') ORDER BY rolname",
        (group,),
    ).fetchall()
    return [str(login) for (login,) in rows]


def _check_preparer(conn: psycopg.Connection[Any], login: str) -> None:
    """A personal tier is for an existing preparer's payouts; a typo or another role's login is refused."""
    check_login(login)
    preparers = _team_members(conn, GROUPS["preparer"])
    if login in preparers:
        return
    team = ", ".join(preparers) or "none yet"
    roles = sorted({p.role for p in list_people(conn) if p.login == login})
    if roles:
        raise JournalError(
            f"--preparer {login}: {login} is not a preparer ({', '.join(roles)}); a preparer's own rule is for"
            f" the payouts they prepare (the team's preparers: {team})"
        )
    raise JournalError(f"--preparer {login}: no preparer of that name (the team's preparers: {team})")


def _capacity_warning(conn: psycopg.Connection[Any], approvers: int, preparer: str | None) -> str | None:
    """A warning when a tier asks more approvals than the team's approvers can ever give (a payout's
    preparer never counts for it)."""
    people = _team_members(conn, GROUPS["approver"])
    who, able = preparer, [p for p in people if p != preparer]
    if preparer is None:  # for everyone: a preparer who is also an approver cannot count for their own payouts
        short = [(p, [a for a in people if a != p]) for p in _team_members(conn, GROUPS["preparer"])]
        who, able = next(((p, rest) for p, rest in short if len(rest) < min(approvers, len(people))), (None, people))
    if len(able) >= approvers:
        return None
    count = f"only {len(able)} {'person' if len(able) == 1 else 'people'} ({', '.join(able)})" if able else "nobody"
    own = " (a preparer cannot approve their own)" if who is not None and who in people else ""
    if who is not None and preparer is None:  # a rule for everyone, short for one preparer (audit 2, nit)
        said = f"this tier covers everyone's payouts, but {count} can approve those {who} prepares{own}"
    else:
        whose = f"{who}'s payouts" if who is not None else "the payouts"
        said = f"{count} can approve {whose} this tier covers{own}"
    return (
        f"Warning: {said}; it needs {_approvers(approvers)}: they would wait, then expire unsent"
        " (add-person LOGIN --role approver)."
    )


_amount_text = amount_text  # one format per currency, as `rules` shows it


def _removed(rules: Sequence[ApprovalRule], code: str, amount: Decimal, preparer: str | None) -> str:
    """What applies from ``amount`` on once its tier is gone: "EUR from 500.00 on now follows the tier from
    0.00: 1 approver"; "EUR from 0.00 on now needs no approval below 1000 (from there the rule for *: …)"."""
    what = f"{code} prepared by {preparer}" if preparer else code
    head = f"{what} from {_amount_text(amount, code)} on now"
    tier = tier_in_force(rules, code, amount, preparer)
    if tier is not None:
        source = "the tier" if tier.currency == code else "the rule for * (currencies without their own)"
        start = _amount_text(tier.amount_from, tier.currency)
        return f"{head} follows {source} from {start}: {_approvers(tier.approvers)}"
    scope = [r for r in rules if r.preparer == preparer]
    scope = [r for r in scope if r.currency == code] or [r for r in scope if r.currency == "*"]
    later = min((r for r in scope if r.amount_from > amount), key=lambda r: r.amount_from, default=None)
    none = f"{head} needs no approval{' of its own' if preparer else ''}"
    if later is not None:
        source = "its tier" if later.currency == code else "the rule for *"
        none += (
            f" below {_amount_text(later.amount_from, later.currency)}"
            f" (from there {source}: {_approvers(later.approvers)})"
        )
    return none + (" (the rules for everyone still apply)" if preparer else "")


def _set_rule(conn: psycopg.Connection[Any], args: argparse.Namespace, out: TextIO) -> None:
    code = _rule_currency(args.currency)
    amount = _rule_amount(args.amount_from, code)
    preparer: str | None = args.preparer
    what = f"{code.code} prepared by {preparer}" if preparer else code.code
    with conn.transaction():
        conn.execute("SELECT pg_catalog.pg_advisory_xact_lock(1346652721)")  # set_approval_rule's lock
        before = approvals.list_rules(conn)
        if args.approvers == 0:
            if preparer is not None:
                check_login(preparer)
            if not any(r.currency == code.code and r.preparer == preparer and r.amount_from == amount for r in before):
                mine = f" for {preparer}'s payouts" if preparer else ""
                raise JournalError(
                    f"there is no {code.code} tier{mine} from {_amount_text(amount, code.code)} to remove"
                )
        elif preparer is not None:
            _check_preparer(conn, preparer)
        old = approvals.set_rule(conn, code.code, amount, args.approvers, preparer)
        after = approvals.list_rules(conn)
        capacity = _capacity_warning(conn, args.approvers, preparer) if args.approvers else None
    if args.approvers == 0:
        said = f"{what} from {_amount_text(amount, code.code)}: tier removed (it asked {_approvers(old)}); "
        said += _removed(after, code.code, amount, preparer)
    else:
        said = f"{what} from {_amount_text(amount, code.code)}: {_approvers(args.approvers)} (was {_approvers(old)})"
    print(f"{said}; applies to payouts confirmed from now on, payouts already waiting keep theirs", file=out)
    for warning in (uncovered(after), capacity):
        if warning:
            print(warning, file=out)


def run_approval_command(conn: psycopg.Connection[Any], args: argparse.Namespace, out: TextIO) -> None:
    """set-rule, rules, set-expiry, set-retype-threshold."""
    if args.command == "set-rule":
        _set_rule(conn, args, out)
    elif args.command == "rules":
        for line in rules_summary(approvals.list_rules(conn)):
            print(line, file=out)
        print(f"Payouts wait {approvals.expiry_days(conn)} days for their approvals, then expire unsent.", file=out)
        print(_retype_line(conn), file=out)
    elif args.command == "set-expiry":
        old = approvals.set_expiry(conn, args.days)
        print(f"approval expiry: {args.days} days (was {old}); applies to payouts confirmed from now on", file=out)
    else:
        code = _rule_currency(args.currency)
        if code.code == "*":
            raise JournalError("--currency: a retype threshold is per currency (EUR, JPY, …), not *")
        value = None if args.amount.strip().lower() == "default" else _rule_amount(args.amount, code, "AMOUNT")
        approvals.set_retype_threshold(conn, code.code, value)
        shown = approvals.retype_thresholds(conn).get(code.code, Decimal(0))
        print(f"{code.code}: the amount is typed twice from {amount_text(shown, code.code)} on", file=out)


def _retype_line(conn: psycopg.Connection[Any]) -> str:
    """The retype thresholds in force (the team's own first, then the app's defaults), one line."""
    merged, own = approvals.retype_thresholds(conn), approvals.team_retype_thresholds(conn)
    team = [f"{code} {amount_text(merged[code], code)}" for code in sorted(own)]
    rest = [f"{code} {amount_text(amount, code)}" for code, amount in sorted(merged.items()) if code not in own]
    said = f"set by the team: {', '.join(team)}; " if team else "none set by the team; "
    return (
        f"The amount is typed twice (on the form and by the approver) from: {said}the app's defaults: "
        f"{', '.join(rest) or 'none'}; any other currency: always."
    )


