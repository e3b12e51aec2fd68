"""A provider's failure reason (``failureReason``) in words a finance user understands, with the next
step. Pure. The code is always kept beside the words (staff quote it to support; scripts read it);
a code this version does not know is shown as it is.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["KNOWN_REASONS", "failure_text", "failure_words"]

#: code → (what happened, what to do next).
KNOWN_REASONS: Final[dict[str, tuple[str, str]]] = {
    "account_closed": (
        "The recipient's bank account is closed.",
        "Ask them for another account and send a new payout.",
    ),
    "declined_by_recipient": (
        "The recipient declined the payout on the checkin page.",
        "Check with them whether they expect it before sending a new payout.",
    ),
    "expired": (
        "The recipient did not enter their details in time (the checkin expired).",
        "Send a new payout, or copy its checkin link to them sooner.",
    ),
    "insufficient_funds": (
        "Your payout balance at the provider was too low.",
        "Top up the balance, then send a new payout.",
    ),
    "invalid_account": (
        "The bank does not recognise the recipient's account details.",
        "Ask the recipient to check them and send a new payout.",
    ),
    "account_blocked": (
        "The recipient's bank account is blocked.",
        "Ask them for another account and send a new payout.",
    ),
    "compliance_hold": (
        "The provider stopped the payout for a compliance check.",
        "Contact the provider's support with the payment id.",
    ),
}


def _visible(text: str) -> str:
    return "".join("\ufffd" if unicodedata.category(c) == "Cc" else c for c in text).strip()


def failure_words(code: str | None) -> str:
    """The sentence and next step for ``code`` ("" for none); an unknown code as it is."""
    if not code:
        return ""
    known = KNOWN_REASONS.get(code.strip().lower())
    if known is None:
        return _visible(code)
    return f"{known[0]} {known[1]}"


def failure_text(code: str | None) -> str:
    """The words with the code beside them, ``… (account_closed)``; an unknown code as it is."""
    if not code:
        return ""
    words = failure_words(code)
    shown = _visible(code)
    return words if words == shown else f"{words} ({shown})"
