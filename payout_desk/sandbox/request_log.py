"""The sandbox's log of API requests (``GET /_sandbox/requests``): method, path and arrival time (Unix seconds)
of every ``/api/`` request, oldest first, the last :data:`MAX_ENTRIES` kept. Tests count requests per time
window with it (the team's agents share one rate cap), as the provider would see them."""

from __future__ import annotations

import collections
import time
from typing import Any, Final

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["MAX_ENTRIES", "RequestLog", "RequestLogMiddleware"]

MAX_ENTRIES: Final = 10_000


class RequestLog:
    """The requests seen, newest last."""

    def __init__(self) -> None:
        self._entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=MAX_ENTRIES)

    def add(self, method: str, path: str) -> None:
        self._entries.append({"method": method, "path": path, "at": time.time()})

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)


class RequestLogMiddleware:
    """Logs each ``/api/`` HTTP request as it arrives (before faults apply: what the provider was sent)."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith("/api/"):
            self.log.add(scope["method"], scope["path"])
        await self.app(scope, receive, send)
