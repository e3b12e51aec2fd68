"""The "also in the body" fields of an approval, sorted for the approver (second audit N7). Pure.

:func:`~payout_desk.domain.approvals.other_body_fields` lists every field the approval's hash covers that the
dialog has no line of its own for. Listed in body order, 200 metadata entries buried a ``webhookUrl`` (or a
second ``"Amount"``) below the screen's edge. :func:`group_body_fields` puts them in three groups:

* ``dangerous`` first, each with why: where the provider sends payout events (``webhookUrl``), where the payee
  is sent after the checkin (``redirectUrl``, unless it is the desk's own return address), a ``type`` other
  than "payout", and any field the desk never writes (``"Amount"``, ``customer.iban``, a nested metadata value);
* ``metadata``: the flat text entries, which the dialog shows in a bounded box with their count;
* ``other``: the rest (``customer.id`` when a name is shown, the desk's own ``redirectUrl``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from payout_desk.domain.approvals import other_body_fields
from payout_desk.domain.body_check import BODY_KEYS, CUSTOMER_KEYS

__all__ = ["BodyFieldGroups", "group_body_fields"]

_WHY = {
    "webhookUrl": "the provider sends this payout's events to this address",
    "redirectUrl": "the payee is sent to this address after the checkin",
    "type": 'not a payout: the desk always writes "payout"',
}
_NEVER = "a field the desk never writes"


@dataclass(frozen=True)
class BodyFieldGroups:
    """(wire name, value) pairs; ``dangerous`` as (wire name, value, why)."""

    dangerous: list[tuple[str, str, str]] = field(default_factory=list)
    metadata: list[tuple[str, str]] = field(default_factory=list)
    other: list[tuple[str, str]] = field(default_factory=list)


def _flat_metadata(body_json: str) -> dict[str, str]:
    try:
        body = json.loads(body_json)
    except ValueError:
        return {}
    metadata = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        return {}
    return {k: v for k, v in metadata.items() if isinstance(v, str)}


def _never_written(name: str) -> bool:
    top, _, inner = name.partition(".")
    if top not in BODY_KEYS:
        return True
    if top == "customer":
        return inner not in CUSTOMER_KEYS
    return top == "metadata"  # a metadata entry that is not flat text (the flat ones are sorted out first)


def group_body_fields(body_json: str, *, own_redirect: str | None = None) -> BodyFieldGroups:
    """The approval's other body fields in three groups (see the module); ``own_redirect`` is the desk's own
    checkin return address, which is no danger."""
    groups = BodyFieldGroups()
    flat = _flat_metadata(body_json)
    for name, value in other_body_fields(body_json):
        key = name.removeprefix("metadata.")
        if name.startswith("metadata.") and flat.get(key) == value:
            groups.metadata.append((key, value))
        elif name == "redirectUrl" and own_redirect is not None and value == own_redirect:
            groups.other.append((name, value))
        elif name in _WHY:
            groups.dangerous.append((name, value, _WHY[name]))
        elif name == "body" or _never_written(name):
            groups.dangerous.append((name, value, _NEVER if name != "body" else "the body is not one JSON object"))
        else:
            groups.other.append((name, value))
    return groups
