"""Submitting a payout: journal first, then the network — and only ever with the journaled key.

1. :meth:`Submitter.confirm` writes the confirmed request, its exact JSON body and a fresh UUID v4
   Idempotency-Key to the journal; the journal commits before this returns, and nothing has been
   sent yet. If the app dies now, :mod:`recover` sends it at the next start.
2. :meth:`Submitter.send` sends the *stored* body with the *stored* key (never a new key, never a
   re-serialised body), and only for a payout bound to this submitter's connection. Before every
   request an ``attempt_started`` record is committed; after it the attempt is journaled (key,
   status code, duration, error) and classified (``domain.ambiguity``): an attempt that may have
   reached the provider unanswered makes the payout ambiguous for good. The outcome is journaled
   too: ``created`` (with the provider's id and status, once the answer is checked against the
   journal — ``domain.answers``; a different amount, currency, reference or id is ``mismatch``),
   ``rejected`` (a definitive 4xx, only when no attempt was ambiguous; never resent) or
   ``outcome_unknown`` (resent later, same key — also a 4xx after an ambiguous attempt).

A send runs in a task the submitter owns: a caller that stops waiting (a closed window) does not
cancel the request, and a second send of the same payout while one is running joins the first
instead of racing it.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from payout_desk.domain.ambiguity import attempt_is_ambiguous, next_step_for
from payout_desk.domain.payout import PayoutRequest
from payout_desk.domain.retention import DEFAULT_RETENTION_SECONDS, key_is_fresh
from payout_desk.domain.status import CONFIRMED, OUTCOME_UNKNOWN
from payout_desk.journal import PaymentIdTakenError, PayoutJournal, PayoutRecord
from payout_desk.journal.history import from_micros
from payout_desk.journal.models import LeaseLostError
from payout_desk.provider.client import PayoutsClient
from payout_desk.provider.errors import (
    IdempotencyKeyReusedError,
    OutcomeUnknownError,
    ProviderError,
    RejectedError,
    ValidationRejectedError,
)
from payout_desk.provider.models import Attempt, Payment
from payout_desk.services.answer_check import check_payment, mismatch_message, raw_answer
from payout_desk.services.poll import Notify, RateLimiter

__all__ = ["UNSENT_STATUSES", "Submitter", "new_idempotency_key"]

log = logging.getLogger("payout_desk.services.submit")

#: Statuses of a journaled payout the provider has not definitively answered.
UNSENT_STATUSES = frozenset({CONFIRMED, OUTCOME_UNKNOWN})


def new_idempotency_key() -> str:
    """A fresh bare UUID v4, as the provider asks for."""
    return str(uuid.uuid4())


#: What a person reads when a payout cannot be resent safely without its key.
NO_REFERENCE = (
    "This payout was first sent longer ago than the provider keeps its sending key, and it has no "
    "reference (External ID), so sending it again could pay twice. Check the provider's dashboard: "
    "if the payout is there, enter its payment id; if it is not, confirm that it should be sent."
)
REFERENCE_TAKEN = (
    "The provider already holds a payout with this reference (External ID) but with other details, "
    "so this one was not sent again. Check the provider's dashboard: if this payout is there, enter "
    "its payment id; otherwise contact the provider's support before sending it."
)


class _KeyExpiredError(Exception):
    """Raised before an attempt whose key would be past the retention (stops the client's retries)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Submitter:
    """Confirms payouts into the journal and sends journaled payouts to the provider."""

    def __init__(
        self,
        journal: PayoutJournal,
        client: PayoutsClient,
        *,
        environment: str,
        profile: str,
        actor: str,
        notify: Notify,
        connection_id: str,
        limiter: RateLimiter | None = None,
        retention: float | None = DEFAULT_RETENTION_SECONDS,
        wall_clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        #: The provider's key retention in seconds (None: unknown, every resend goes without the key).
        self.retention = retention
        self._wall_clock = wall_clock
        self._journal = journal
        self._client = client
        self._environment = environment
        self._profile = profile
        self.connection_id = connection_id
        self._actor = actor
        self._notify = notify
        self._limiter = limiter
        self._in_flight: dict[int, asyncio.Task[PayoutRecord]] = {}

    def is_in_flight(self, local_id: int) -> bool:
        """True while a send of ``local_id`` is running."""
        task = self._in_flight.get(local_id)
        return task is not None and not task.done()

    async def confirm(self, request: PayoutRequest, *, duplicates_shown: Sequence[int] = ()) -> PayoutRecord:
        """Journal ``request`` as ``confirmed`` with a fresh key; committed when this returns.
        ``duplicates_shown``: near-duplicates the person was warned about and sent anyway."""
        key = new_idempotency_key()
        record = await self._journal.record_confirmed(
            request,
            idempotency_key=key,
            environment=self._environment,
            profile=self._profile,
            actor=self._actor,
            connection_id=self.connection_id,
            duplicates_shown=duplicates_shown,
        )
        log.info("payout %s confirmed (key %s, %s %s)", record.local_id, key, record.amount, record.currency)
        self._notify(record, None, "confirmed")
        return record

    async def send(self, record: PayoutRecord, *, urgent: bool = True, without_reference: bool = False) -> PayoutRecord:
        """Send the journaled ``record`` (its stored body and key) and return the updated record.

        Never raises for provider faults: the record's status says what happened. A record that
        is no longer unsent (created, rejected) is returned as the journal has it. ``urgent``
        (a person is waiting) lets the attempts go ahead of background polls in the rate limiter.
        """
        task = self._in_flight.get(record.local_id)
        if task is None or task.done():
            coro = self._send(record, urgent=urgent, without_reference=without_reference)
            task = asyncio.get_running_loop().create_task(coro, name=f"send-{record.local_id}")
            self._in_flight[record.local_id] = task
            task.add_done_callback(functools.partial(self._done, record.local_id))
        return await asyncio.shield(task)

    def _done(self, local_id: int, task: asyncio.Task[PayoutRecord]) -> None:
        if self._in_flight.get(local_id) is task:
            del self._in_flight[local_id]

    async def cancel_all(self) -> None:
        """Cancel running sends (app shutdown): their payouts stay unsent and are resent at the
        next start with the same key."""
        tasks = list(self._in_flight.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # already logged by _send; shutdown goes on
                log.debug("send task ended with an error during shutdown", exc_info=True)

    def key_is_fresh(self, first_attempt_at: int | None) -> bool:
        """May a request still carry the key of a payout first attempted at ``first_attempt_at``
        (journal microseconds)? See ``domain.retention``."""
        first = None if first_attempt_at is None else from_micros(first_attempt_at)
        return key_is_fresh(first, self._wall_clock(), self.retention)

    async def _send(self, stale: PayoutRecord, *, urgent: bool, without_reference: bool = False) -> PayoutRecord:
        local_id = stale.local_id
        record = await self._journal.get(local_id)  # the journal's word, not a caller's copy
        if record.status not in UNSENT_STATUSES:
            return record
        if record.connection_id != self.connection_id:
            log.warning("payout %s belongs to another connection; not sent on this one", local_id)
            return record
        if record.attempt_open:
            record = await self._journal.mark_ambiguous(
                local_id, reason="an attempt was under way when the app stopped", actor=self._actor
            )
        keyed = self.key_is_fresh(record.first_attempt_at)
        while True:
            if not keyed and record.external_id is None and not without_reference:
                return await self._needs_reconciliation(record, NO_REFERENCE)
            try:
                return await self._attempts(record, keyed=keyed, urgent=urgent)
            except _KeyExpiredError:  # the retention ran out between two attempts: on without the key
                log.warning("payout %s: its key passed the provider's retention; resending without it", local_id)
                record, keyed = await self._journal.get(local_id), False

    async def _attempts(self, record: PayoutRecord, *, keyed: bool, urgent: bool) -> PayoutRecord:
        """One round of attempts (the client's retries), with the key while it is fresh."""
        local_id = record.local_id
        key, body = (record.idempotency_key if keyed else None), record.request_body
        number = 0
        first = record.first_attempt_at

        async def before() -> None:
            nonlocal number, first
            if self._limiter is not None:
                await (self._limiter.acquire_urgent() if urgent else self._limiter.acquire())
            if keyed and not self.key_is_fresh(first):
                raise _KeyExpiredError
            number += 1
            started = await self._journal.record_attempt_started(
                local_id, number=number, actor=self._actor, keyed=keyed
            )
            first = started.first_attempt_at

        async def on_attempt(attempt: Attempt) -> None:
            ambiguous = attempt_is_ambiguous(attempt.status_code, attempt.error_kind)
            await self._journal.record_attempt(local_id, attempt, actor=self._actor, ambiguous=ambiguous)
            current = await self._journal.get(local_id)
            self._notify(current, current.status, "attempt")

        try:
            result = await self._client.create_payout(body, key, on_attempt, before_attempt=before)
        except _KeyExpiredError:
            raise
        except RejectedError as exc:
            if key is None and isinstance(exc, ValidationRejectedError) and exc.field == "externalId":
                return await self._needs_reconciliation(record, REFERENCE_TAKEN)
            return await self._refused(record, exc)
        except OutcomeUnknownError as exc:
            return await self._unknown(record, exc.detail)
        except ProviderError as exc:  # not expected from create_payout; handled the safe way
            return await self._unknown(record, exc.detail)
        except LeaseLostError:  # an agent's claim was taken over: nothing more is written, the new holder sends
            raise
        except Exception as exc:
            log.exception("payout %s: unexpected error while sending; it stays unsent", local_id)
            return await self._unknown(record, self._client.scrub(f"{type(exc).__name__}: {exc}"))
        payment = result.payment
        problems = check_payment(record, payment)
        if problems:
            return await self._mismatch(record, payment, problems)
        try:
            updated = await self._journal.record_created(
                local_id, payment_id=payment.id, checkin_url=payment.url, status=payment.status, actor=self._actor
            )
        except PaymentIdTakenError as exc:
            return await self._mismatch(record, payment, [f"payment id {payment.id!r} belongs to payout {exc.owner}"])
        log.info(
            "payout %s %s as %s (status %s)",
            local_id,
            "replayed" if result.replayed else "created",
            payment.id,
            payment.status,
        )
        self._notify(updated, record.status, "created")
        return updated

    async def _refused(self, record: PayoutRecord, exc: RejectedError) -> PayoutRecord:
        """A definitive 4xx: ``rejected`` — unless an attempt was ambiguous, then it may exist."""
        local_id = record.local_id
        if isinstance(exc, IdempotencyKeyReusedError):
            log.error(
                "payout %s: key %s reused with a different body?! Journal body kept as is.",
                local_id,
                record.idempotency_key,
            )
        message = exc.user_message
        if exc.provider_message and exc.provider_message not in message:
            message = f"{message} (The provider said: {exc.provider_message})"
        current = await self._journal.get(local_id)
        if current.ambiguous:
            log.warning("payout %s: %s after an ambiguous attempt; it stays outcome unknown", local_id, exc.detail)
            return await self._unknown(record, f"{message} {next_step_for(exc.status)}")
        log.warning("payout %s rejected by the provider: %s", local_id, exc.detail)
        updated = await self._journal.record_rejected(local_id, code=exc.code, message=message, actor=self._actor)
        self._notify(updated, record.status, "rejected")
        return updated

    async def _mismatch(self, record: PayoutRecord, payment: Payment, problems: list[str]) -> PayoutRecord:
        log.error("payout %s: the provider's answer does not match the journal: %s", record.local_id, problems)
        updated = await self._journal.record_mismatch(
            record.local_id,
            problems=problems,
            answer=raw_answer(payment),
            source="create",
            message=mismatch_message(problems),
            actor=self._actor,
        )
        self._notify(updated, record.status, "mismatch")
        return updated

    async def _needs_reconciliation(self, record: PayoutRecord, message: str) -> PayoutRecord:
        log.warning("payout %s needs reconciliation by a person: %s", record.local_id, message)
        updated = await self._journal.record_needs_reconciliation(record.local_id, message=message, actor=self._actor)
        self._notify(updated, record.status, "needs_reconciliation")
        return updated

    async def _unknown(self, record: PayoutRecord, message: str) -> PayoutRecord:
        updated = await self._journal.record_outcome_unknown(record.local_id, message=message, actor=self._actor)
        log.warning(
            "payout %s: outcome unknown (%s); it will be resent with key %s",
            record.local_id,
            message,
            record.idempotency_key,
        )
        self._notify(updated, record.status, "outcome_unknown")
        return updated
