"""What a team desk reads about its own session: who it is (login and the app's group roles it holds) and
which database it is on, in words for its banner (never the password). Sync, on a psycopg connection."""

from __future__ import annotations

from typing import Any, Final

import psycopg

from payout_desk.journal.postgres.people import GROUPS

__all__ = ["DESK_ROLES", "database_label", "login_roles"]

#: The group roles a desk may open with: people who prepare, approve or only look. An agent's or an
#: administrator's login is refused (they have their own tools, and an agent's login belongs to a server).
DESK_ROLES: Final = frozenset({"payout_desk_preparer", "payout_desk_viewer", "payout_desk_approver"})


def login_roles(conn: psycopg.Connection[Any]) -> tuple[str, frozenset[str]]:
    """``session_user`` and the app's group roles it holds (an approver role counts once it exists); none for a
    superuser, who is in every group by PostgreSQL's rules but is not a person of the team."""
    groups = sorted({*GROUPS.values(), *DESK_ROLES})
    row = conn.execute(
        "SELECT session_user, coalesce(array_agg(g) FILTER (WHERE to_regrole(g) IS NOT NULL"
        " AND pg_has_role(session_user, g, 'USAGE')"
        " AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)), '{}') FROM unnest(%s::text[]) AS g",
        (groups,),
    ).fetchone()
    assert row is not None
    return str(row[0]), frozenset(str(g) for g in row[1])


def database_label(conn: psycopg.Connection[Any]) -> str:
    """``dbname on host:port`` (a unix socket's folder as its host); never the password or other settings."""
    info = conn.info
    host = info.host or "localhost"
    return f"{info.dbname} on {host}:{info.port}"
