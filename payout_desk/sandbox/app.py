"""The sandbox's Starlette application: routes, error format, fault injection, lifespan.

``create_app(SandboxConfig(...))`` returns the ASGI app; ``app.state.engine`` is its
:class:`~payout_desk.sandbox.engine.SandboxEngine`, ``app.state.faults`` its fault queue,
``app.state.requests`` its log of API requests.
Every error outside the checkin page is JSON in the SPEC's format.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payout_desk.sandbox import api, checkin, control
from payout_desk.sandbox.engine import SandboxConfig, SandboxEngine
from payout_desk.sandbox.errors import ApiError, code_for_status, error_response
from payout_desk.sandbox.faults import FaultMiddleware, FaultRegistry
from payout_desk.sandbox.request_log import RequestLog, RequestLogMiddleware

OPENAPI_RESOURCE = "openapi.json"


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of the provider API, shipped in this package."""
    text = resources.files("payout_desk.sandbox").joinpath(OPENAPI_RESOURCE).read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


async def _openapi(request: Request) -> Response:
    return JSONResponse(openapi_document())


async def _index(request: Request) -> Response:
    return JSONResponse(
        {
            "name": "Payout Desk provider sandbox",
            "api": ["POST /api/payments", "GET /api/payments/{id}"],
            "openapi": "/openapi.json",
            "control": "/_sandbox/ (loopback only)",
        }
    )


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(exc.status_code, code_for_status(exc.status_code), str(exc.detail), None, exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(500, "internal_error", "The sandbox hit an unexpected error.")


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A new sandbox application (its state opens now; its timers start with the lifespan)."""
    engine = SandboxEngine(config or SandboxConfig())
    faults = FaultRegistry()
    requests = RequestLog()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await engine.start()
        try:
            yield
        finally:
            await engine.stop()

    app = Starlette(
        routes=[
            Route("/", _index, methods=["GET"]),
            Route("/openapi.json", _openapi, methods=["GET"]),
            *api.routes,
            *checkin.routes,
            *control.routes,
        ],
        middleware=[Middleware(RequestLogMiddleware, log=requests), Middleware(FaultMiddleware, registry=faults)],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _server_error},
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.faults = faults
    app.state.requests = requests
    return app
