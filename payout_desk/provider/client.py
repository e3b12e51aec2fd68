"""The Payouts API client: create and get a payout over ``httpx.AsyncClient``, safely retried.

The rules it keeps (``shared/provider/SPEC.md``):

* HTTPS only, except a sandbox on loopback (:mod:`payout_desk.provider.urls`); the OS trust
  store (``truststore``) and proxies from the environment (``HTTPS_PROXY`` …, ``NO_PROXY``);
  a loopback base URL always goes direct, whatever the proxy variables say.
* ``Authorization: Bearer <token>``; the token lives only in the httpx client's default headers.
  It is never logged (headers are never logged), never in ``repr()``, never in an error.
* A create is sent with the caller's Idempotency-Key (a bare UUID v4) and the caller's exact body
  bytes. Retries — only after a timeout, a dropped connection, 409, 429, 5xx or an answer that
  cannot be read — reuse the same key and the same bytes, with jittered exponential backoff or
  the provider's ``Retry-After`` (capped). When retries run out a create raises
  :class:`OutcomeUnknownError`: the payout may exist, so the caller resends it later with the
  same key and body and the replay tells the truth.
* Each attempt has connect/read timeouts plus an overall deadline (``asyncio.timeout``), since
  httpx's read timeout is per chunk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import truststore

from payout_desk.provider.errors import (
    IdempotencyKeyReusedError,
    OutcomeUnknownError,
    ProviderError,
    ProviderProtocolError,
    ProviderUnavailableError,
    RejectedError,
    error_for_response,
    is_tls_failure,
    parse_error_body,
)
from payout_desk.provider.models import Attempt, ConnectionCheck, CreateResult, Payment, token_kind
from payout_desk.provider.retry import RetryPolicy, parse_retry_after, retry_delay
from payout_desk.provider.urls import is_loopback_host, normalize_base_url, url_host
from payout_desk.provider.wire import read_limited, validate_idempotency_key

__all__ = [
    "Attempt",
    "CreateResult",
    "PayoutsClient",
    "RetryPolicy",
    "Timeouts",
    "validate_idempotency_key",
]

log = logging.getLogger("payout_desk.provider")

PAYMENTS_PATH = "/api/payments"
USER_AGENT = "PayoutDesk/0.1"

AttemptCallback = Callable[[Attempt], Awaitable[None]]
BeforeAttempt = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Timeouts:
    """Seconds: ``connect`` and ``read`` (per chunk) for httpx; ``deadline`` bounds one attempt."""

    connect: float = 5.0
    read: float = 15.0
    deadline: float = 30.0


DEFAULT_TIMEOUTS = Timeouts()
DEFAULT_RETRY = RetryPolicy()


def _check_token(token: str) -> None:
    if not token or len(token) > 4096 or any(not ("!" <= ch <= "~") for ch in token):
        # Never echo the token, not even in part.
        raise ValueError("the API token is empty or contains characters that are not allowed")


class PayoutsClient:
    """The provider's Payouts API (create, get, connection test) for one base URL and token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """Raises InsecureBaseUrlError unless ``base_url`` is https or loopback, ValueError for
        an unusable token. ``transport`` replaces the network (tests); with it, env proxies are
        not used (httpx's rule). ``sleep``/``rand`` drive the backoff (tests)."""
        self.base_url = normalize_base_url(base_url)
        _check_token(token)
        self.token_kind = token_kind(token)
        self.timeouts = timeouts
        self.retry = retry
        self._sleep = sleep
        self._rand = rand
        host = url_host(self.base_url)
        verify: ssl.SSLContext | bool = True
        if self.base_url.startswith("https://"):
            verify = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        # httpx never bypasses a proxy for loopback on its own: mount the sandbox's host direct.
        mounts: dict[str, httpx.AsyncBaseTransport | None] | None = None
        if is_loopback_host(host):
            netloc_host = f"[{host}]" if ":" in host else host
            mounts = {f"all://{netloc_host}": None}
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=httpx.Timeout(
                connect=timeouts.connect,
                read=timeouts.read,
                write=timeouts.read,
                pool=timeouts.connect,
            ),
            verify=verify,
            trust_env=True,
            transport=transport,
            mounts=mounts,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        kind = self.token_kind or "unrecognised"
        return f"PayoutsClient(base_url={self.base_url!r}, token=<{kind} token>)"

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying httpx client (tests inspect its mounts); never log its headers."""
        return self._http

    async def __aenter__(self) -> PayoutsClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def scrub(self, text: str) -> str:
        """``text`` with this client's token removed (a second net behind never putting it in)."""
        header = self._http.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        return text.replace(token, "[REDACTED]") if token else text

    async def _once(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One HTTP exchange under the per-attempt deadline; raises httpx/Timeout errors, and
        ProviderProtocolError for an answer over ``MAX_BODY_BYTES`` (read with a limit, never whole)."""
        async with asyncio.timeout(self.timeouts.deadline):
            request = self._http.build_request(method, path, content=content, headers=headers)
            response = await self._http.send(request, stream=True)
            try:
                body = await read_limited(response)
            finally:
                await response.aclose()
        headers_out = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        return httpx.Response(response.status_code, headers=headers_out, content=body, request=request)

    def _transport_error(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, TimeoutError | httpx.TimeoutException):
            detail = f"no answer within the time limit ({type(exc).__name__})"
        else:
            detail = self.scrub(f"{type(exc).__name__}: {exc}".rstrip(": "))
        return ProviderUnavailableError(detail)

    def _classify(self, response: httpx.Response) -> Payment | ProviderError:
        """A payment for a usable 2xx; otherwise the typed error for the answer."""
        status = response.status_code
        if 200 <= status < 300:
            try:
                data = json.loads(response.content)
            except ValueError:  # JSONDecodeError and UnicodeDecodeError
                return ProviderProtocolError(f"HTTP {status} with a body that is not JSON", status=status)
            try:
                return Payment.from_json(data)
            except ProviderProtocolError as exc:
                exc.status = status
                return exc
        code, message, field = parse_error_body(response.content)
        retry_after = parse_retry_after(response.headers.get("Retry-After"), cap=self.retry.retry_after_cap)
        if not 400 <= status < 600:
            return ProviderProtocolError(f"unexpected HTTP {status}", status=status)
        error = error_for_response(status, code, message, field, retry_after=retry_after)
        error.detail = self.scrub(error.detail)
        error.args = (error.detail,)
        return error

    async def _request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None,
        headers: dict[str, str] | None,
        policy: RetryPolicy,
        label: str,
        on_attempt: AttemptCallback | None = None,
        before_attempt: BeforeAttempt | None = None,
        idempotency_key: str = "",
    ) -> tuple[httpx.Response, Payment, tuple[Attempt, ...]]:
        """Send with retries where the SPEC allows them; the last retryable error if they run
        out, a RejectedError at once for a definitive answer."""
        loop = asyncio.get_running_loop()
        attempts: list[Attempt] = []
        last_error: ProviderError | None = None
        for number in range(1, policy.max_attempts + 1):
            if number > 1:
                assert last_error is not None
                delay = retry_delay(number - 1, policy, last_error.retry_after, self._rand)
                log.info("%s: retry %d in %.2f s after %s", label, number - 1, delay, last_error.code)
                await self._sleep(delay)
            if before_attempt is not None:
                await before_attempt()
            started = loop.time()
            response: httpx.Response | None = None
            status_code: int | None = None
            kind: str | None = None
            try:
                response = await self._once(method, path, content=content, headers=headers)
                status_code = response.status_code
                outcome = self._classify(response)
            except ProviderProtocolError as exc:  # an answer too large to read
                outcome, status_code = exc, exc.status
            except (TimeoutError, httpx.TransportError, httpx.DecodingError) as exc:
                outcome, kind = self._transport_error(exc), type(exc).__name__
            duration_ms = (loop.time() - started) * 1000.0
            error = outcome if isinstance(outcome, ProviderError) else None
            if error is not None and kind is None:
                kind = type(error).__name__
            attempt = Attempt(
                number=number,
                status_code=status_code,
                error=error.detail if error is not None else None,
                duration_ms=round(duration_ms, 1),
                idempotency_key=idempotency_key,
                error_code=error.code if error is not None else None,
                error_kind=kind,
            )
            attempts.append(attempt)
            if error is None:
                log.info("%s: attempt %d -> HTTP %s in %.0f ms", label, number, status_code, duration_ms)
            else:
                level = logging.ERROR if isinstance(error, IdempotencyKeyReusedError) else logging.WARNING
                log.log(level, "%s: attempt %d failed in %.0f ms: %s", label, number, duration_ms, error.detail)
            if on_attempt is not None:
                await on_attempt(attempt)
            if isinstance(outcome, Payment):
                assert response is not None
                return response, outcome, tuple(attempts)
            if isinstance(outcome, RejectedError) or not outcome.retryable:
                raise outcome
            last_error = outcome
        assert last_error is not None
        raise last_error

    async def create_payout(
        self,
        body_json: str,
        idempotency_key: str | None,
        on_attempt: AttemptCallback | None = None,
        *,
        before_attempt: BeforeAttempt | None = None,
    ) -> CreateResult:
        """POST the payout ``body_json`` (sent byte for byte) with ``idempotency_key``.

        Returns the created (201) or replayed (200) payment. Raises a :class:`RejectedError`
        subclass for a definitive refusal (never resend) and :class:`OutcomeUnknownError` when
        retries ran out without a definitive answer (resend later, same key and body).
        ``on_attempt`` is awaited after every attempt (the journal's audit trail);
        ``before_attempt`` before every attempt (a rate limiter; it may raise to stop the sends).
        ``idempotency_key`` None sends no key: only for a body with an ``externalId``, whose
        no-key replay (SPEC) makes the retries safe — past the key's retention.
        """
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = validate_idempotency_key(idempotency_key)
        content = body_json.encode("utf-8")
        label = f"create key={idempotency_key}" if idempotency_key is not None else "create without key"
        try:
            response, payment, attempts = await self._request(
                "POST",
                PAYMENTS_PATH,
                content=content,
                headers=headers,
                policy=self.retry,
                label=label,
                on_attempt=on_attempt,
                before_attempt=before_attempt,
                idempotency_key=idempotency_key or "",
            )
        except IdempotencyKeyReusedError:
            log.error(
                "%s: the provider says this key was used with a DIFFERENT body. The journaled "
                "body is sent byte for byte, so this should be impossible: treated as rejected, "
                "never resent; investigate the journal.",
                label,
            )
            raise
        except RejectedError:
            raise
        except ProviderError as exc:
            outcome = OutcomeUnknownError(
                f"no definitive answer after {self.retry.max_attempts} attempt(s); last: {exc.detail}",
                last_error=exc,
                attempts=self.retry.max_attempts,
                status=exc.status,
            )
            log.warning("%s: outcome unknown (%s); it will be resent with the same key", label, exc.code)
            raise outcome from None
        replayed = response.status_code == 200 or (
            response.headers.get("Idempotent-Replayed", "").strip().lower() == "true"
        )
        log.info("%s: %s %s (status %s)", label, "replayed" if replayed else "created", payment.id, payment.status)
        return CreateResult(payment=payment, replayed=replayed, status_code=response.status_code, attempts=attempts)

    async def get_payout(
        self,
        payment_id: str,
        *,
        retry: RetryPolicy | None = None,
        before_attempt: BeforeAttempt | None = None,
    ) -> Payment:
        """GET one payment. ``retry`` overrides the policy (the poller uses one attempt and its
        own schedule). Raises NotFoundError, UnauthorizedError …, or the last retryable error
        (ProviderUnavailableError, RateLimitedError, ProviderProtocolError) when retries ran out.
        """
        if not payment_id or not payment_id.strip():
            raise ValueError("payment_id must not be empty")
        path = f"{PAYMENTS_PATH}/{quote(payment_id, safe='')}"
        _, payment, _ = await self._request(
            "GET",
            path,
            content=None,
            headers=None,
            policy=retry or self.retry,
            label=f"get {payment_id}",
            before_attempt=before_attempt,
        )
        return payment

    async def check_connection(self) -> ConnectionCheck:
        """Tell a wrong token from one without payout permission from an unreachable host.

        1. ``GET /api/payments/<nonexistent>``: 401 → bad token; 404 → the token is valid.
        2. ``POST {"type":"payout"}`` with no amount: 403 → no payout permission; 422 → allowed.
           The body is invalid on purpose, so it can never create a payout.
        One attempt each, no retries.
        """
        from payout_desk.provider.probe import run_connection_check

        return await run_connection_check(self)

    async def probe(
        self,
        method: str,
        path: str,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response | None, BaseException | None, bool]:
        """One attempt, no retry: ``(response, error, tls_failure)`` with a scrubbed error.
        For :mod:`payout_desk.provider.probe`; not for payouts."""
        try:
            return await self._once(method, path, content=content, headers=headers), None, False
        except (TimeoutError, httpx.TransportError, httpx.DecodingError) as exc:
            return None, self._transport_error(exc), is_tls_failure(exc)
