"""The SPEC's error body, ``{"error": {"code", "message", "field"}}``, as an exception and a response."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


class ApiError(Exception):
    """An error answer: HTTP status, snake_case code, human message, body field (or None)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})

    def response(self) -> JSONResponse:
        """The JSON response for this error."""
        return error_response(self.status, self.code, self.message, self.field, self.headers)


def error_response(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON error response in the SPEC's format."""
    body = {"error": {"code": code, "message": message, "field": field}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


#: The code a bare status gets when the sandbox answers with it (faults, routing errors): the SPEC's
#: error table code for that status, so a client mapping codes sees nothing it was not told of
#: (SPEC "Transport and auth": 403 is ``payouts_not_enabled``; the control surface's own loopback
#: refusal raises its ``forbidden`` directly and does not come through here).
CODES_BY_STATUS = {
    400: "malformed_request",
    401: "unauthorized",
    403: "payouts_not_enabled",
    404: "not_found",
    405: "method_not_allowed",
    409: "idempotency_in_progress",
    422: "validation_error",
    429: "rate_limited",
}


def code_for_status(status: int) -> str:
    """The error code the sandbox uses for a status it produces without a more specific reason."""
    if status >= 500:
        return "internal_error"
    return CODES_BY_STATUS.get(status, "client_error")
