"""Small clients for the sandbox's ``/_sandbox/`` control surface: synchronous and async.

Each call opens a short-lived httpx client (no proxy from the environment: the sandbox is on
loopback), so there is nothing to close. A non-2xx answer raises :class:`SandboxControlError`.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

DEFAULT_TIMEOUT = 10.0


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every call (building one per client costs ~70 ms; the sandbox is plain HTTP)."""
    return ssl.create_default_context()


class SandboxControlError(Exception):
    """The control surface answered with an error."""

    def __init__(self, status_code: int, body: Any) -> None:
        super().__init__(f"sandbox control answered {status_code}: {body!r}")
        self.status_code = status_code
        self.body = body


def _checked(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        raise SandboxControlError(response.status_code, body)
    return response.json() if response.content else None


def _fault_body(method: str, path: str, fault: str, times: int, params: dict[str, Any]) -> dict[str, Any]:
    return {"method": method, "path": path, "fault": fault, "times": times, **params}


def _token_body(payouts: bool, merchant_id: str | None, webhook_url: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"payouts": payouts}
    if merchant_id is not None:
        body["merchantId"] = merchant_id
    if webhook_url is not None:
        body["webhookUrl"] = webhook_url
    return body


def _complete_body(outcome: str, reason: str | None) -> dict[str, Any]:
    return {"outcome": outcome} if reason is None else {"outcome": outcome, "reason": reason}


class SandboxControl:
    """Synchronous client for the control surface of the sandbox at ``base_url``."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        with httpx.Client(base_url=self.base_url, timeout=self.timeout, trust_env=False, verify=_tls()) as client:
            return _checked(client.request(method, path, json=json))

    def mint_token(
        self, payouts: bool = True, *, merchant_id: str | None = None, webhook_url: str | None = None
    ) -> str:
        """A new ``tk_test_`` token (for a new merchant unless ``merchant_id`` is given)."""
        return str(self.mint_token_record(payouts, merchant_id=merchant_id, webhook_url=webhook_url)["token"])

    def mint_token_record(
        self, payouts: bool = True, *, merchant_id: str | None = None, webhook_url: str | None = None
    ) -> dict[str, Any]:
        """Like :meth:`mint_token`, with the merchant id: ``{"token", "merchantId", "payouts"}``."""
        result: dict[str, Any] = self._call("POST", "/_sandbox/tokens", _token_body(payouts, merchant_id, webhook_url))
        return result

    def revoke_token(self, token: str) -> bool:
        """Revoke a token; it then gets 401."""
        return bool(self._call("POST", "/_sandbox/tokens/revoke", {"token": token})["revoked"])

    def info(self) -> dict[str, Any]:
        """``GET /_sandbox/``: ``idempotencyTtlSeconds`` and the routes."""
        result: dict[str, Any] = self._call("GET", "/_sandbox/")
        return result

    def payments(self) -> list[dict[str, Any]]:
        """Every payment held, with ``idempotencyKey``, ``customer``, ``redirectUrl``, ``webhookUrl``."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/payments")["payments"]
        return result

    def complete(self, payment_id: str, outcome: str = "succeeded", reason: str | None = None) -> dict[str, Any]:
        """Finish a payment without the browser; returns it."""
        result: dict[str, Any] = self._call(
            "POST", f"/_sandbox/payments/{payment_id}/complete", _complete_body(outcome, reason)
        )
        return result

    def webhooks(self) -> list[dict[str, Any]]:
        """The webhook delivery log, one entry per attempt."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/webhooks")["deliveries"]
        return result

    def requests(self) -> list[dict[str, Any]]:
        """The API requests seen, oldest first: ``{method, path, at}`` (``at``: Unix seconds)."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/requests")["requests"]
        return result

    def add_fault(self, *, method: str, path: str, fault: str, times: int = 1, **params: Any) -> None:
        """Queue fault ``fault`` for the next ``times`` requests matching method and path."""
        self._call("POST", "/_sandbox/faults", _fault_body(method, path, fault, times, params))

    def faults(self) -> list[dict[str, Any]]:
        """The faults still pending."""
        result: list[dict[str, Any]] = self._call("GET", "/_sandbox/faults")["faults"]
        return result

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._call("DELETE", "/_sandbox/faults")


class AsyncSandboxControl:
    """The same as :class:`SandboxControl`, for an asyncio event loop (the desktop app's)."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    async def _call(self, method: str, path: str, json: dict[str, Any] | None = None) -> Any:
        async with httpx.AsyncClient(
            base_url=self.base_url, timeout=self.timeout, trust_env=False, verify=_tls()
        ) as client:
            return _checked(await client.request(method, path, json=json))

    async def mint_token(
        self, payouts: bool = True, *, merchant_id: str | None = None, webhook_url: str | None = None
    ) -> str:
        """A new ``tk_test_`` token (for a new merchant unless ``merchant_id`` is given)."""
        record = await self.mint_token_record(payouts, merchant_id=merchant_id, webhook_url=webhook_url)
        return str(record["token"])

    async def mint_token_record(
        self, payouts: bool = True, *, merchant_id: str | None = None, webhook_url: str | None = None
    ) -> dict[str, Any]:
        """Like :meth:`mint_token`, with the merchant id: ``{"token", "merchantId", "payouts"}``."""
        result: dict[str, Any] = await self._call(
            "POST", "/_sandbox/tokens", _token_body(payouts, merchant_id, webhook_url)
        )
        return result

    async def revoke_token(self, token: str) -> bool:
        """Revoke a token; it then gets 401."""
        return bool((await self._call("POST", "/_sandbox/tokens/revoke", {"token": token}))["revoked"])

    async def info(self) -> dict[str, Any]:
        """``GET /_sandbox/``: ``idempotencyTtlSeconds`` and the routes."""
        result: dict[str, Any] = await self._call("GET", "/_sandbox/")
        return result

    async def payments(self) -> list[dict[str, Any]]:
        """Every payment held, with ``idempotencyKey``, ``customer``, ``redirectUrl``, ``webhookUrl``."""
        result: list[dict[str, Any]] = (await self._call("GET", "/_sandbox/payments"))["payments"]
        return result

    async def complete(self, payment_id: str, outcome: str = "succeeded", reason: str | None = None) -> dict[str, Any]:
        """Finish a payment without the browser; returns it."""
        result: dict[str, Any] = await self._call(
            "POST", f"/_sandbox/payments/{payment_id}/complete", _complete_body(outcome, reason)
        )
        return result

    async def webhooks(self) -> list[dict[str, Any]]:
        """The webhook delivery log, one entry per attempt."""
        result: list[dict[str, Any]] = (await self._call("GET", "/_sandbox/webhooks"))["deliveries"]
        return result

    async def add_fault(self, *, method: str, path: str, fault: str, times: int = 1, **params: Any) -> None:
        """Queue fault ``fault`` for the next ``times`` requests matching method and path."""
        await self._call("POST", "/_sandbox/faults", _fault_body(method, path, fault, times, params))

    async def faults(self) -> list[dict[str, Any]]:
        """The faults still pending."""
        result: list[dict[str, Any]] = (await self._call("GET", "/_sandbox/faults"))["faults"]
        return result

    async def clear_faults(self) -> None:
        """Drop every pending fault."""
        await self._call("DELETE", "/_sandbox/faults")
