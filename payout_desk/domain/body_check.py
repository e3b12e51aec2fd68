"""The last look before a journaled payout is sent (audit F1). Pure.

The journal's columns (amount, currency, reference) are what the rules, the approvers and the history read;
the request body is what the provider reads. They were derived from each other at confirmation, but a body
naming a field twice reads one way to one parser and another way to the next (PostgreSQL's jsonb keeps the
last duplicate, some providers the first), and a body changed behind the desk's back says anything. So the
sender parses the body with a parser that refuses duplicate keys at any depth and compares it with the
columns: amount as the exact decimal text, currency, externalId, type. Any disagreement: not sent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

__all__ = ["DuplicateKeyError", "body_disagreements", "parse_body_once"]


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice."""


def _once(pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKeyError(f'the key "{key}" appears twice')
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_body_once(text: str) -> dict[str, Any]:
    """The body as one JSON object; ValueError (DuplicateKeyError for a key named twice, at any depth) if it is
    not exactly that."""
    body = json.loads(text, object_pairs_hook=_once, parse_float=Decimal, parse_constant=_no_constant)
    if not isinstance(body, dict):
        raise ValueError("the body is not a JSON object")
    return body


def _words(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return f"the number {value} (not text)"
    return json.dumps(value, default=str, ensure_ascii=False)[:80]


def body_disagreements(request_body: str, *, amount: Decimal, currency: str, external_id: str | None) -> list[str]:
    """What keeps the body from being sent, in words (empty: it says exactly what the journal says)."""
    try:
        body = parse_body_once(request_body)
    except ValueError as exc:  # json.JSONDecodeError and DuplicateKeyError are ValueErrors
        return [f"the body cannot be read one way only ({exc})"]
    problems = []
    if body.get("type") != "payout":
        problems.append(f'type: the body says {_words(body.get("type"))}, not "payout"')
    wire = body.get("amount")
    if not isinstance(wire, str) or wire != str(amount):
        problems.append(f"amount: the body says {_words(wire)}, the journal {amount}")
    if body.get("currency") != currency:
        problems.append(f"currency: the body says {_words(body.get('currency'))}, the journal {currency}")
    if body.get("externalId") != external_id:
        problems.append(f"reference: the body says {_words(body.get('externalId'))}, the journal {_words(external_id)}")
    return problems
