"""Reconciliation by a person: a ``needs_reconciliation`` payout (past its key's retention with no
usable reference) is never sent automatically again; a person says what the provider holds.

* :meth:`Reconciler.found` — "found at the provider: payment id …": the payment is read (GET) and
  applied only if its amount, currency and reference match the payout and its id belongs to no
  other payout; then recorded (audited, ``reconciled``) and followed.
* :meth:`Reconciler.not_found` — "not at the provider" (the window asks twice): recorded (audited),
  then sent without a key and with the same body and reference, so a payout that did exist after
  all is replayed by the provider (the no-key ``externalId`` rule), not duplicated.
"""

from __future__ import annotations

import dataclasses

from payout_desk.domain.identity import describe_key
from payout_desk.domain.status import NEEDS_RECONCILIATION
from payout_desk.journal import PayoutJournal, PayoutRecord
from payout_desk.provider.client import PayoutsClient
from payout_desk.provider.errors import NotFoundError, ProviderError
from payout_desk.services.answer_check import check_payment
from payout_desk.services.poll import Notify, Poller, RateLimiter
from payout_desk.services.submit import Submitter

__all__ = ["OtherConnectionError", "ReconcileRefusedError", "Reconciler"]


class OtherConnectionError(ProviderError):
    """The payout belongs to another connection: this desk neither sends nor asks about it."""

    code = "other_connection"


class ReconcileRefusedError(ProviderError):
    """A reconciliation that cannot be applied (the payment does not match, is unknown, …);
    ``user_message`` says why. Nothing was changed."""

    code = "reconcile_refused"


class Reconciler:
    """The two decisions a person can take on a ``needs_reconciliation`` payout."""

    def __init__(
        self,
        journal: PayoutJournal,
        client: PayoutsClient,
        submitter: Submitter,
        poller: Poller,
        *,
        limiter: RateLimiter,
        actor: str,
        notify: Notify,
    ) -> None:
        self._journal = journal
        self._client = client
        self._submitter = submitter
        self._poller = poller
        self._limiter = limiter
        self._actor = actor
        self._notify = notify

    async def found(self, local_id: int, payment_id: str) -> PayoutRecord:
        """Verify ``payment_id`` by a GET and follow it; ReconcileRefusedError if it does not fit."""
        record = await self._reconcilable(local_id)
        payment_id = payment_id.strip()
        if not payment_id:
            raise ReconcileRefusedError("no payment id", user_message="Enter the payment id shown by the provider.")
        try:
            payment = await self._client.get_payout(payment_id, before_attempt=self._limiter.acquire_urgent)
        except NotFoundError as exc:
            message = f"The provider has no payment {payment_id} for this account. Check the id and try again."
            raise ReconcileRefusedError(exc.detail, user_message=message) from exc
        problems = check_payment(dataclasses.replace(record, payment_id=payment_id), payment)
        owner = await self._journal.payment_owner(payment_id)
        if owner is not None and owner != local_id:
            problems.append(f"payment id {payment_id!r} belongs to payout #{owner}")
        if problems:
            text = "; ".join(problems)
            message = f"That payment does not match this payout ({text}). Nothing was changed."
            raise ReconcileRefusedError(text, user_message=message)
        await self._journal.record_reconciled(
            local_id, decision=f"found:{payment_id}", reason="a person found it at the provider",
            actor=self._actor, back_to=NEEDS_RECONCILIATION,
        )  # fmt: skip
        updated = await self._journal.record_created(
            local_id, payment_id=payment.id, checkin_url=payment.url, status=payment.status, actor=self._actor
        )
        self._notify(updated, record.status, "created")
        if payment.failure_reason:  # already failed: the reason comes with this answer, not with a poll
            updated = await self._poller.apply(local_id, payment, source="refresh", previous=updated.status) or updated
        self._poller.follow(updated)
        return updated

    async def not_found(self, local_id: int, *, reason: str) -> PayoutRecord:
        """Record the person's decision, then send without a key, with the payout's reference."""
        record = await self._reconcilable(local_id)
        updated = await self._journal.record_reconciled(
            local_id, decision="not_found", reason=reason, actor=self._actor, back_to="outcome_unknown"
        )
        self._notify(updated, record.status, "reconciled")
        return await self._submitter.send(updated, without_reference=record.external_id is None)

    async def _reconcilable(self, local_id: int) -> PayoutRecord:
        record = await self._journal.get(local_id)
        if record.connection_id != self._submitter.connection_id:
            where = describe_key(record.connection_id)
            raise OtherConnectionError(
                f"payout {local_id} is bound to {record.connection_id!r}",
                user_message=f"This payout belongs to {where}. Switch to that profile to reconcile it.",
            )
        if record.status != NEEDS_RECONCILIATION:
            raise ReconcileRefusedError(
                f"payout {local_id} is {record.status}", user_message="This payout does not need reconciliation."
            )
        return record
