"""The provider API routes: ``POST /api/payments`` and ``GET /api/payments/{id}``.

Check order for a create (fixed with the lead): malformed body 400 → token 401 → Payout
permission 403 (only when ``type`` is ``payout``) → field rules and Idempotency-Key format 422 →
idempotency (replay 200, key reused 422, in flight 409) → create 201. So the app's
"Test connection" probe, ``{"type": "payout"}`` with no amount, gets 403 or 422 and never
creates anything.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payout_desk.sandbox.engine import SandboxEngine, public_view, rebased
from payout_desk.sandbox.errors import ApiError
from payout_desk.sandbox.faults import DELAY_SCOPE_KEY
from payout_desk.sandbox.validation import check_idempotency_key, parse_json_object

REPLAY_HEADER = "Idempotent-Replayed"


def _engine(request: Request) -> SandboxEngine:
    engine: SandboxEngine = request.app.state.engine
    return engine


async def create_payment(request: Request) -> Response:
    """``POST /api/payments``: create a payout (or payin), or replay an earlier create."""
    engine = _engine(request)
    delay = float(request.scope.get(DELAY_SCOPE_KEY, 0.0))
    started = time.monotonic()
    try:
        body = parse_json_object(await request.body())
        token = engine.authenticate(request.headers.get("authorization"))
        if body.get("type") == "payout" and not token.payouts:
            raise ApiError(403, "payouts_not_enabled", "This token was not generated with the Payout permission.")
        key = check_idempotency_key(request.headers.get("idempotency-key"))
        result = await engine.create(token, body, key, base_url=str(request.base_url), delay=delay)
    except ApiError:
        # A `delay` fault holds error answers too (a success already waited inside the create).
        remaining = delay - (time.monotonic() - started)
        if remaining > 0:
            await asyncio.sleep(remaining)
        raise
    headers = {REPLAY_HEADER: "true"} if result.replayed else {}
    # A replay is the original response, its `url` re-rooted on the current address (see rebased).
    body = rebased(result.body, str(request.base_url))
    return JSONResponse(body, status_code=result.status_code, headers=headers)


async def get_payment(request: Request) -> Response:
    """``GET /api/payments/{id}``: this merchant's payment with its current status."""
    engine = _engine(request)
    token = engine.authenticate(request.headers.get("authorization"))
    payment = engine.get_for_merchant(token, request.path_params["payment_id"])
    engine.base_url = str(request.base_url)
    return JSONResponse(rebased(public_view(payment), engine.base_url))


routes = [
    Route("/api/payments", create_payment, methods=["POST"]),
    Route("/api/payments/{payment_id}", get_payment, methods=["GET"]),
]
