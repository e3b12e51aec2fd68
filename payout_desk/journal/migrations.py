"""The journal's schema as data: its columns, the DDL of every version, and the ordered migrations.

:mod:`payout_desk.journal.schema` applies them (each in its own transaction with the version bump) and
sets connections up; a new schema version is one more entry at the end of :data:`MIGRATIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from payout_desk.domain.status import FINAL_STATUSES

__all__ = [
    "AMOUNT_SCALE",
    "APPLICATION_ID",
    "EVENT_COLUMNS",
    "FINAL_SQL",
    "FTS_COLUMNS",
    "FTS_SHADOW_TABLES",
    "FTS_TABLE_DDL",
    "MIGRATIONS",
    "PAYOUT_COLUMNS",
    "SCHEMA_VERSION",
    "Migration",
]

#: ``amount_scaled`` = amount × AMOUNT_SCALE (ISO 4217 minor units are at most 4 digits).
AMOUNT_SCALE: Final = 10_000
#: ``PRAGMA application_id`` of a Payout Desk journal ("PDJ1").
APPLICATION_ID: Final = 0x50444A31

#: Insertable payout columns, in the order the journal and the benchmark fill use.
PAYOUT_COLUMNS: Final[tuple[str, ...]] = (
    "created_at",
    "updated_at",
    "status",
    "amount",
    "amount_scaled",
    "currency",
    "description",
    "recipient_id",
    "recipient_name",
    "external_id",
    "metadata",
    "redirect_url",
    "webhook_url",
    "request_body",
    "idempotency_key",
    "payment_id",
    "checkin_url",
    "failure_reason",
    "last_error",
    "environment",
    "profile",
    "created_by",
)
#: Insertable event columns.
EVENT_COLUMNS: Final[tuple[str, ...]] = ("local_id", "at", "kind", "actor", "detail")

#: The final statuses as an SQL list, frozen into migration 1's partial index ``payouts_open``
#: (queries must repeat it verbatim to use the index). A change of FINAL_STATUSES needs a migration.
FINAL_SQL: Final = "('failed', 'rejected', 'succeeded')"
assert "(" + ", ".join(f"'{s}'" for s in sorted(FINAL_STATUSES)) + ")" == FINAL_SQL, "FINAL_SQL is stale"

FTS_COLUMNS: Final = ("description", "recipient_name", "recipient_id", "external_id", "payment_id", "amount")
_FTS_LIST: Final = ", ".join(FTS_COLUMNS)
_FTS_NEW: Final = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
_FTS_OLD: Final = ", ".join(f"old.{c}" for c in FTS_COLUMNS)

_V1_CORE: Final = f"""
CREATE TABLE payouts (
    local_id        INTEGER PRIMARY KEY,
    created_at      INTEGER NOT NULL,           -- UTC epoch microseconds
    updated_at      INTEGER NOT NULL,           -- UTC epoch microseconds
    status          TEXT    NOT NULL,
    amount          TEXT    NOT NULL CHECK (amount <> '' AND amount NOT GLOB '*[^0-9.]*'),
    amount_scaled   INTEGER NOT NULL,           -- amount x 10^4, for sorting
    currency        TEXT    NOT NULL,
    description     TEXT,
    recipient_id    TEXT,
    recipient_name  TEXT,
    external_id     TEXT,
    metadata        TEXT,                       -- JSON object or NULL
    redirect_url    TEXT,
    webhook_url     TEXT,
    request_body    TEXT    NOT NULL,           -- the exact JSON body sent
    idempotency_key TEXT    NOT NULL UNIQUE,
    payment_id      TEXT,
    checkin_url     TEXT,
    failure_reason  TEXT,
    last_error      TEXT,                       -- last user-facing error
    environment     TEXT    NOT NULL CHECK (environment IN ('sandbox', 'live')),
    profile         TEXT    NOT NULL,
    created_by      TEXT    NOT NULL            -- OS user who confirmed it
) STRICT;
CREATE INDEX payouts_open ON payouts (created_at) WHERE status NOT IN {FINAL_SQL};

CREATE TABLE events (
    event_id INTEGER PRIMARY KEY,
    local_id INTEGER NOT NULL REFERENCES payouts (local_id),
    at       INTEGER NOT NULL,                  -- UTC epoch microseconds
    kind     TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    detail   TEXT    NOT NULL                   -- JSON object
) STRICT;
CREATE INDEX events_local_id ON events (local_id, event_id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'journal events are append-only: DELETE refused'); END;
CREATE TRIGGER payouts_no_delete BEFORE DELETE ON payouts
BEGIN SELECT RAISE(ABORT, 'journaled payouts cannot be deleted'); END;
CREATE TRIGGER payouts_request_immutable BEFORE UPDATE OF
    local_id, created_at, amount, amount_scaled, currency, description, recipient_id, recipient_name,
    external_id, metadata, redirect_url, webhook_url, request_body, idempotency_key, environment,
    profile, created_by ON payouts
WHEN old.local_id IS NOT new.local_id OR old.created_at IS NOT new.created_at
  OR old.amount IS NOT new.amount OR old.amount_scaled IS NOT new.amount_scaled
  OR old.currency IS NOT new.currency OR old.description IS NOT new.description
  OR old.recipient_id IS NOT new.recipient_id OR old.recipient_name IS NOT new.recipient_name
  OR old.external_id IS NOT new.external_id OR old.metadata IS NOT new.metadata
  OR old.redirect_url IS NOT new.redirect_url OR old.webhook_url IS NOT new.webhook_url
  OR old.request_body IS NOT new.request_body OR old.idempotency_key IS NOT new.idempotency_key
  OR old.environment IS NOT new.environment OR old.profile IS NOT new.profile
  OR old.created_by IS NOT new.created_by
BEGIN SELECT RAISE(ABORT, 'a journaled payout request is immutable'); END;
PRAGMA application_id = {APPLICATION_ID};
"""

#: The search index: FTS5 trigram over the payout's texts, external content (the payouts table).
FTS_TABLE_DDL: Final = f"""CREATE VIRTUAL TABLE payouts_fts USING fts5 (
    {_FTS_LIST}, content = 'payouts', content_rowid = 'local_id', tokenize = 'trigram'
);"""
#: The shadow tables FTS_TABLE_DDL creates (its index; the text stays in payouts).
FTS_SHADOW_TABLES: Final = ("payouts_fts_data", "payouts_fts_idx", "payouts_fts_docsize", "payouts_fts_config")
_V2_POPULATE: Final = "INSERT INTO payouts_fts (payouts_fts) VALUES ('rebuild');"

_V2_SEARCH: Final = f"""
CREATE INDEX payouts_status_created ON payouts (status, created_at);
CREATE INDEX payouts_created ON payouts (created_at);
CREATE INDEX payouts_updated ON payouts (updated_at);
CREATE INDEX payouts_status ON payouts (status);
CREATE INDEX payouts_amount ON payouts (amount_scaled);
CREATE INDEX payouts_currency ON payouts (currency);
CREATE INDEX payouts_description ON payouts (description COLLATE NOCASE);
CREATE INDEX payouts_recipient ON payouts (recipient_name COLLATE NOCASE);
CREATE INDEX payouts_external_id ON payouts (external_id COLLATE NOCASE);
CREATE INDEX payouts_payment_id ON payouts (payment_id);

{FTS_TABLE_DDL}
CREATE TRIGGER payouts_fts_insert AFTER INSERT ON payouts BEGIN
    INSERT INTO payouts_fts (rowid, {_FTS_LIST}) VALUES (new.local_id, {_FTS_NEW});
END;
CREATE TRIGGER payouts_fts_update AFTER UPDATE OF {_FTS_LIST} ON payouts BEGIN
    INSERT INTO payouts_fts (payouts_fts, rowid, {_FTS_LIST}) VALUES ('delete', old.local_id, {_FTS_OLD});
    INSERT INTO payouts_fts (rowid, {_FTS_LIST}) VALUES (new.local_id, {_FTS_NEW});
END;

CREATE TABLE payout_status_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) STRICT, WITHOUT ROWID;
INSERT INTO payout_status_counts (status, n) SELECT status, count(*) FROM payouts GROUP BY status;
CREATE TRIGGER payouts_count_insert AFTER INSERT ON payouts BEGIN
    INSERT INTO payout_status_counts (status, n) VALUES (new.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER payouts_count_update AFTER UPDATE OF status ON payouts WHEN old.status IS NOT new.status BEGIN
    UPDATE payout_status_counts SET n = n - 1 WHERE status = old.status;
    INSERT INTO payout_status_counts (status, n) VALUES (new.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
"""  # noqa: S608 (constant DDL)


_V3_EXACTLY_ONCE: Final = """
ALTER TABLE payouts ADD COLUMN provider_status TEXT;            -- the provider's own status text, verbatim, <= 64
ALTER TABLE payouts ADD COLUMN connection_id TEXT;              -- domain.identity key; NULL: confirmed before v3
ALTER TABLE payouts ADD COLUMN ambiguous INTEGER NOT NULL DEFAULT 0 CHECK (ambiguous IN (0, 1));
ALTER TABLE payouts ADD COLUMN attempt_open INTEGER NOT NULL DEFAULT 0 CHECK (attempt_open IN (0, 1));
ALTER TABLE payouts ADD COLUMN first_attempt_at INTEGER;        -- UTC epoch microseconds of the first attempt_started
ALTER TABLE payouts ADD COLUMN answer TEXT;                     -- a refused (mismatching) provider answer, raw
UPDATE payouts SET provider_status = substr(status, 1, 64) WHERE payment_id IS NOT NULL;
UPDATE payouts SET status = 'created'
    WHERE payment_id IS NOT NULL AND status NOT IN ('pending', 'succeeded', 'failed');
UPDATE payouts SET ambiguous = 1 WHERE status IN ('confirmed', 'outcome_unknown');  -- unknown before v3: assume sent
UPDATE payouts SET status = 'mismatch', answer = json_object('payment_id', payment_id), payment_id = NULL
    WHERE payment_id IS NOT NULL
      AND local_id > (SELECT min(o.local_id) FROM payouts AS o WHERE o.payment_id = payouts.payment_id);
CREATE UNIQUE INDEX payouts_payment_id_once ON payouts (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX payouts_connection ON payouts (connection_id, status);
CREATE INDEX payouts_reference ON payouts (connection_id, external_id);
CREATE TABLE journal_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT, WITHOUT ROWID;
INSERT INTO journal_meta (name, value) VALUES ('fingerprint_key', lower(hex(randomblob(32))));
"""

_V4_DUPLICATES: Final = """
CREATE INDEX IF NOT EXISTS payouts_duplicates ON payouts (currency, amount_scaled, created_at);
"""


@dataclass(frozen=True)
class Migration:
    """One schema step: the database goes from ``version - 1`` to ``version``."""

    version: int
    description: str
    sql: str
    #: Bulk population run after ``sql`` (e.g. indexing existing rows), replaceable by a caller
    #: that brings the same data prebuilt (``apply_migrations(prebuilt=...)``).
    populate: str = ""


MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "payouts and append-only events", _V1_CORE),
    Migration(2, "history: sort indexes, FTS5 trigram index, status counts", _V2_SEARCH, _V2_POPULATE),
    Migration(3, "exactly once: provider status, connection identity, ambiguity, unique payment ids", _V3_EXACTLY_ONCE),
    Migration(4, "near-duplicate lookup: currency, amount, created index", _V4_DUPLICATES),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version
