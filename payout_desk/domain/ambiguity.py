"""When an attempt to create a payout leaves it ambiguous — possibly created at the provider. Pure.

Only a connection failure proves nothing was sent: the connection was never made
(``ConnectError``, ``ConnectTimeout``) or never taken from the pool (``PoolTimeout``). Every other
failure — no answer after sending, a timeout while waiting, a dropped connection, an answer that
cannot be read or is too large, a 409 (the key is being processed), a 429 (some front end may
answer it after the request went on), a 5xx — may follow a create the provider committed. A
definitive 4xx (400, 401, 403, 404, 422) is an answer that nothing was created *by this request*;
it does not make a payout ambiguous, but it does not undo an earlier ambiguity either.

Once ambiguous, always ambiguous: a later 4xx (a revoked token, a 404, a 422) proves nothing about
the earlier attempt, so such a payout is never ``rejected``; it stays ``outcome_unknown`` and is
resent with its key until the provider answers with the payout.
"""

from __future__ import annotations

from typing import Final

__all__ = ["NOT_SENT_ERRORS", "attempt_is_ambiguous", "next_step_for"]

#: httpx exception names that prove the request never left this machine.
NOT_SENT_ERRORS: Final = frozenset({"ConnectError", "ConnectTimeout", "PoolTimeout"})
_ANSWERED_NOTHING_CREATED: Final = frozenset({400, 401, 403, 404, 422})


def attempt_is_ambiguous(status_code: int | None, error_kind: str | None) -> bool:
    """True when this create attempt may have created the payout without the app knowing it.

    ``status_code`` is the answer's HTTP status (None: no answer); ``error_kind`` names what went
    wrong (an exception class name such as ``ConnectError``, ``ReadTimeout``; or a protocol
    problem such as ``ProviderProtocolError``), None for a clean answer."""
    if status_code is None:
        return error_kind not in NOT_SENT_ERRORS
    if 200 <= status_code < 300:
        return error_kind is not None  # a 2xx that could not be read or was refused
    return status_code not in _ANSWERED_NOTHING_CREATED


def next_step_for(status_code: int | None) -> str:
    """The plain next step for a refusal that came after an ambiguous attempt."""
    if status_code in (401, 403):
        return (
            "The provider may already hold this payout from an earlier attempt, so it is not marked rejected. "
            "Fix the API token (Settings, Ctrl+,); the payout is then resent with the same key, which "
            "cannot pay twice."
        )
    return (
        "The provider may already hold this payout from an earlier attempt, so it is not marked rejected. "
        "It keeps being resent with the same key, which cannot pay twice; do not key it again."
    )
