"""Copy a generated SQLite journal's payouts into a migrated team database (PostgreSQL), same local ids and
times, with COPY; the sort and search indexes are dropped first and built once afterwards, and the status
counts are computed once (much faster than maintaining a trigram index and a counter row by row). For the
history benchmark and the contract tests' big fixture."""

from __future__ import annotations

import sqlite3
from typing import Final

import psycopg

from payout_desk.journal.history import from_micros
from payout_desk.journal.schema import PAYOUT_COLUMNS

__all__ = ["copy_payouts"]

_TIMES: Final = frozenset({"created_at", "updated_at"})


def copy_payouts(source: sqlite3.Connection, conninfo: str) -> int:
    """Copy every payout of ``source`` (an SQLite journal) into the team database at ``conninfo`` (as a
    superuser); the number of rows."""
    columns = ["local_id", *PAYOUT_COLUMNS]
    rows = 0
    with psycopg.connect(conninfo) as conn:
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'payout_desk' AND tablename = 'payouts'"
            " AND indexname NOT LIKE '%%pkey' AND indexname NOT LIKE '%%key'"
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f"DROP INDEX payout_desk.{name}")
        conn.execute("ALTER TABLE payout_desk.payouts DISABLE TRIGGER payouts_count")  # counted once below
        with conn.cursor().copy(f"COPY payout_desk.payouts ({', '.join(columns)}) FROM STDIN") as copy:
            for values in source.execute(f"SELECT {', '.join(columns)} FROM payouts"):
                copy.write_row([from_micros(v) if c in _TIMES else v for c, v in zip(columns, values, strict=True)])
                rows += 1
        conn.execute("ALTER TABLE payout_desk.payouts ENABLE TRIGGER payouts_count")
        conn.execute(
            "INSERT INTO payout_desk.payout_status_counts AS c (status, n)"
            " SELECT status, count(*) FROM payout_desk.payouts GROUP BY status"
            " ON CONFLICT (status) DO UPDATE SET n = excluded.n"
        )
        conn.commit()
        conn.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            conn.execute(definition)
        sequence = "pg_get_serial_sequence('payout_desk.payouts', 'local_id')"
        conn.execute(f"SELECT setval({sequence}, max(local_id)) FROM payout_desk.payouts")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE payout_desk.payouts")
    return rows
