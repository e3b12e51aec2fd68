"""Webhook signatures in the Standard Webhooks layout, keyed with the API token (SPEC "Webhooks").

The provider signs every webhook it sends with the merchant's API token:

- ``webhook-id``: unique per event (a retry of the same event keeps its id),
- ``webhook-timestamp``: Unix seconds at the time of the attempt,
- ``webhook-signature``: ``v1,<base64>``, where ``<base64>`` is the Base64 of
  HMAC-SHA256(key = token as UTF-8, message = ``{webhook-id}.{webhook-timestamp}.{raw body}``).
  A header may carry several space-separated signatures; one valid ``v1`` entry is enough.

A receiver calls :func:`verify` (constant-time comparison, 5-minute timestamp tolerance) and then
:meth:`ReplayGuard.accept` to ignore a ``webhook-id`` it has already processed. The sandbox signs
with :func:`sign_headers`; the desktop app verifies with :func:`verify`: one implementation for both.
Pure standard library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "InvalidSignatureError",
    "MissingHeadersError",
    "ReplayGuard",
    "TimestampOutOfToleranceError",
    "VerifiedWebhook",
    "WebhookVerificationError",
    "new_webhook_id",
    "sign",
    "sign_headers",
    "verify",
]

#: ``webhook-timestamp``: Unix seconds as ASCII digits only (no sign, underscore, space or other script).
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,20}", re.ASCII)
#: A timestamp further than this from "now" (either way) is rejected.
DEFAULT_TOLERANCE_SECONDS = 5 * 60

_SIGNATURE_VERSION = "v1"


class WebhookVerificationError(Exception):
    """A webhook failed verification; never process its body."""


class MissingHeadersError(WebhookVerificationError):
    """``webhook-id``, ``webhook-timestamp`` or ``webhook-signature`` is missing or unreadable."""


class InvalidSignatureError(WebhookVerificationError):
    """No ``v1`` signature in the header matches the body and the key."""


class TimestampOutOfToleranceError(WebhookVerificationError):
    """The ``webhook-timestamp`` is too old (a possible replay) or too far in the future."""


@dataclass(frozen=True, slots=True)
class VerifiedWebhook:
    """What :func:`verify` learned about an authentic webhook."""

    webhook_id: str
    timestamp: int


def _key_bytes(key: str | bytes) -> bytes:
    """The HMAC key: a token string is used as its UTF-8 bytes; bytes are used as they are."""
    return key.encode("utf-8") if isinstance(key, str) else key


def new_webhook_id() -> str:
    """A fresh, unique ``webhook-id`` value (``msg_`` and 32 hex digits)."""
    return "msg_" + secrets.token_hex(16)


def sign(key: str | bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value (``v1,<base64>``) for one webhook attempt."""
    message = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key_bytes(key), message, hashlib.sha256).digest()
    return f"{_SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def sign_headers(
    key: str | bytes,
    body: bytes,
    *,
    webhook_id: str | None = None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The three signature headers for ``body``; a new id and the current time unless given."""
    wid = webhook_id if webhook_id is not None else new_webhook_id()
    ts = timestamp if timestamp is not None else int(time.time())
    return {
        "webhook-id": wid,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(key, wid, ts, body),
    }


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value looked up case-insensitively; raises MissingHeadersError when absent."""
    for key, value in headers.items():
        if key.lower() == name:
            if value.strip():
                return value.strip()
            break
    raise MissingHeadersError(f"missing header {name}")


def verify(
    key: str | bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> VerifiedWebhook:
    """Check a received webhook's signature and timestamp; raise a WebhookVerificationError if bad.

    ``headers`` is any mapping (looked up case-insensitively); ``body`` is the raw request body,
    exactly as received (never re-serialized JSON). Returns the id and timestamp so the caller can
    feed the id to a :class:`ReplayGuard`.
    """
    webhook_id = _header(headers, "webhook-id")
    raw_timestamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not _TIMESTAMP_RE.fullmatch(raw_timestamp):  # int() would take "+1", "1_733", non-ASCII digits
        raise MissingHeadersError("webhook-timestamp is not ASCII digits")
    timestamp = int(raw_timestamp)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise TimestampOutOfToleranceError(
            f"webhook-timestamp {timestamp} is more than {tolerance_seconds:g} s from now"
        )
    expected = sign(key, webhook_id, timestamp, body).split(",", 1)[1]
    expected_bytes = base64.b64decode(expected)
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version != _SIGNATURE_VERSION or not value:
            continue
        try:
            candidate = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(candidate, expected_bytes):
            return VerifiedWebhook(webhook_id=webhook_id, timestamp=timestamp)
    raise InvalidSignatureError("no matching v1 signature")


class ReplayGuard:
    """Remembers processed ``webhook-id`` values so a redelivered event is processed only once.

    Thread-safe. Ids are kept for ``ttl_seconds`` (default 24 h, longer than the provider's whole
    retry schedule) and at most ``max_entries`` of them (oldest forgotten first).
    """

    def __init__(self, *, ttl_seconds: float = 24 * 3600.0, max_entries: int = 100_000) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def accept(self, webhook_id: str, *, now: float | None = None) -> bool:
        """True the first time an id is seen (and remember it); False for an id already processed."""
        current = time.monotonic() if now is None else now
        with self._lock:
            self._forget_expired(current)
            if webhook_id in self._seen:
                return False
            self._seen[webhook_id] = current
            while len(self._seen) > self._max:
                self._seen.popitem(last=False)
            return True

    def __contains__(self, webhook_id: object) -> bool:
        with self._lock:
            return webhook_id in self._seen

    def __len__(self) -> int:
        with self._lock:
            return len(self._seen)

    def _forget_expired(self, current: float) -> None:
        while self._seen:
            oldest_id, seen_at = next(iter(self._seen.items()))
            if current - seen_at <= self._ttl:
                break
            del self._seen[oldest_id]
