"""Injected faults (``POST /_sandbox/faults``) and the raw ASGI wrapper that applies them.

A fault matches a request by method (``*`` for any) and path (exact, or a glob such as
``/api/payments/*``; ``*`` alone is any path) and applies to the next ``times`` matching requests, oldest fault first.
Control routes (``/_sandbox/…``) are never faulted. The kinds:

- ``status``: answer ``status`` (400–599) with an error body (a 429 also gets ``Retry-After:
  retryAfter``); the request is not processed.
- ``rate_limit``: answer 429 ``rate_limited`` with ``Retry-After: retryAfter``; not processed.
- ``delay``: wait ``seconds`` while the request is in flight (for a create: after its
  Idempotency-Key is reserved, so a duplicate meanwhile gets 409), then answer normally.
- ``malformed_json``: process normally, then send the real status with a truncated, non-JSON body.
- ``drop_after_commit``: process normally (a create is committed), then close the TCP
  connection without sending any HTTP response.
- ``rewrite``: process normally, then answer the real status with the JSON object's ``fields``
  replaced (or added): a provider echoing another amount, currency, id or status.
- ``huge_body``: process normally, then answer the real status with the JSON object's ``field``
  (default ``padding``) set to a string of ``bytes`` characters (default 50 MB), streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import logging
import threading
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payout_desk.sandbox.errors import ApiError, code_for_status, error_response

FAULT_KINDS = ("status", "delay", "rate_limit", "malformed_json", "drop_after_commit", "rewrite", "huge_body")
DELAY_SCOPE_KEY = "payout_desk.sandbox.delay"
CREATE_PATH = "/api/payments"
MAX_DELAY_SECONDS = 600.0
MAX_HUGE_BYTES = 200_000_000
_CHUNK = 1 << 20

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Fault:
    """One pending fault and how many matching requests it still applies to."""

    method: str
    path: str
    fault: str
    times: int = 1
    status: int = 503
    seconds: float = 3.0
    retryAfter: int = 1  # the SPEC's JSON name
    fields: dict[str, Any] | None = None  # rewrite: replaced/added answer fields
    field: str = "padding"  # huge_body: the field that carries the padding
    bytes: int = 50_000_000  # huge_body: how many characters of padding

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and path is hit by the fault."""
        method_ok = self.method == "*" or self.method == method.upper()
        return method_ok and (self.path == path or fnmatch.fnmatchcase(path, self.path))

    def as_json(self) -> dict[str, Any]:
        """The fault as the control surface shows it."""
        return asdict(self)


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ApiError(422, "validation_error", f"{name} must be a number from {low:g} to {high:g}.", name)
    return float(value)


def parse_fault(body: dict[str, Any]) -> Fault:
    """A Fault from the control request body, or a 422 naming the bad field."""
    kind = body.get("fault")
    if kind not in FAULT_KINDS:
        raise ApiError(422, "validation_error", f"fault must be one of {', '.join(FAULT_KINDS)}.", "fault")
    method = body.get("method", "*")
    if not isinstance(method, str) or not method:
        raise ApiError(422, "validation_error", "method must be an HTTP method or *.", "method")
    path = body.get("path")
    if not isinstance(path, str) or not (path.startswith("/") or path == "*"):
        raise ApiError(422, "validation_error", "path must start with / (or be * for any path).", "path")
    times = _number(body, "times", 1, 1, 1_000_000)
    status = _number(body, "status", 503, 400, 599)
    seconds = _number(body, "seconds", 3.0, 0, MAX_DELAY_SECONDS)
    retry_after = _number(body, "retryAfter", 1, 0, 86400)
    size = _number(body, "bytes", 50_000_000, 0, MAX_HUGE_BYTES)
    if not (times.is_integer() and status.is_integer() and retry_after.is_integer() and size.is_integer()):
        raise ApiError(422, "validation_error", "times, status, retryAfter and bytes must be integers.", None)
    fields = body.get("fields")
    if kind == "rewrite" and (not isinstance(fields, dict) or not fields):
        raise ApiError(422, "validation_error", "fields must be a non-empty JSON object for a rewrite.", "fields")
    field_name = body.get("field", "padding")
    if not isinstance(field_name, str) or not field_name:
        raise ApiError(422, "validation_error", "field must be a non-empty string.", "field")
    return Fault(
        method=method.upper(),
        path=path,
        fault=str(kind),
        times=int(times),
        status=int(status),
        seconds=seconds,
        retryAfter=int(retry_after),
        fields=dict(fields) if isinstance(fields, dict) else None,
        field=field_name,
        bytes=int(size),
    )


class FaultRegistry:
    """The queue of pending faults; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        """Queue a fault behind those already pending."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def pending(self) -> list[Fault]:
        """The faults still pending, oldest first."""
        with self._lock:
            return list(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching the request, used up by one."""
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None


class FaultMiddleware:
    """Raw ASGI wrapper applying the next matching fault to each non-control HTTP request."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_sandbox/"):
            await self.app(scope, receive, send)
            return
        fault = self.registry.take(scope["method"], path)
        if fault is None:
            await self.app(scope, receive, send)
        elif fault.fault == "status":
            code = code_for_status(fault.status)
            # SPEC error table: a 429 always carries `Retry-After` in seconds, whichever fault made it.
            headers = {"Retry-After": str(fault.retryAfter)} if fault.status == 429 else None
            message = f"Injected fault: HTTP {fault.status}."
            await error_response(fault.status, code, message, None, headers)(scope, receive, send)
        elif fault.fault == "rate_limit":
            headers = {"Retry-After": str(fault.retryAfter)}
            await error_response(429, "rate_limited", "Too many requests.", None, headers)(scope, receive, send)
        elif fault.fault == "delay":
            if scope["method"] == "POST" and path == CREATE_PATH:
                scope[DELAY_SCOPE_KEY] = fault.seconds  # the create handler sleeps while in flight
            else:
                await asyncio.sleep(fault.seconds)
            await self.app(scope, receive, send)
        elif fault.fault == "malformed_json":
            await self._malformed(scope, receive, send)
        elif fault.fault in ("rewrite", "huge_body"):
            await self._reshape(fault, scope, receive, send)
        else:
            await self._drop(scope, receive, send)

    async def _captured(self, scope: Scope, receive: Receive) -> tuple[Message | None, bytes]:
        """Run the app, keeping its answer: (the response start message, the whole body)."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        return start, b"".join(chunks)

    @staticmethod
    async def _answer(send: Send, start: Message, parts: list[bytes], size: int) -> None:
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(size).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        for number, part in enumerate(parts, start=1):
            await send({"type": "http.response.body", "body": part, "more_body": number < len(parts)})

    async def _malformed(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self._captured(scope, receive)
        if start is None:
            return
        garbled = body[: len(body) // 2] if len(body) > 1 else b"<html>"
        await self._answer(send, start, [garbled], len(garbled))

    async def _reshape(self, fault: Fault, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self._captured(scope, receive)
        if start is None:
            return
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            data = {}
        if fault.fault == "rewrite":
            data.update(fault.fields or {})
            out = json.dumps(data).encode()
            await self._answer(send, start, [out], len(out))
            return
        data.pop(fault.field, None)
        head = json.dumps(data)[:-1].encode() + (b"," if data else b"") + json.dumps(fault.field).encode() + b':"'
        pad = [b"x" * min(_CHUNK, fault.bytes - offset) for offset in range(0, fault.bytes, _CHUNK)]
        await self._answer(send, start, [head, *pad, b'"}'], len(head) + fault.bytes + 2)

    async def _drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        # uvicorn's h11/httptools request cycle exposes its transport on the bound receive().
        cycle = getattr(receive, "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None or not hasattr(transport, "abort"):
            logger.error("drop_after_commit needs uvicorn's h11 or httptools protocol; answering 500 instead")
            raise RuntimeError("cannot drop the connection on this server")
        transport.abort()
        # Wait for uvicorn to notice the lost connection, so it does not try to answer a 500.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                while (await receive())["type"] != "http.disconnect":
                    pass
