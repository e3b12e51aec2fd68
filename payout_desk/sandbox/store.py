"""The sandbox's state: merchants, tokens, payments and idempotency records in SQLite.

One implementation serves both modes: ``Store(None)`` keeps everything in an in-memory SQLite
database, ``Store(path)`` in a file that survives restarts (``--state FILE``; created owner-only).
Every method is one short transaction under a lock, so the store may be used from any thread.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS merchants (
    id TEXT PRIMARY KEY,
    webhook_url TEXT,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    payouts INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    token TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    amount TEXT NOT NULL,
    currency TEXT NOT NULL,
    description TEXT,
    metadata TEXT,
    external_id TEXT,
    redirect_url TEXT,
    webhook_url TEXT,
    customer TEXT,
    url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    idempotency_key TEXT,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    checkin TEXT NOT NULL,
    process_at REAL,
    planned_reason TEXT,
    failure_reason TEXT,
    holder_name TEXT,
    iban TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_external ON payments (merchant_id, external_id);
CREATE TABLE IF NOT EXISTS idempotency (
    merchant_id TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (merchant_id, key)
);
"""


def new_token() -> str:
    """A fresh test token: ``tk_test_`` and 32 hex digits."""
    return "tk_test_" + secrets.token_hex(16)


def new_payment_id() -> str:
    """A fresh payment id: ``pay_`` and 24 hex digits."""
    return "pay_" + secrets.token_hex(12)


def new_merchant_id() -> str:
    """A fresh merchant id: ``mer_`` and 16 hex digits."""
    return "mer_" + secrets.token_hex(8)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A minted API token, the merchant it belongs to and whether it may create payouts."""

    token: str
    merchant_id: str
    payouts: bool


@dataclass(slots=True)
class Payment:
    """One payment (payout or payin) with its checkin state.

    ``checkin`` is ``open`` (form not yet submitted), ``submitted`` (details entered, processing
    until ``process_at``, then final with ``planned_reason`` as failure reason, or succeeded when
    that is None) or ``closed`` (final, declined, expired or completed by the control surface).
    """

    id: str
    merchant_id: str
    token: str
    type: str
    status: str
    amount: str
    currency: str
    description: str | None
    metadata: dict[str, Any] | None
    external_id: str | None
    redirect_url: str | None
    webhook_url: str | None
    customer: dict[str, str] | None
    url: str
    fingerprint: str
    idempotency_key: str | None
    created_at: float
    expires_at: float
    checkin: str = "open"
    process_at: float | None = None
    planned_reason: str | None = None
    failure_reason: str | None = None
    holder_name: str | None = None
    iban: str | None = None
    updated_at: float = 0.0


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    """A completed create under an Idempotency-Key: the body's fingerprint and the response sent."""

    fingerprint: str
    payment_id: str
    response: dict[str, Any]


_PAYMENT_COLUMNS = [
    "id", "merchant_id", "token", "type", "status", "amount", "currency", "description", "metadata",
    "external_id", "redirect_url", "webhook_url", "customer", "url", "fingerprint", "idempotency_key",
    "created_at", "expires_at", "checkin", "process_at", "planned_reason", "failure_reason", "holder_name",
    "iban", "updated_at",
]  # fmt: skip
_JSON_COLUMNS = {"metadata", "customer"}
_MUTABLE = ("status", "checkin", "process_at", "planned_reason", "failure_reason", "holder_name",
            "iban", "updated_at")  # fmt: skip


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Store:
    """SQLite-backed sandbox state; ``path=None`` keeps it in memory."""

    def __init__(self, path: Path | None = None, *, idempotency_ttl_seconds: float = 86400.0) -> None:
        self.path = path
        self.idempotency_ttl_seconds = idempotency_ttl_seconds
        if path is not None:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            elif os.name == "posix" and path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)  # owner only, also for a state file written looser before
        self._conn = sqlite3.connect(
            ":memory:" if path is None else str(path), check_same_thread=False, isolation_level=None
        )
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RuntimeError(f"{path}: sandbox state schema {version} is newer than this sandbox")
            self._conn.executescript(_SCHEMA)
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database; the store is unusable afterwards."""
        with self._lock:
            self._conn.close()

    # --- merchants and tokens ---------------------------------------------------------------

    def mint_token(
        self, *, payouts: bool, merchant_id: str | None = None, webhook_url: str | None = None
    ) -> TokenRecord:
        """A new token; for ``merchant_id`` (created if unknown) or else for a brand-new merchant.

        ``webhook_url``, when given, becomes that merchant's default webhook URL.
        """
        merchant = merchant_id or new_merchant_id()
        record = TokenRecord(token=new_token(), merchant_id=merchant, payouts=payouts)
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute("BEGIN")
            self._conn.execute(
                "INSERT OR IGNORE INTO merchants (id, webhook_url, created_at) VALUES (?, ?, ?)",
                (merchant, None, now),
            )
            if webhook_url is not None:
                self._conn.execute("UPDATE merchants SET webhook_url = ? WHERE id = ?", (webhook_url, merchant))
            self._conn.execute(
                "INSERT INTO tokens (token, merchant_id, payouts, created_at) VALUES (?, ?, ?, ?)",
                (record.token, merchant, int(payouts), now),
            )
        return record

    def lookup_token(self, token: str) -> TokenRecord | None:
        """The live (not revoked) token record, or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT token, merchant_id, payouts FROM tokens WHERE token = ? AND revoked = 0", (token,)
            ).fetchone()
        if row is None:
            return None
        return TokenRecord(token=row["token"], merchant_id=row["merchant_id"], payouts=bool(row["payouts"]))

    def revoke_token(self, token: str) -> bool:
        """Revoke a token; False if it was unknown or already revoked."""
        with self._lock, self._conn:
            cursor = self._conn.execute("UPDATE tokens SET revoked = 1 WHERE token = ? AND revoked = 0", (token,))
        return cursor.rowcount == 1

    def merchant_webhook_url(self, merchant_id: str) -> str | None:
        """The merchant's default webhook URL set at minting, if any."""
        with self._lock:
            row = self._conn.execute("SELECT webhook_url FROM merchants WHERE id = ?", (merchant_id,)).fetchone()
        return None if row is None else row["webhook_url"]

    # --- payments ---------------------------------------------------------------------------

    def insert_payment(self, payment: Payment, response: dict[str, Any]) -> None:
        """Commit a new payment and, if it has an Idempotency-Key, its idempotency record."""
        payment.updated_at = payment.created_at
        values = [_dump(getattr(payment, c)) if c in _JSON_COLUMNS else getattr(payment, c) for c in _PAYMENT_COLUMNS]
        marks = ", ".join("?" for _ in _PAYMENT_COLUMNS)
        with self._lock, self._conn:
            self._conn.execute("BEGIN")
            columns = ", ".join(_PAYMENT_COLUMNS)  # constants, never input
            self._conn.execute(f"INSERT INTO payments ({columns}) VALUES ({marks})", values)  # noqa: S608
            if payment.idempotency_key is not None:
                self._conn.execute(
                    "INSERT OR REPLACE INTO idempotency"
                    " (merchant_id, key, fingerprint, payment_id, response, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (payment.merchant_id, payment.idempotency_key, payment.fingerprint, payment.id,
                     _dump(response), payment.created_at),
                )  # fmt: skip

    def update_payment(self, payment: Payment) -> None:
        """Write a payment's mutable fields (status, checkin state, reasons, entered details)."""
        payment.updated_at = time.time()
        assignments = ", ".join(f"{c} = ?" for c in _MUTABLE)
        with self._lock, self._conn:
            self._conn.execute(
                f"UPDATE payments SET {assignments} WHERE id = ?",  # noqa: S608 (constant column names)
                [getattr(payment, c) for c in _MUTABLE] + [payment.id],
            )

    def get_payment(self, payment_id: str) -> Payment | None:
        """The payment with this id, whichever merchant it belongs to."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()
        return None if row is None else _payment_from_row(row)

    def payments_by_external_id(self, merchant_id: str, external_id: str) -> list[Payment]:
        """This merchant's payments carrying ``external_id``, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT * FROM payments WHERE merchant_id = ? AND external_id = ? ORDER BY seq",
                (merchant_id, external_id),
            ).fetchall()
        return [_payment_from_row(r) for r in rows]

    def list_payments(self) -> list[Payment]:
        """Every payment held, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM payments ORDER BY seq").fetchall()
        return [_payment_from_row(r) for r in rows]

    def latest_payment_url(self) -> str | None:
        """The checkin ``url`` of the newest payment (it tells which port the last run served on)."""
        with self._lock:
            row = self._conn.execute("SELECT url FROM payments ORDER BY seq DESC LIMIT 1").fetchone()
        return None if row is None else str(row["url"])

    def due_payment_ids(self, now: float) -> list[str]:
        """Pending payments whose checkin expired or whose processing time is over."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT id FROM payments WHERE status = 'pending' AND ("
                " (checkin = 'open' AND expires_at <= ?) OR (checkin = 'submitted' AND process_at <= ?))"
                " ORDER BY seq",
                (now, now),
            ).fetchall()
        return [r["id"] for r in rows]

    def next_deadline(self) -> float | None:
        """The earliest expiry or end of processing among pending payments."""
        with self._lock:
            row = self._conn.execute(
                "SELECT MIN(CASE checkin WHEN 'open' THEN expires_at ELSE process_at END) AS t"
                " FROM payments WHERE status = 'pending' AND checkin IN ('open', 'submitted')"
            ).fetchone()
        value = row["t"]
        return None if value is None else float(value)

    # --- idempotency ------------------------------------------------------------------------

    def get_idempotency(self, merchant_id: str, key: str) -> IdempotencyRecord | None:
        """The record for this merchant's key, if kept (records older than the TTL are purged)."""
        cutoff = time.time() - self.idempotency_ttl_seconds
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM idempotency WHERE created_at < ?", (cutoff,))
            row = self._conn.execute(
                "SELECT fingerprint, payment_id, response FROM idempotency WHERE merchant_id = ? AND key = ?",
                (merchant_id, key),
            ).fetchone()
        if row is None:
            return None
        return IdempotencyRecord(
            fingerprint=row["fingerprint"], payment_id=row["payment_id"], response=json.loads(row["response"])
        )


def _payment_from_row(row: sqlite3.Row) -> Payment:
    values = {c: row[c] for c in _PAYMENT_COLUMNS}
    for column in _JSON_COLUMNS:
        raw = values[column]
        values[column] = None if raw is None else json.loads(raw)
    return Payment(**values)
