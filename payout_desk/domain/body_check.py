"""The last look before a journaled payout is sent (audit F1). Pure.

The journal's columns (amount, currency, reference) are what the rules, the approvers and the history read;
the request body is what the provider reads. They were derived from each other at confirmation, but a body
naming a field twice reads one way to one parser and another way to the next (PostgreSQL's jsonb keeps the
last duplicate, some providers the first), and a body changed behind the desk's back says anything. So the
sender parses the body with a parser that refuses duplicate keys at any depth and compares it with the
columns: amount as the exact decimal text, currency, externalId, type, and the recipient (``customer.id`` and
``customer.name`` against the recipient columns the approvers saw; second audit, residue 1). Any disagreement:
not sent.

The body must also have the shape the desk writes (audit N1, :func:`body_shape_problems`): only the keys
``PayoutRequest.to_body`` writes, each of its type, ``customer`` with ``id``/``name`` only, ``metadata`` flat
text → text within the desk's own cap. A key the desk never writes (``"Amount"`` next to ``"amount"``, a
``webhookUrl`` inside ``customer``) reads one way to a provider that matches names case-insensitively and
another to the rules; the team database (migration 0020) refuses the same, this check catches bodies
journaled before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from payout_desk.domain.payout import MAX_METADATA_BYTES, metadata_size

__all__ = [
    "BODY_KEYS",
    "CUSTOMER_KEYS",
    "DuplicateKeyError",
    "body_disagreements",
    "body_shape_problems",
    "parse_body_once",
]


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


#: The top-level keys ``PayoutRequest.to_body`` writes, each with its JSON type ("string" or "object").
BODY_KEYS: Final = {
    "amount": "string",
    "currency": "string",
    "type": "string",
    "description": "string",
    "externalId": "string",
    "customer": "object",
    "metadata": "object",
    "redirectUrl": "string",
    "webhookUrl": "string",
}
#: The keys of ``customer`` the desk writes (both text).
CUSTOMER_KEYS: Final = frozenset({"id", "name"})


def _json_type(value: object) -> str:
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"


def _unknown(path: str, known: Iterable[str]) -> str:
    name = path.rsplit(".", 1)[-1]
    same = [k for k in sorted(known) if k.lower() == name.lower()]
    hint = f' (names are case-sensitive: the desk writes "{same[0]}")' if same else ""
    return f'"{path}": the desk never writes this key{hint}'


def body_shape_problems(body: dict[str, Any], *, compared: frozenset[str] = frozenset()) -> list[str]:
    """Where ``body`` (parsed once) is not shaped as the desk writes it, in words naming the key (audit N1).
    The types of the keys in ``compared`` are left to the caller, which compares their values itself."""
    problems = []
    for key, value in body.items():
        expected = BODY_KEYS.get(key)
        if expected is None:
            problems.append(_unknown(key, BODY_KEYS))
        elif key not in compared and _json_type(value) != expected:
            wanted = "text" if expected == "string" else "an object"
            problems.append(f'"{key}": must be {wanted}, not {_json_type(value)}')
    customer = body.get("customer")
    if isinstance(customer, dict):
        for key, value in customer.items():
            if key not in CUSTOMER_KEYS:
                problems.append(_unknown(f"customer.{key}", CUSTOMER_KEYS))
            elif not isinstance(value, str):
                problems.append(f'"customer.{key}": must be text, not {_json_type(value)}')
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        flat = True
        for key, value in metadata.items():
            if not isinstance(value, str):
                problems.append(f'"metadata.{key}": metadata values must be text, not {_json_type(value)}')
                flat = False
        if flat and metadata_size(metadata) > MAX_METADATA_BYTES:
            problems.append(
                f'"metadata": {metadata_size(metadata):,} bytes, the desk\'s limit is {MAX_METADATA_BYTES:,} bytes'
            )
    return problems


#: The keys :func:`body_disagreements` compares with the journal's columns (their type is part of that).
_COMPARED: Final = frozenset({"amount", "currency", "type", "externalId"})


def _recipient_problems(body: dict[str, Any], recipient_id: str | None, recipient_name: str | None) -> list[str]:
    """Where the body's ``customer`` is not the payout's recipient columns. ``PayoutRequest.to_body`` writes a
    part only when it is set, so an empty or missing column means the body names no such part."""
    customer = body.get("customer")
    parts = customer if isinstance(customer, dict) else {}
    problems = []
    for key, label, ours in (("id", "recipient ID", recipient_id), ("name", "recipient name", recipient_name)):
        said = parts.get(key)
        if said != (ours or None):
            problems.append(f"{label}: the body says {_words(said)}, the journal {_words(ours or None)}")
    return problems


def body_disagreements(
    request_body: str,
    *,
    amount: Decimal,
    currency: str,
    external_id: str | None,
    recipient_id: str | None,
    recipient_name: str | None,
) -> list[str]:
    """What keeps the body from being sent, in words (empty: it says exactly what the journal says)."""
    try:
        body = parse_body_once(request_body)
    except ValueError as exc:  # json.JSONDecodeError and DuplicateKeyError are ValueErrors
        return [f"the body cannot be read one way only ({exc})"]
    problems = body_shape_problems(body, compared=_COMPARED)
    if body.get("type") != "payout":
        problems.append(f'type: the body says {_words(body.get("type"))}, not "payout"')
    wire = body.get("amount")
    if not isinstance(wire, str) or wire != str(amount):
        problems.append(f"amount: the body says {_words(wire)}, the journal {amount}")
    if body.get("currency") != currency:
        problems.append(f"currency: the body says {_words(body.get('currency'))}, the journal {currency}")
    if body.get("externalId") != external_id:
        problems.append(f"reference: the body says {_words(body.get('externalId'))}, the journal {_words(external_id)}")
    problems.extend(_recipient_problems(body, recipient_id, recipient_name))
    return problems
