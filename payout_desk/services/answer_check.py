"""Checking a provider answer against the journaled payout (the rule is ``domain.answers``)."""

from __future__ import annotations

import json

from payout_desk.domain.answers import AnswerFields, Expected, answer_mismatches
from payout_desk.journal import PayoutRecord
from payout_desk.provider.models import Payment

__all__ = ["check_payment", "mismatch_message", "raw_answer"]


def check_payment(record: PayoutRecord, payment: Payment) -> list[str]:
    """Every difference between the journaled ``record`` and the provider's ``payment`` (its id
    too, once the journal knows it); empty when the answer fits."""
    expected = Expected(record.amount, record.currency, record.external_id, record.payment_id)
    answer = AnswerFields(payment.id, payment.amount, payment.currency, payment.external_id)
    return answer_mismatches(expected, answer)


def mismatch_message(problems: list[str]) -> str:
    """What a person reads about a refused answer: what differs and the next step."""
    return (
        "The provider answered with details that do not match this payout ("
        + "; ".join(problems)
        + "). Nothing more is done with it automatically. Check the payout in the provider's dashboard"
        " and contact the provider's support before doing anything else."
    )


def raw_answer(payment: Payment) -> str:
    """The answer as received (JSON text), for the journal."""
    return json.dumps(dict(payment.raw), ensure_ascii=False)
