"""A payout the team's agent held back (audit F1): its journaled request body disagreed with the payout's columns,
so nothing was sent and the payout waits for a person (``needs_reconciliation``). Pure text, both ways: the agent
journals :func:`held_back_message`; the desk turns that message back into plain words and the next step with
:func:`held_back_words`. No I/O, no Qt."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

__all__ = ["HELD_BACK_PREFIX", "held_back_message", "held_back_problems", "held_back_words"]

HELD_BACK_PREFIX: Final = "Not sent: the journaled request body does not say what this payout's journal says ("
_HELD_BACK_END: Final = "). Nothing went to the provider for this attempt; a person must look at the payout."

_FIELDS: Final = {
    "amount": "the amount",
    "currency": "the currency",
    "reference": "the reference",
    "recipient ID": "the recipient ID",
    "recipient name": "the recipient name",
}
_SAYS = re.compile(
    r"^(?P<field>amount|currency|reference|recipient ID|recipient name): the body says (?P<body>.+), "
    r"the journal (?P<ours>.+)$"
)
_TYPE = re.compile(r"^type: the body says (?P<body>.+), not \"payout\"$")
_UNREADABLE = re.compile(r"^the body cannot be read one way only \((?P<why>.+)\)$")


def held_back_message(problems: Sequence[str]) -> str:
    """What the agent journals (``last_error`` and the ``needs_reconciliation`` event) for a body it held back;
    ``problems`` as :func:`payout_desk.domain.body_check.body_disagreements` words them."""
    return HELD_BACK_PREFIX + "; ".join(problems) + _HELD_BACK_END


def held_back_problems(message: str | None) -> list[str] | None:
    """The disagreements of a :func:`held_back_message`; None for any other message."""
    if not message or not message.startswith(HELD_BACK_PREFIX) or not message.endswith(_HELD_BACK_END):
        return None
    inner = message[len(HELD_BACK_PREFIX) : -len(_HELD_BACK_END)]
    return [part for part in inner.split("; ") if part]


def _plain(problem: str) -> str:
    if found := _SAYS.match(problem):
        field = _FIELDS[found["field"]]
        return f"its saved request says {field} {found['body']} where the payout says {found['ours']}"
    if found := _TYPE.match(problem):
        return f'its saved request says it is {found["body"]} where a payout says "payout"'
    if found := _UNREADABLE.match(problem):
        return f"its saved request can be read in more than one way ({found['why']})"
    return f"its saved request disagrees with the payout ({problem})"


def held_back_words(message: str | None, local_id: int, *, attempted_before: bool = False) -> str | None:
    """What happened and the next step, for a person on the desk; None when ``message`` is no hold-back.

    ``attempted_before``: an earlier attempt went out (before the request was changed), so the provider may
    hold the payout from then."""
    problems = held_back_problems(message)
    if problems is None:
        return None
    said = "; ".join(_plain(p) for p in problems) or "its saved request disagrees with the payout"
    nothing = (
        "Nothing was sent this time (an earlier attempt went out before: the provider may hold that one)."
        if attempted_before
        else "Nothing was sent."
    )
    return (
        f"The agent did not send this payout: {said}. {nothing} An administrator decides: "
        f"payout-desk-admin reconcile {local_id} --not-found --reason … to have it sent again (the agent checks "
        "its saved request again first and holds it back again while it disagrees), or a preparer records the "
        f"payment the provider holds: payout-desk-admin reconcile {local_id} --found PAYMENT_ID --reason …"
    )
