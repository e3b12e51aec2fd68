"""What the client puts on the wire and how much it reads back: the Idempotency-Key's one form (a bare
lower-case UUID v4) and an answer's body read with a limit, never whole (the provider may be wrong or hostile)."""

from __future__ import annotations

import uuid

import httpx

from payout_desk.domain.answers import MAX_BODY_BYTES
from payout_desk.provider.errors import ProviderProtocolError

__all__ = ["read_limited", "validate_idempotency_key"]


def validate_idempotency_key(key: str) -> str:
    """``key`` if it is a bare, lower-case UUID v4 (the only form this client sends)."""
    try:
        parsed = uuid.UUID(key)
    except (ValueError, AttributeError, TypeError):
        raise ValueError("the Idempotency-Key must be a UUID v4") from None
    if parsed.version != 4 or str(parsed) != key:
        raise ValueError("the Idempotency-Key must be a bare lower-case UUID v4")
    return key


async def read_limited(response: httpx.Response, limit: int = MAX_BODY_BYTES) -> bytes:
    """The decoded body, or ProviderProtocolError as soon as it passes ``limit`` bytes."""
    declared = response.headers.get("Content-Length", "")
    too_large = ProviderProtocolError(
        f"HTTP {response.status_code} with an answer over {limit:,} bytes; not read", status=response.status_code
    )
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
