"""The approvals of the team journal (issue 21, contract 2): synchronous functions on a psycopg connection.

The database decides everything (migration 16: ``approve``, ``reject``, ``withdraw``, the rules and the
expiry); these read and call it. A refusal comes back as :class:`ApprovalRefusedError` whose message names
the rule in plain words. The desk runs them on the AsyncPgJournal's worker thread (services/approvals.py);
``payout-desk-admin`` runs the rule functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypeVar

import psycopg
from psycopg import errors

from payout_desk.domain.approvals import (
    ApprovalDecision,
    ApprovalRefusedError,
    ApprovalRequest,
    ApprovalRule,
    body_hash,
)
from payout_desk.domain.duplicates import normalise
from payout_desk.domain.money import Money, check_amount, currency
from payout_desk.domain.thresholds import default_retype_thresholds

__all__ = [
    "IN_FLIGHT_STATUSES",
    "NOT_PAID_STATUSES",
    "PAID_STATUSES",
    "approval_progress",
    "approval_queue",
    "approve",
    "expire_overdue",
    "expiry_days",
    "list_rules",
    "recipient_history",
    "recipient_in_flight",
    "reject",
    "retype_thresholds",
    "set_expiry",
    "set_retype_threshold",
    "set_rule",
    "team_retype_thresholds",
    "withdraw",
]

#: Payouts that never reached the provider, or have not yet: not part of a recipient's history.
NOT_PAID_STATUSES: Final = ("rejected", "approval_rejected", "withdrawn", "expired", "awaiting_approval")
#: The only payouts a recipient's history (and "far above usual") counts: the provider says they paid.
PAID_STATUSES: Final = ("succeeded",)
#: Approved or sent, not (yet) known to have paid: listed apart, never part of the usual range. ``failed``
#: is in neither: it never paid and never counts.
IN_FLIGHT_STATUSES: Final = ("confirmed", "pending", "created", "outcome_unknown", "mismatch", "needs_reconciliation")
_SCALE: Final = Decimal(10000)
_T = TypeVar("_T")

_QUEUE: Final = (
    "SELECT p.local_id, p.amount, p.currency, p.description, coalesce(p.recipient_name, p.recipient_id),"
    " p.external_id, p.created_by, p.created_at, p.approvals_required, p.request_body, p.approval_expires_at"
    " FROM payout_desk.payouts p"
    " WHERE p.status = 'awaiting_approval' AND p.approval_expires_at > clock_timestamp()"
    " ORDER BY p.created_at, p.local_id"
)
_DECISIONS: Final = (
    "SELECT local_id, approver, at, approved, reason, body_hash FROM payout_desk.approvals"
    " WHERE local_id = ANY(%s) ORDER BY at, approver"
)


@contextmanager
def _refusals(whose: str) -> Iterator[None]:
    """The database's refusals as ApprovalRefusedError (``whose``: the role the step needs, for a
    permission refusal)."""
    try:
        yield
    except psycopg.Error as exc:
        if exc.sqlstate == "PDA01" and exc.diag.message_primary:
            raise ApprovalRefusedError(exc.diag.message_primary) from exc
        if isinstance(exc, errors.InsufficientPrivilege):
            said = exc.diag.message_primary or ""
            if "superuser" in said:  # actor_in (0017): a superuser is no person of the team
                raise ApprovalRefusedError(f"{said[:1].upper()}{said[1:]}.") from exc
            raise ApprovalRefusedError(f"Only {whose} may do this; your login is not one.") from exc
        if isinstance(exc, errors.NoDataFound):
            raise ApprovalRefusedError(exc.diag.message_primary or "No such payout in the journal.") from exc
        if isinstance(exc, errors.InvalidParameterValue):
            raise ApprovalRefusedError(exc.diag.message_primary or str(exc)) from exc
        raise


def _call(conn: psycopg.Connection[Any], whose: str, query: bytes, params: tuple[object, ...]) -> Any:
    with _refusals(whose), conn.transaction():
        row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def approval_queue(conn: psycopg.Connection[Any]) -> list[ApprovalRequest]:
    """Every payout awaiting approval and not yet expired, oldest first, with the decisions so far."""
    with conn.transaction():  # one snapshot for both reads
        rows = conn.execute(_QUEUE).fetchall()
        found = conn.execute(_DECISIONS, ([int(r[0]) for r in rows],)).fetchall() if rows else []
    decisions: dict[int, list[ApprovalDecision]] = {}
    for local_id, by, at, approved, reason, body in found:
        decisions.setdefault(int(local_id), []).append(ApprovalDecision(by, at, bool(approved), reason, body))
    return [
        ApprovalRequest(
            local_id=int(lid),
            amount=Money(Decimal(amount), currency(code)),
            description=desc,
            recipient=recipient,
            reference=ref,
            prepared_by=by,
            confirmed_at=at,
            required=int(required),
            decisions=tuple(decisions.get(int(lid), ())),
            body_hash=body_hash(body),  # the digest of the very text the approver is shown
            expires_at=expires,
            body=body,
        )
        for lid, amount, code, desc, recipient, ref, by, at, required, body, expires in rows
    ]


def approval_progress(conn: psycopg.Connection[Any], local_id: int) -> tuple[int, int, datetime | None]:
    """(approvals required — fixed at confirmation —, approvals given so far, when it expires unapproved) of
    payout ``local_id``; (0, 0, None) for one that needed none."""
    row = conn.execute(
        "SELECT p.approvals_required, (SELECT count(*) FROM payout_desk.approvals a WHERE a.local_id = p.local_id"
        " AND a.approved), p.approval_expires_at FROM payout_desk.payouts p WHERE p.local_id = %s",
        (local_id,),
    ).fetchone()
    if row is None:
        raise ApprovalRefusedError(f"No payout {local_id} in the journal.")
    return int(row[0] or 0), int(row[1] or 0), row[2]


def approve(conn: psycopg.Connection[Any], local_id: int, body_hash: str) -> str:
    """Approve payout ``local_id`` as shown (``body_hash``: :func:`domain.approvals.body_hash` of the body
    the approver saw); its status afterwards (``confirmed`` after the last required approval)."""
    return str(_call(conn, "approvers", b"SELECT payout_desk.approve(%s, %s)", (local_id, body_hash)))


def reject(conn: psycopg.Connection[Any], local_id: int, reason: str) -> None:
    """Reject payout ``local_id`` with ``reason`` (required; its preparer reads it): closed, never sent."""
    _call(conn, "approvers", b"SELECT payout_desk.reject(%s, %s)", (local_id, reason))


def withdraw(conn: psycopg.Connection[Any], local_id: int) -> None:
    """Its preparer takes back payout ``local_id`` while it awaits approval: closed, never sent."""
    _call(conn, "the payout's preparer", b"SELECT payout_desk.withdraw(%s)", (local_id,))


def expire_overdue(conn: psycopg.Connection[Any]) -> int:
    """Close the payouts whose approvals did not come in time (every agent claim does it first); how many."""
    return int(_call(conn, "people of the team", b"SELECT payout_desk.expire_overdue()", ()))


_RECIPIENT: Final = (
    "SELECT amount, created_at FROM payout_desk.payouts WHERE currency = %s AND created_at >= %s"
    " AND status = ANY(%s) AND (recipient_id = %s"
    " OR lower(regexp_replace(btrim(recipient_name), '\\s+', ' ', 'g')) = %s)"
    " ORDER BY created_at DESC, local_id DESC"
)


def _to_recipient(
    conn: psycopg.Connection[Any], recipient: str, currency_code: str, since: datetime, statuses: tuple[str, ...]
) -> list[tuple[Money, datetime]]:
    code = currency(currency_code)
    rows = conn.execute(_RECIPIENT, (code.code, since, list(statuses), recipient, normalise(recipient))).fetchall()
    return [(Money(Decimal(amount), code), at) for amount, at in rows]


def recipient_history(
    conn: psycopg.Connection[Any], recipient: str, currency_code: str, since: datetime
) -> list[tuple[Money, datetime]]:
    """Payouts in ``currency_code`` to ``recipient`` (its id, or its name compared as the duplicate rule
    does: case-folded, whitespace collapsed) confirmed since ``since`` that *paid* (:data:`PAID_STATUSES`:
    succeeded), newest first. Failed, refused, closed, waiting and still-in-flight payouts are not history:
    a large payout that never paid must not make the next one look usual."""
    return _to_recipient(conn, recipient, currency_code, since, PAID_STATUSES)


def recipient_in_flight(
    conn: psycopg.Connection[Any], recipient: str, currency_code: str, since: datetime
) -> list[tuple[Money, datetime]]:
    """As :func:`recipient_history`, the payouts approved or sent but not known to have paid
    (:data:`IN_FLIGHT_STATUSES`): shown apart to the approver, never part of the usual range."""
    return _to_recipient(conn, recipient, currency_code, since, IN_FLIGHT_STATUSES)


# -- the rules and team settings (payout-desk-admin) ---------------------------------------------------


def list_rules(conn: psycopg.Connection[Any]) -> list[ApprovalRule]:
    """Every tier: by currency (``*`` first), everyone's before a preparer's, then by amount."""
    rows = conn.execute(
        "SELECT currency, amount_from_scaled, approvers, nullif(preparer, '') FROM payout_desk.approval_rules"
        ' ORDER BY currency COLLATE "C", preparer COLLATE "C", amount_from_scaled'
    ).fetchall()
    return [ApprovalRule(c, _unscaled(scaled, c), int(n), p) for c, scaled, n, p in rows]


def _unscaled(scaled: int, code: str) -> Decimal:
    value = Decimal(scaled) / _SCALE
    if code == "*":
        return value.normalize() if value != value.to_integral_value() else value.quantize(Decimal(1))
    return value.quantize(currency(code).quantum)


def set_rule(
    conn: psycopg.Connection[Any], currency_code: str, amount_from: Decimal, approvers: int, preparer: str | None
) -> int:
    """Set one tier (``approvers`` 0 deletes it), audited; the approvers it asked before (0: none).
    ``amount_from`` is exact: within the currency's minor units (at most 4 decimals for ``*``)."""
    if currency_code == "*":
        if not amount_from.is_finite() or amount_from < 0 or amount_from != amount_from.quantize(Decimal("0.0001")):
            raise ApprovalRefusedError("A rule for * starts at an amount of zero or more, with at most 4 decimals.")
    else:
        amount_from = Money(amount_from, currency(currency_code)).amount
    text = format(amount_from.normalize() if currency_code == "*" else amount_from, "f")
    query = b"SELECT payout_desk.set_approval_rule(%s, %s, %s, %s)"
    return int(_call(conn, "admins", query, (currency_code, text, approvers, preparer)))


def expiry_days(conn: psycopg.Connection[Any]) -> int:
    """Days a payout may wait for its approvals."""
    return int(_first(conn, "SELECT approval_expiry_days FROM payout_desk.team_settings", int))


def set_expiry(conn: psycopg.Connection[Any], days: int) -> int:
    """Set the days payouts confirmed from now on may wait (1–365), audited; the previous value."""
    return int(_call(conn, "admins", b"SELECT payout_desk.set_approval_expiry(%s)", (days,)))


def retype_thresholds(conn: psycopg.Connection[Any]) -> dict[str, Decimal]:
    """The team's retype thresholds: the app's defaults with the database's overrides on top."""
    merged = default_retype_thresholds()
    merged.update(team_retype_thresholds(conn))
    return merged


def team_retype_thresholds(conn: psycopg.Connection[Any]) -> dict[str, Decimal]:
    """The retype thresholds the team set itself (``set-retype-threshold``), without the app's defaults."""
    stored: dict[str, object] = _first(conn, "SELECT retype_thresholds FROM payout_desk.team_settings", dict)
    return {str(code): Decimal(str(value)) for code, value in stored.items()}


def set_retype_threshold(conn: psycopg.Connection[Any], currency_code: str, amount: Decimal | None) -> None:
    """Set the team's retype threshold of a currency (None: back to the app's default), audited."""
    code = currency(currency_code)
    text = None if amount is None else format(check_amount(amount, code), "f")
    _call(conn, "admins", b"SELECT payout_desk.set_retype_threshold(%s, %s)", (code.code, text))


def _first(conn: psycopg.Connection[Any], query: Any, kind: Callable[..., _T]) -> _T:
    row = conn.execute(query).fetchone()
    return kind() if row is None else kind(row[0])
