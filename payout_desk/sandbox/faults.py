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
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import threading
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payout_desk.sandbox.errors import ApiError, code_for_status, error_response

FAULT_KINDS = ("status", "delay", "rate_limit", "malformed_json", "drop_after_commit")
DELAY_SCOPE_KEY = "payout_desk.sandbox.delay"
CREATE_PATH = "/api/payments"
MAX_DELAY_SECONDS = 600.0

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
    if not (times.is_integer() and status.is_integer() and retry_after.is_integer()):
        raise ApiError(422, "validation_error", "times, status and retryAfter must be integers.", None)
    return Fault(
        method=method.upper(),
        path=path,
        fault=str(kind),
        times=int(times),
        status=int(status),
        seconds=seconds,
        retryAfter=int(retry_after),
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
        else:
            await self._drop(scope, receive, send)

    async def _malformed(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return
        body = b"".join(chunks)
        garbled = body[: len(body) // 2] if len(body) > 1 else b"<html>"
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(garbled)).encode()))
        await send({"type": "http.response.start", "status": start["status"], "headers": headers})
        await send({"type": "http.response.body", "body": garbled, "more_body": False})

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
