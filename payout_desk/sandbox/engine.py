"""The sandbox's behaviour behind the routes: creation with idempotency, status changes, webhooks.

Everything here runs on the server's event loop; status changes happen synchronously inside
one call (no await between reading and writing a payment), so requests, the scheduler and the
control surface never race each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payout_desk.sandbox.errors import ApiError
from payout_desk.sandbox.store import Payment, Store, TokenRecord, new_payment_id
from payout_desk.sandbox.validation import PaymentRequest, fingerprint, validate_payment
from payout_desk.sandbox.webhook_delivery import DEFAULT_RETRY_SCHEDULE, WebhookDispatcher

logger = logging.getLogger(__name__)

FAILING_IBAN_SUFFIX = "0002"


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """How a sandbox behaves; the defaults are the SPEC's."""

    state_path: Path | None = None
    processing_seconds: float = 2.0
    checkin_expiry_seconds: float = 1800.0
    webhook_url: str | None = None
    webhook_retry_schedule: Sequence[float] = DEFAULT_RETRY_SCHEDULE
    idempotency_ttl_seconds: float = 86400.0


@dataclass(frozen=True, slots=True)
class CreateResult:
    """The answer to a create: 201 for a new payment, 200 (replayed) for a repeat."""

    status_code: int
    body: dict[str, Any]
    replayed: bool


def rfc3339(epoch: float) -> str:
    """``2025-05-27T14:25:00Z``: RFC 3339 UTC, whole seconds, as in the provider's example."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public_view(payment: Payment, *, as_created: bool = False) -> dict[str, Any]:
    """The payment object as the API returns it (``as_created``: the original creation response)."""
    status = "pending" if as_created else payment.status
    body: dict[str, Any] = {
        "id": payment.id,
        "status": status,
        "url": payment.url,
        "externalId": payment.external_id,
        "amount": payment.amount,
        "currency": payment.currency,
        "description": payment.description,
        "metadata": payment.metadata,
        "createdAt": rfc3339(payment.created_at),
    }
    if status == "failed" and payment.failure_reason is not None:
        body["failureReason"] = payment.failure_reason
    return body


def rebased(body: dict[str, Any], base_url: str | None) -> dict[str, Any]:
    """``body`` with its ``url`` on the sandbox's current base URL.

    SPEC: ``url`` is the hosted checkin page, and with ``--state`` payouts survive restarts. A
    restart may listen on another port (the app's embedded sandbox uses a free one), so the
    stored ``url`` would point nowhere: every answer re-roots it on the address the caller used.
    """
    if not base_url or not isinstance(body.get("id"), str):
        return body
    return {**body, "url": f"{base_url.rstrip('/')}/checkin/{body['id']}"}


def control_view(payment: Payment, base_url: str | None = None) -> dict[str, Any]:
    """The payment as ``GET /_sandbox/payments`` lists it: the public object and what is not echoed."""
    body = rebased(public_view(payment), base_url)
    body.update(
        {
            "type": payment.type,
            "merchantId": payment.merchant_id,
            "idempotencyKey": payment.idempotency_key,
            "customer": payment.customer,
            "redirectUrl": payment.redirect_url,
            "webhookUrl": payment.webhook_url,
            "checkin": payment.checkin,
            "failureReason": payment.failure_reason,
        }
    )
    return body


class SandboxEngine:
    """Creates and advances payments, holds in-flight idempotency keys and drives webhooks."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(config.state_path, idempotency_ttl_seconds=config.idempotency_ttl_seconds)
        self.webhooks = WebhookDispatcher(config.webhook_retry_schedule)
        self._in_flight: dict[tuple[str, str], str] = {}
        #: The base URL the API was last called on: webhooks carry the payment "as GET returns it".
        self.base_url: str | None = None
        self._wake: asyncio.Event | None = None
        self._scheduler: asyncio.Task[None] | None = None

    # --- lifecycle (the app's lifespan) -------------------------------------------------------

    async def start(self) -> None:
        """Start webhook delivery and the timer that expires and processes payments."""
        await self.webhooks.start()
        self._wake = asyncio.Event()
        self._scheduler = asyncio.get_running_loop().create_task(self._run_scheduler())

    async def stop(self) -> None:
        """Stop the timer and webhook delivery, close the store."""
        if self._scheduler is not None:
            self._scheduler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler
        await self.webhooks.aclose()
        self.store.close()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def _run_scheduler(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            try:
                self.settle_due()
            except Exception:  # keep the timer alive whatever one payment does
                logger.exception("sandbox scheduler failed")
            deadline = self.store.next_deadline()
            timeout = 60.0 if deadline is None else min(60.0, max(0.0, deadline - time.time()) + 0.005)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    def settle_due(self) -> None:
        """Expire and finish processing every payment whose time has come."""
        for payment_id in self.store.due_payment_ids(time.time()):
            payment = self.store.get_payment(payment_id)
            if payment is not None:
                self.settle(payment)

    # --- auth -------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> TokenRecord:
        """The token record for an ``Authorization: Bearer`` header, or a 401."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        record = self.store.lookup_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if record is None:
            raise ApiError(
                401,
                "unauthorized",
                "Missing, unknown or revoked token.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return record

    # --- create -----------------------------------------------------------------------------

    async def create(
        self,
        token: TokenRecord,
        body: dict[str, Any],
        idempotency_key: str | None,
        *,
        base_url: str,
        delay: float = 0.0,
    ) -> CreateResult:
        """Validate, then create or replay (the caller has done the 400/401/403 checks).

        Validation comes before idempotency: an invalid body is a 422 every time and never
        touches a key, so a caller that fixes its body may reuse the key; only a successful
        create is remembered and replayed (SPEC: a replay answers 200 with the original response).
        """
        self.base_url = base_url
        request = validate_payment(body)
        body_print = fingerprint(body)
        if idempotency_key is None:
            if delay > 0:
                await asyncio.sleep(delay)
            replay = self._external_id_replay(token.merchant_id, request, body_print)
            if replay is not None:
                return replay
            payment = self._commit(token, request, body_print, None, base_url)
            return CreateResult(201, public_view(payment, as_created=True), replayed=False)

        slot = (token.merchant_id, idempotency_key)
        done = self.store.get_idempotency(*slot)
        if done is not None:
            if done.fingerprint != body_print:
                raise _key_reused()
            return CreateResult(200, done.response, replayed=True)
        if slot in self._in_flight:
            # A different body is refused as key reuse even while the first is in flight: it could
            # never succeed, so 409 ("retry later") would only delay the same 422.
            if self._in_flight[slot] != body_print:
                raise _key_reused()
            raise ApiError(409, "idempotency_in_progress", "A request with this Idempotency-Key is in progress.")
        self._in_flight[slot] = body_print
        try:
            # The request is "in flight" from here until the commit: always yield once so
            # concurrent duplicates really meet the reservation; a `delay` fault stretches it.
            await asyncio.sleep(delay)
            payment = self._commit(token, request, body_print, idempotency_key, base_url)
        finally:
            del self._in_flight[slot]
        return CreateResult(201, public_view(payment, as_created=True), replayed=False)

    def _external_id_replay(self, merchant_id: str, request: PaymentRequest, body_print: str) -> CreateResult | None:
        """The SPEC's no-key rule: same externalId and same body replays; a different body is a 422."""
        if request.external_id is None:
            return None
        earlier = self.store.payments_by_external_id(merchant_id, request.external_id)
        for payment in earlier:
            if payment.fingerprint == body_print:
                return CreateResult(200, public_view(payment, as_created=True), replayed=True)
        if earlier:
            raise ApiError(
                422,
                "validation_error",
                "externalId is already used by another payment with a different body.",
                "externalId",
            )
        return None

    def _commit(
        self, token: TokenRecord, request: PaymentRequest, body_print: str, key: str | None, base_url: str
    ) -> Payment:
        now = time.time()
        payment_id = new_payment_id()
        payment = Payment(
            id=payment_id,
            merchant_id=token.merchant_id,
            token=token.token,
            type=request.type,
            status="pending",
            amount=request.amount,
            currency=request.currency,
            description=request.description,
            metadata=request.metadata,
            external_id=request.external_id,
            redirect_url=request.redirect_url,
            webhook_url=request.webhook_url,
            customer=request.customer,
            url=f"{base_url.rstrip('/')}/checkin/{payment_id}",
            fingerprint=body_print,
            idempotency_key=key,
            created_at=now,
            expires_at=now + self.config.checkin_expiry_seconds,
        )
        self.store.insert_payment(payment, public_view(payment, as_created=True))
        self._poke()
        return payment

    # --- reads ------------------------------------------------------------------------------

    def get_for_merchant(self, token: TokenRecord, payment_id: str) -> Payment:
        """This merchant's payment, brought up to date; another merchant's id is a 404 too."""
        payment = self.store.get_payment(payment_id)
        if payment is None or payment.merchant_id != token.merchant_id:
            raise ApiError(404, "not_found", f"No payment {payment_id} for this merchant.")
        return self.settle(payment)

    def get_any(self, payment_id: str) -> Payment | None:
        """Any merchant's payment (checkin page, control surface), brought up to date."""
        payment = self.store.get_payment(payment_id)
        return None if payment is None else self.settle(payment)

    def all_payments(self) -> list[Payment]:
        """Every payment held, brought up to date, oldest first."""
        self.settle_due()
        return self.store.list_payments()

    # --- status changes ---------------------------------------------------------------------

    def settle(self, payment: Payment) -> Payment:
        """Apply whatever time has decided: expiry of an open checkin, end of processing."""
        if payment.status != "pending":
            return payment
        now = time.time()
        if payment.checkin == "open" and now >= payment.expires_at:
            self._finalize(payment, "failed", "expired")
        elif payment.checkin == "submitted" and payment.process_at is not None and now >= payment.process_at:
            reason = payment.planned_reason
            self._finalize(payment, "failed" if reason else "succeeded", reason)
        return payment

    def submit_checkin(self, payment: Payment, holder_name: str, iban: str) -> None:
        """Record the recipient's details; the payout stays pending for the processing time."""
        payment.checkin = "submitted"
        payment.holder_name = holder_name
        payment.iban = iban
        payment.process_at = time.time() + self.config.processing_seconds
        payment.planned_reason = "account_closed" if iban.endswith(FAILING_IBAN_SUFFIX) else None
        self.store.update_payment(payment)
        self.settle(payment)
        self._poke()

    def decline_checkin(self, payment: Payment) -> None:
        """The recipient declined: failed / ``declined_by_recipient`` at once."""
        self._finalize(payment, "failed", "declined_by_recipient")

    def complete(self, payment: Payment, outcome: str, reason: str | None) -> Payment:
        """Finish a payout from the control surface (also: a succeeded one later failed, a bank return)."""
        allowed = payment.status == "pending" or (payment.status == "succeeded" and outcome == "failed")
        if not allowed:
            raise ApiError(409, "invalid_transition", f"A {payment.status} payment cannot become {outcome}.")
        if outcome == "succeeded":
            self._finalize(payment, "succeeded", None)
        else:
            self._finalize(payment, "failed", reason or "failed")
        return payment

    def _finalize(self, payment: Payment, status: str, reason: str | None) -> None:
        payment.status = status
        payment.failure_reason = reason if status == "failed" else None
        payment.checkin = "closed"
        self.store.update_payment(payment)
        url = payment.webhook_url or self.store.merchant_webhook_url(payment.merchant_id) or self.config.webhook_url
        if url is not None:
            self.webhooks.enqueue(url=url, key=payment.token, payload=rebased(public_view(payment), self.base_url))


def _key_reused() -> ApiError:
    return ApiError(422, "idempotency_key_reused", "This Idempotency-Key was used with a different request body.", None)
