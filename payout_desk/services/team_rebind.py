"""Re-binding a team's payouts after its provider changed (audit F16): an app admin's audited decision, made with
``payout-desk-admin rebind`` (never on a desk). Each earlier connection with open payouts is re-bound onto the
team's current provider identity (``services.team.team_identity``) by ``payout_desk.rebind`` (migration 0017),
which moves only the payouts no provider can hold yet (awaiting approval, or confirmed and never attempted) and
records one admin_audit row per connection. The others may exist at the old provider — sent there twice under
the same key would protect nothing — so they stay, listed, for reconciliation. Sync, on a psycopg connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from payout_desk.journal.models import JournalError
from payout_desk.services.team import team_identity

__all__ = ["Rebound", "rebind_onto_team"]

#: Not final at a provider; needs_reconciliation too: a forced set-provider leaves the payouts that may still be
#: paid at the former provider so (audit 2, N2), and rebind lists them as left.
_OPEN = ["awaiting_approval", "confirmed", "outcome_unknown", "pending", "created", "needs_reconciliation"]


@dataclass(frozen=True)
class Rebound:
    """One earlier connection: the payouts moved onto the team's provider and those left for reconciliation."""

    old_connection: str | None
    moved: tuple[int, ...]
    left: tuple[int, ...]


def rebind_onto_team(conn: psycopg.Connection[Any], reason: str) -> tuple[str, list[Rebound]]:
    """(the team's identity key, what happened per earlier connection). JournalError without a provider or
    reason; the database refuses anyone but an app admin."""
    if not reason.strip():
        raise JournalError("rebind --reason: say why (it is recorded in the admin audit)")
    row = conn.execute("SELECT provider_base_url FROM payout_desk.team_settings").fetchone()
    if row is None or row[0] is None:
        raise JournalError("rebind: the team has no provider yet; set it first (set-provider URL)")
    team = team_identity(str(row[0])).key
    olds = conn.execute(
        "SELECT DISTINCT connection_id FROM payout_desk.payouts WHERE status = ANY(%s)"
        " AND connection_id IS DISTINCT FROM %s ORDER BY connection_id NULLS FIRST",
        (_OPEN, team),
    ).fetchall()
    done = []
    for (old,) in olds:
        found = conn.execute("SELECT payout_desk.rebind(%s, %s, %s)", (old, team, reason.strip())).fetchone()
        moved = tuple(int(i) for i in (found[0] if found else []) or [])
        left = conn.execute(
            "SELECT coalesce(array_agg(local_id ORDER BY local_id), '{}') FROM payout_desk.payouts"
            " WHERE connection_id IS NOT DISTINCT FROM %s AND status = ANY(%s)",
            (old, _OPEN),
        ).fetchone()
        done.append(Rebound(old, moved, tuple(int(i) for i in (left[0] if left else []))))
    return team, done
