"""Fill a payout journal with N realistic payouts, fast (1,000,000 rows in well under a minute).

    python -m benchmarks.journal_fill PATH --rows 1000000 [--seed 7] [--force]

Importable: ``fill(path, rows, seed) -> FillStats``. The rows go through the journal's own schema
module: migration 1 creates the tables, the rows are bulk-inserted in one transaction, then
migration 2 builds the sort indexes and the FTS5 index in bulk (exactly what an upgrade runs).
Mixed currencies with their ISO 4217 minor units, mostly succeeded with some failed, rejected and
(recent) pending payouts, created_at spread over five years, 3–4 events per payout (derived from the rows in SQL).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from payout_desk.journal import schema

__all__ = ["CURRENCIES", "FillStats", "fill", "main"]

#: (code, ISO 4217 minor units, weight, typical amount scale)
CURRENCIES: tuple[tuple[str, int, int, int], ...] = (
    ("EUR", 2, 40, 2_000),
    ("USD", 2, 20, 2_000),
    ("GBP", 2, 10, 1_500),
    ("CHF", 2, 5, 2_000),
    ("SEK", 2, 5, 20_000),
    ("PLN", 2, 4, 8_000),
    ("JPY", 0, 6, 300_000),
    ("KRW", 0, 2, 2_000_000),
    ("BHD", 3, 2, 800),
    ("KWD", 3, 2, 600),
    ("TND", 3, 1, 6_000),
    ("CLF", 4, 1, 50),
    ("UYW", 4, 1, 500),
)
_FIRST = (
    "Anna",
    "Lukas",
    "Sofia",
    "Jonas",
    "Emma",
    "Noah",
    "Mia",
    "Elias",
    "Zoë",
    "José",
    "Søren",
    "Łukasz",
    "Ümit",
    "Chloé",
    "Björn",
    "Olga",
    "Ana",
    "Mehmet",
    "Yuki",
    "Priya",
    "Oğuz",
    "Nadia",
)
_LAST = (
    "Müller",
    "Schmidt",
    "García",
    "O'Brien",
    "Nguyen",
    "Kowalski",
    "Jensen",
    "Dubois",
    "Rossi",
    "Novák",
    "Smith",
    "Yılmaz",
    "Van der Berg",
    "Petrov",
    "Andersson",
    "Tanaka",
    "D'Angelo",
    "Ørsted",
)
_TEMPLATES = (
    "Refund order #{n}",
    "Invoice INV-{y}-{n:05d} payout",
    "Commission {m} {y}",
    "Expense reimbursement – travel {n}",
    "Supplier payment PO-{n}",
    "Affiliate payout Q{q} {y}",
    "Prize draw winner #{n}",
    "Deposit return, contract {n}",
    "Cashback 5% order {n}",
    "Damage claim settlement {n}",
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_FIVE_YEARS_US = 5 * 365 * 86_400 * 1_000_000
_ACTORS = ("jdoe", "asmith", "mkowalski", "lgarcia")
_FAILURES = ("account_closed", "expired", "declined_by_recipient")


@dataclass(frozen=True)
class FillStats:
    """What ``fill`` wrote and how long it took (seconds)."""

    rows: int
    events: int
    insert_seconds: float
    index_seconds: float
    total_seconds: float
    size_bytes: int
    #: CPU seconds of this process (insert, index) and of the FTS child: the machine-independent part.
    insert_cpu: float = 0.0
    index_cpu: float = 0.0
    fts_cpu: float = 0.0


_UUID_CLEAR = ~((0xF << 76) | (0x3 << 62))
_UUID_SET = (0x4 << 76) | (0x2 << 62)


def _rows(rows: int, seed: int, *, fts_only: bool = False) -> Iterator[tuple[object, ...]]:
    """Payout rows in schema.PAYOUT_COLUMNS order; with ``fts_only``, ``(local_id, *FTS_COLUMNS)``
    rows of the same payouts (the random sequence is the same), for the search index built in
    parallel. Their events are derived from the rows in SQL (``_EVENTS_FROM_PAYOUTS``).

    Deterministic for a seed. Written for speed: pools instead of per-row choices, JSON by f-string
    (every generated value is JSON-safe: no quotes, backslashes or control characters).
    """
    rng = random.Random(seed)
    rnd, bits, expo = rng.random, rng.getrandbits, rng.expovariate
    codes = [c for c in CURRENCIES for _ in range(c[2])]
    names = [f"{first} {last}" for first in _FIRST for last in _LAST]
    n_codes, n_names, n_templates = len(codes), len(names), len(_TEMPLATES)
    end = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
    start = end - _FIVE_YEARS_US
    step = max(_FIVE_YEARS_US // max(rows, 1), 1)
    pending_from = rows - max(rows // 500, 1)
    for i in range(rows):
        local_id = i + 1
        created = start + i * step + int(rnd() * step)
        code, digits, _w, scale = codes[int(rnd() * n_codes)]
        minor = int(expo(1 / scale) * 10**digits) + 1
        if digits:
            whole, frac = divmod(minor, 10**digits)
            text = f"{whole}.{frac:0{digits}d}"
        else:
            text = str(minor)
        n = 10_000 + int(rnd() * 89_999)
        template = _TEMPLATES[int(rnd() * n_templates)]
        description = template.format(n=n, y=2020 + (i * 5) // rows, m=_MONTHS[n % 12], q=n % 4 + 1)
        name = names[int(rnd() * n_names)]
        recipient_id = f"cus_{n * 7 % 50_000:06d}"
        key_bits = bits(128)
        external_id = f"ORD-{n}-{local_id}" if rnd() < 0.8 else None
        roll = rnd()
        if i >= pending_from:
            status = "pending"
        else:
            status = "rejected" if roll < 0.02 else "failed" if roll < 0.08 else "succeeded"
        payment_id = None if status == "rejected" else f"pay_{bits(64):016x}"
        updated = created + 300_000
        if status in ("succeeded", "failed"):
            updated += 60_000_000 + int(rnd() * 259_200_000_000)
        if fts_only:
            yield (local_id, description, name, recipient_id, external_id, payment_id, text)
            continue
        h = f"{key_bits & _UUID_CLEAR | _UUID_SET:032x}"
        ext = "" if external_id is None else f'"externalId":"{external_id}",'
        body = (
            f'{{"amount":"{text}","currency":"{code}","customer":{{"id":"{recipient_id}","name":"{name}"}},'
            f'"description":"{description}",{ext}"type":"payout"}}'
        )
        yield (
            created, updated, status, text, minor * 10 ** (4 - digits), code, description, recipient_id, name,
            external_id, None, None, None, body, f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}", payment_id,
            None if payment_id is None else f"https://pay.example.com/checkin/{payment_id}",
            _FAILURES[n % 3] if status == "failed" else None,
            "The description is too long." if payment_id is None else None,
            "live", "Main", _ACTORS[n % 4],
        )  # fmt: skip


#: The events of every payout, derived from its row in one pass (payout-major order, like real
#: life): confirmed, the attempt, created or rejected, and the final status change when there is one.
_EVENTS_FROM_PAYOUTS = """
INSERT INTO events (local_id, at, kind, actor, detail)
SELECT p.local_id,
       CASE k.n WHEN 0 THEN p.created_at WHEN 3 THEN p.updated_at ELSE p.created_at + 300000 END,
       CASE k.n WHEN 0 THEN 'confirmed' WHEN 1 THEN 'attempt' WHEN 3 THEN 'status'
                ELSE iif(p.payment_id IS NULL, 'rejected', 'created') END,
       iif(k.n = 3, 'system', p.created_by),
       CASE k.n
         WHEN 0 THEN json_object('environment', p.environment, 'idempotency_key', p.idempotency_key,
                                 'new', 'confirmed', 'old', NULL, 'profile', p.profile)
         WHEN 1 THEN json_object('duration_ms', 80 + p.local_id * 37 % 900 + 0.5,
                                 'error', iif(p.payment_id IS NULL, 'validation_error', NULL),
                                 'key', p.idempotency_key, 'number', 1,
                                 'status_code', iif(p.payment_id IS NULL, 422, 201))
         WHEN 2 THEN iif(p.payment_id IS NULL,
                         json_object('code', 'validation_error', 'message', p.last_error,
                                     'new', 'rejected', 'old', 'confirmed'),
                         json_object('checkin_url', p.checkin_url, 'new', 'pending', 'old', 'confirmed',
                                     'payment_id', p.payment_id, 'source', 'create'))
         ELSE json_object('failure_reason', p.failure_reason, 'new', p.status, 'old', 'pending',
                          'source', 'poll')
       END
FROM payouts p CROSS JOIN (SELECT 0 AS n UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) k
WHERE k.n < 3 OR p.status IN ('succeeded', 'failed')
"""


def _build_fts(path: str, rows: int, seed: int) -> float:
    """In a child process: the search index of the same rows, in a scratch database (CPU seconds)."""
    began = time.process_time()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(schema.FTS_TABLE_DDL)
        columns = ", ".join(schema.FTS_COLUMNS)
        marks = ", ".join("?" * (len(schema.FTS_COLUMNS) + 1))
        conn.execute("BEGIN")
        insert = f"INSERT INTO payouts_fts (rowid, {columns}) VALUES ({marks})"
        conn.executemany(insert, _rows(rows, seed, fts_only=True))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return time.process_time() - began


def _adopt_fts(
    scratch: Path, job: Future[float], cpu: list[float]
) -> Callable[[sqlite3.Connection, schema.Migration], bool]:
    """A ``prebuilt`` hook for apply_migrations: once the child is done (the migration has built the
    B-tree indexes meanwhile), copy the index it built in ``scratch`` into place."""

    def adopt(conn: sqlite3.Connection, migration: schema.Migration) -> bool:
        if "payouts_fts" not in migration.populate:
            return False
        cpu.append(job.result())
        conn.execute("ATTACH DATABASE ? AS scratch", (str(scratch),))
        for table in schema.FTS_SHADOW_TABLES:
            conn.execute(f"DELETE FROM main.{table}")
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM scratch.{table}")
        return True

    return adopt


def fill(path: Path, rows: int, seed: int = 7, *, parallel: bool | None = None) -> FillStats:
    """Create a journal at ``path`` (must not exist) holding ``rows`` payouts; returns timings.

    This process inserts the payouts and events (one transaction, executemany), then migration 2
    builds the B-tree indexes. With ``parallel`` (default: from 20,000 rows) a child process builds
    the FTS5 index of the same generated rows in a scratch file meanwhile, which migration 2 adopts
    instead of re-indexing; otherwise migration 2 indexes the rows itself, as an upgrade does.
    """
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists; fill writes a fresh journal")
    if parallel is None:
        parallel = rows >= 20_000
    began, cpu_began = time.perf_counter(), time.process_time()
    scratch = path.with_name(path.name + ".fts-scratch")
    scratch.unlink(missing_ok=True)
    conn = schema.connect(path)
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) if parallel else None
    try:
        fts_job = pool.submit(_build_fts, str(scratch), rows, seed) if pool is not None else None
        schema.apply_migrations(conn, upto=1)
        conn.execute("PRAGMA journal_mode = OFF")  # a bulk load of a throwaway file: no rollback journal
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA foreign_keys = OFF")  # generated rows are consistent by construction
        conn.execute("PRAGMA cache_size = -1048576")
        marks = ", ".join("?" * len(schema.PAYOUT_COLUMNS))
        insert = f"INSERT INTO payouts ({', '.join(schema.PAYOUT_COLUMNS)}) VALUES ({marks})"
        conn.execute("BEGIN")
        conn.executemany(insert, _rows(rows, seed))
        n_events = conn.execute(_EVENTS_FROM_PAYOUTS).rowcount
        conn.execute("COMMIT")
        inserted, cpu_inserted = time.perf_counter(), time.process_time()
        child_cpu: list[float] = []
        if fts_job is not None:
            schema.apply_migrations(conn, prebuilt=_adopt_fts(scratch, fts_job, child_cpu))
        else:
            schema.apply_migrations(conn)
        conn.execute("PRAGMA journal_mode = WAL")  # no ANALYZE: a real journal has no statistics either
        indexed, cpu_indexed = time.perf_counter(), time.process_time()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        conn.close()
        scratch.unlink(missing_ok=True)
    return FillStats(
        rows, n_events, inserted - began, indexed - inserted, indexed - began, path.stat().st_size,
        cpu_inserted - cpu_began, cpu_indexed - cpu_inserted, sum(child_cpu),
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.journal_fill", description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    args = parser.parse_args(argv)
    if args.force:
        for suffix in ("", "-wal", "-shm"):
            Path(str(args.path) + suffix).unlink(missing_ok=True)
    try:
        stats = fill(args.path, args.rows, args.seed)
    except (FileExistsError, sqlite3.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{stats.rows:,} payouts, {stats.events:,} events in {stats.total_seconds:.1f} s "
        f"(insert {stats.insert_seconds:.1f} s, indexes + FTS {stats.index_seconds:.1f} s), "
        f"{stats.size_bytes / 1e6:.0f} MB; CPU: insert {stats.insert_cpu:.1f} s, indexes {stats.index_cpu:.1f} s, "
        f"FTS child {stats.fts_cpu:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
