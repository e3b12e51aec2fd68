"""The words for a payout the team's agent held back: the agent's message read back into plain words."""

from __future__ import annotations

from decimal import Decimal

from payout_desk.domain.body_check import body_disagreements
from payout_desk.domain.held_back import held_back_message, held_back_problems, held_back_words

BODY = '{"type":"payout","amount":"1.00","currency":"EUR","externalId":"REF-1"}'


def _problems(body: str) -> list[str]:
    return body_disagreements(
        body, amount=Decimal("1.00"), currency="EUR", external_id="REF-1", recipient_id=None, recipient_name=None
    )


def test_the_message_round_trips() -> None:
    problems = _problems(BODY.replace('"1.00"', '"15000.00"').replace("REF-1", "REF-2"))
    assert len(problems) == 2
    assert held_back_problems(held_back_message(problems)) == problems


def test_each_disagreement_in_words() -> None:
    changed = BODY.replace('"1.00"', '"15000.00"').replace('"EUR"', '"USD"').replace('"payout"', '"refund"')
    words = held_back_words(held_back_message(_problems(changed)), 7)
    assert words is not None
    assert words.startswith(
        'The agent did not send this payout: its saved request says it is "refund" where a payout says "payout"; '
        'its saved request says the amount "15000.00" where the payout says 1.00; its saved request says the '
        'currency "USD" where the payout says EUR. Nothing was sent. An administrator decides: payout-desk-admin '
        "reconcile 7 --not-found --reason …"
    )
    assert words.endswith("payout-desk-admin reconcile 7 --found PAYMENT_ID --reason …")


def test_a_key_named_twice_and_an_earlier_attempt() -> None:
    twice = BODY.replace('"amount":"1.00"', '"amount":"15000.00","amount":"1.00"')
    words = held_back_words(held_back_message(_problems(twice)), 3, attempted_before=True)
    assert words is not None
    assert 'its saved request can be read in more than one way (the key "amount" appears twice)' in words
    assert "Nothing was sent this time (an earlier attempt went out before: the provider may hold that one)." in words


def test_other_messages_are_not_a_hold_back() -> None:
    assert held_back_words(None, 1) is None
    assert held_back_words("past the key's retention", 1) is None
    assert held_back_problems("Not sent: something else") is None


def test_a_recipient_other_than_the_one_approved_in_words() -> None:
    changed = BODY.replace("}", ',"customer":{"id":"cus_9","name":"Mallory"}}')
    problems = body_disagreements(
        changed, amount=Decimal("1.00"), currency="EUR", external_id="REF-1", recipient_id="cus_1",
        recipient_name="Anna Müller",
    )  # fmt: skip
    words = held_back_words(held_back_message(problems), 4)
    assert words is not None
    assert words.startswith(
        'The agent did not send this payout: its saved request says the recipient ID "cus_9" where the payout says '
        '"cus_1"; its saved request says the recipient name "Mallory" where the payout says "Anna Müller". '
    )
