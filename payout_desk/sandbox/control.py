"""The sandbox-only control surface under ``/_sandbox/`` (SPEC "Sandbox-only surface").

No auth, loopback only: a request is refused with 403 ``forbidden`` unless the client address
is loopback, the ``Host`` header names a loopback host (no DNS rebinding) and any ``Origin``
header is a loopback origin (no cross-site requests from a browser page).

| route | answer |
|---|---|
| ``POST /_sandbox/tokens`` ``{"payouts", "merchantId"?, "webhookUrl"?}`` | 201 ``{"token", "merchantId", "payouts"}`` |
| ``POST /_sandbox/tokens/revoke`` ``{"token": …}`` | ``{"revoked": true/false}`` (a revoked token gets 401) |
| ``GET /_sandbox/payments`` | ``{"payments": [...]}`` with ``idempotencyKey``, ``customer``, ``redirectUrl``, … |
| ``GET /_sandbox/payments/{id}`` | one of those |
| ``POST /_sandbox/payments/{id}/complete`` ``{"outcome", "reason"?}`` | the payment; 409 if not allowed |
| ``GET /_sandbox/webhooks`` | ``{"deliveries": [{url, status, attempt, headers, body, …}]}`` |
| ``GET /_sandbox/requests`` | ``{"requests": [{method, path, at}]}``: the API requests seen (``at``: Unix seconds) |
| ``POST /_sandbox/faults`` / ``GET`` / ``DELETE`` | queue a fault (201) / list them / clear them (204) |
| ``GET /_sandbox/`` | ``{"idempotencyTtlSeconds": …, "routes": [...]}``: how long keys are kept, and the routes |
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from payout_desk.sandbox.engine import SandboxEngine, control_view
from payout_desk.sandbox.errors import ApiError
from payout_desk.sandbox.faults import FaultRegistry, parse_fault
from payout_desk.sandbox.validation import check_url, is_loopback_host, parse_json_object


def _engine(request: Request) -> SandboxEngine:
    engine: SandboxEngine = request.app.state.engine
    return engine


def require_loopback(request: Request) -> None:
    """Refuse (403) a control request that is not plainly from this machine."""
    client_ok = request.client is not None and is_loopback_host(request.client.host)
    host_ok = is_loopback_host(urlsplit("//" + request.headers.get("host", "")).hostname)
    origin = request.headers.get("origin")
    origin_ok = origin is None or is_loopback_host(urlsplit(origin).hostname)
    if not (client_ok and host_ok and origin_ok):
        raise ApiError(403, "forbidden", "The sandbox control surface answers loopback clients only.")


async def _json_body(request: Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await request.body()
    if optional and not raw.strip():
        return {}
    return parse_json_object(raw)


async def mint_token(request: Request) -> Response:
    """Mint a test token, for a new merchant unless ``merchantId`` names an existing one."""
    require_loopback(request)
    body = await _json_body(request, optional=True)
    payouts = body.get("payouts", True)
    if not isinstance(payouts, bool):
        raise ApiError(422, "validation_error", "payouts must be true or false.", "payouts")
    merchant_id = body.get("merchantId")
    if merchant_id is not None and (not isinstance(merchant_id, str) or not merchant_id.strip()):
        raise ApiError(422, "validation_error", "merchantId must be a non-empty string.", "merchantId")
    webhook_url = body.get("webhookUrl")
    if webhook_url is not None:
        check_url("webhookUrl", webhook_url)
    record = _engine(request).store.mint_token(payouts=payouts, merchant_id=merchant_id, webhook_url=webhook_url)
    return JSONResponse(
        {"token": record.token, "merchantId": record.merchant_id, "payouts": record.payouts}, status_code=201
    )


async def revoke_token(request: Request) -> Response:
    """Revoke a token (it then gets 401, like a token revoked in the Merchant Dashboard)."""
    require_loopback(request)
    token = (await _json_body(request)).get("token")
    if not isinstance(token, str):
        raise ApiError(422, "validation_error", "token must be a string.", "token")
    return JSONResponse({"revoked": _engine(request).store.revoke_token(token)})


async def list_payments(request: Request) -> Response:
    """Every payment held, with the fields the API does not echo."""
    require_loopback(request)
    return JSONResponse({"payments": [control_view(p, str(request.base_url)) for p in _engine(request).all_payments()]})


def _payment_or_404(request: Request) -> Any:
    payment_id = request.path_params["payment_id"]
    payment = _engine(request).get_any(payment_id)
    if payment is None:
        raise ApiError(404, "not_found", f"No payment {payment_id}.")
    return payment


async def show_payment(request: Request) -> Response:
    """One payment as ``GET /_sandbox/payments`` lists it."""
    require_loopback(request)
    return JSONResponse(control_view(_payment_or_404(request), str(request.base_url)))


async def complete_payment(request: Request) -> Response:
    """Finish a payment without the browser: ``succeeded`` or ``failed`` with a reason."""
    require_loopback(request)
    body = await _json_body(request)
    outcome = body.get("outcome")
    if outcome not in ("succeeded", "failed"):
        raise ApiError(422, "validation_error", 'outcome must be "succeeded" or "failed".', "outcome")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or not reason or len(reason) > 255):
        raise ApiError(422, "validation_error", "reason must be a string of 1 to 255 characters.", "reason")
    payment = _engine(request).complete(_payment_or_404(request), str(outcome), reason)
    return JSONResponse(control_view(payment, str(request.base_url)))


async def webhook_log(request: Request) -> Response:
    """The delivery log: one entry per attempt."""
    require_loopback(request)
    return JSONResponse({"deliveries": _engine(request).webhooks.log()})


async def request_log(request: Request) -> Response:
    """The API requests seen: method, path, arrival time (Unix seconds)."""
    require_loopback(request)
    return JSONResponse({"requests": request.app.state.requests.entries()})


def _faults(request: Request) -> FaultRegistry:
    registry: FaultRegistry = request.app.state.faults
    return registry


async def add_fault(request: Request) -> Response:
    """Queue a fault for the next ``times`` matching requests."""
    require_loopback(request)
    fault = parse_fault(await _json_body(request))
    _faults(request).add(fault)
    return JSONResponse({"fault": fault.as_json()}, status_code=201)


async def list_faults(request: Request) -> Response:
    """The faults still pending."""
    require_loopback(request)
    return JSONResponse({"faults": [f.as_json() for f in _faults(request).pending()]})


async def clear_faults(request: Request) -> Response:
    """Drop every pending fault."""
    require_loopback(request)
    _faults(request).clear()
    return Response(status_code=204)


async def index(request: Request) -> Response:
    """What the control surface offers."""
    require_loopback(request)
    return JSONResponse(
        {
            "idempotencyTtlSeconds": _engine(request).config.idempotency_ttl_seconds,
            "routes": [
                "POST /_sandbox/tokens",
                "POST /_sandbox/tokens/revoke",
                "GET /_sandbox/payments",
                "GET /_sandbox/payments/{id}",
                "POST /_sandbox/payments/{id}/complete",
                "GET /_sandbox/webhooks",
                "GET /_sandbox/requests",
                "POST /_sandbox/faults",
                "GET /_sandbox/faults",
                "DELETE /_sandbox/faults",
            ]
        }
    )


routes = [
    Route("/_sandbox/", index, methods=["GET"]),
    Route("/_sandbox/tokens", mint_token, methods=["POST"]),
    Route("/_sandbox/tokens/revoke", revoke_token, methods=["POST"]),
    Route("/_sandbox/payments", list_payments, methods=["GET"]),
    Route("/_sandbox/payments/{payment_id}", show_payment, methods=["GET"]),
    Route("/_sandbox/payments/{payment_id}/complete", complete_payment, methods=["POST"]),
    Route("/_sandbox/webhooks", webhook_log, methods=["GET"]),
    Route("/_sandbox/requests", request_log, methods=["GET"]),
    Route("/_sandbox/faults", add_fault, methods=["POST"]),
    Route("/_sandbox/faults", list_faults, methods=["GET"]),
    Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
]
