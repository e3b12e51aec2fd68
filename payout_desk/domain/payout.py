"""The payout request: what a person typed (:class:`PayoutDraft`) validated into an immutable
:class:`PayoutRequest`, whose :meth:`~PayoutRequest.body_json` is the exact text journaled and sent.

Decisions where the SPEC is silent (all documented in messages a finance user can act on):

* Every text field is trimmed of surrounding whitespace; empty after trimming → omitted (None).
* Control characters (Unicode Cc: tab, newline, NUL, …), line/paragraph separators (U+2028/9) and
  unpaired surrogates are rejected in every field, never stripped: what is sent is what was typed.
* Lengths are "characters" as the provider may count them: UTF-16 code units (an emoji counts 2),
  which is never less than Python's code-point count — so the provider cannot refuse on length.
* ``customer.id`` and ``customer.name`` are at most 255 characters each, like ``externalId``.
* Metadata rows with both key and value empty are ignored (blank editor rows); a value may be empty;
  keys are trimmed and must be non-empty and unique (case-sensitive, as JSON keys are).
* URLs: absolute ``https`` with a host; ``http`` only for loopback hosts (127.0.0.0/8, ::1,
  localhost); no ``user:password@`` part (it would be stored in the journal and can disguise the
  real host); at most 2048 UTF-8 bytes (the seed says "2KB"; never more than 2048 characters).
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from payout_desk.domain.money import (
    AmountError,
    Currency,
    UnknownCurrencyError,
    _parse_text,
    amount_to_wire,
    currency,
)

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_URL_LENGTH",
    "FieldError",
    "FrozenMetadata",
    "PayoutDraft",
    "PayoutRequest",
    "canonical_json",
    "metadata_size",
    "text_length",
    "validate_draft",
]

MAX_TEXT_LENGTH = 255
MAX_METADATA_BYTES = 4096
MAX_URL_LENGTH = 2048
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
_BAD_HOST_CHARS = frozenset(' <>"{}|\\^`%@/?#')


@dataclass(frozen=True)
class FieldError:
    """One broken rule. ``field`` is the wire name (amount, currency, description, metadata,
    externalId, customer.id, customer.name, redirectUrl, webhookUrl); ``message`` a sentence that
    starts with the field's label, e.g. ``"Amount: EUR allows at most 2 decimal places."``."""

    field: str
    message: str


@dataclass(frozen=True)
class PayoutDraft:
    """What a person typed, all text, unvalidated. ``metadata`` is (key, value) rows in order."""

    amount: str
    currency: str
    description: str = ""
    recipient_id: str = ""
    recipient_name: str = ""
    external_id: str = ""
    metadata: tuple[tuple[str, str], ...] = ()
    webhook_url: str = ""
    redirect_url: str = ""


class FrozenMetadata(Mapping[str, str]):
    """A read-only, hashable, picklable str → str mapping (a validated request's metadata).

    Not a ``dict``: use ``dict(m)`` (or :meth:`PayoutRequest.to_body`) before ``json.dumps``."""

    __slots__ = ("_data",)

    def __init__(self, items: Mapping[str, str] | None = None) -> None:
        self._data: dict[str, str] = dict(items or {})

    def __getitem__(self, key: str) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMetadata({self._data!r})"


def canonical_json(obj: object) -> str:
    """Compact canonical JSON: sorted keys, no spaces, non-ASCII kept as is."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class PayoutRequest:
    """A validated payout; immutable. Build it with :func:`validate_draft`.

    ``amount`` is exact and within the currency's minor units; ``metadata`` is read-only."""

    amount: Decimal
    currency: Currency
    description: str | None
    external_id: str | None
    recipient_id: str | None
    recipient_name: str | None
    metadata: Mapping[str, str] | None
    redirect_url: str | None
    webhook_url: str | None

    def to_body(self) -> dict[str, Any]:
        """The SPEC body: ``amount`` (via :func:`amount_to_wire`), ``currency``, ``type: "payout"``,
        then each optional field only when set; ``customer`` holds only the parts given."""
        body: dict[str, Any] = {
            "amount": amount_to_wire(self.amount, self.currency),
            "currency": self.currency.code,
            "type": "payout",
        }
        optional: dict[str, Any] = {
            "description": self.description,
            "externalId": self.external_id,
            "metadata": dict(self.metadata) if self.metadata else None,
            "redirectUrl": self.redirect_url,
            "webhookUrl": self.webhook_url,
        }
        customer = {k: v for k, v in (("id", self.recipient_id), ("name", self.recipient_name)) if v}
        if customer:
            optional["customer"] = customer
        body.update((k, v) for k, v in optional.items() if v)
        return body

    def body_json(self) -> str:
        """Canonical compact JSON of :meth:`to_body` (``sort_keys``, ``(",", ":")``, UTF-8 text):
        journaled once and sent byte for byte (``.encode("utf-8")``) on every retry."""
        return canonical_json(self.to_body())


def metadata_size(metadata: Mapping[str, str]) -> int:
    """Serialized size in bytes as the SPEC counts it: compact JSON, UTF-8, non-ASCII unescaped."""
    return len(json.dumps(dict(metadata), separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def text_length(text: str) -> int:
    """Length in UTF-16 code units (how JavaScript and most APIs count "characters")."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _unsendable(text: str) -> str | None:
    """Why this text cannot be sent as typed, or None."""
    for char in text:
        category = unicodedata.category(char)
        if category == "Cs":
            return "contains a broken character; please retype it"
        if category == "Cc" or char in "\u2028\u2029":
            return "remove line breaks, tabs and other control characters"
    return None


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, label: str, message: str) -> None:
        self.errors.append(FieldError(field, f"{label}: {message}"))

    def text(self, value: str, field: str, label: str, limit: int | None = MAX_TEXT_LENGTH) -> str | None:
        """Trimmed optional text, or None when empty or broken (an error is recorded)."""
        value = value.strip() if isinstance(value, str) else ""
        if not value:
            return None
        problem = _unsendable(value)
        if problem:
            self.add(field, label, f"{problem}.")
            return None
        length = text_length(value)
        if limit is not None and length > limit:
            wide = " — emoji and some other symbols count as two" if length != len(value) else ""
            self.add(field, label, f"use at most {limit} characters (this has {length}{wide}).")
            return None
        return value

    def url(self, value: str, field: str, label: str) -> str | None:
        checked = self.text(value, field, label, limit=None)
        if checked is None:
            return None
        problem = _url_problem(checked)
        if problem:
            self.add(field, label, problem)
            return None
        return checked


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(url: str) -> str | None:
    if any(char.isspace() for char in url):
        return "a web address cannot contain spaces."
    if len(url.encode("utf-8")) > MAX_URL_LENGTH:
        return f"the address is too long (at most {MAX_URL_LENGTH:,} characters)."
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return "enter a complete web address such as https://example.com/return."
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.netloc or not host:
        return "enter a complete web address starting with https://."
    if parts.username is not None or parts.password is not None:
        return "remove the user name or password from the address."
    if any(char in _BAD_HOST_CHARS for char in host) or host.startswith(".") or ".." in host:
        return "the address has an invalid host name."
    if scheme == "http" and not _is_loopback(host):
        return "the address must start with https:// (http is only allowed for this computer)."
    return None


def _metadata(rows: tuple[tuple[str, str], ...], out: _Collector) -> Mapping[str, str] | None:
    label = "Metadata"
    result: dict[str, str] = {}
    reported: set[str] = set()
    ok = True
    for number, row in enumerate(rows, start=1):
        try:
            raw_key, raw_value = row
        except (TypeError, ValueError):
            out.add("metadata", label, f"row {number} must be a key and a value.")
            ok = False
            continue
        key = raw_key.strip() if isinstance(raw_key, str) else ""
        value = raw_value.strip() if isinstance(raw_value, str) else ""
        if not key and not value:
            continue
        if not key:
            out.add("metadata", label, f"row {number} has a value but no key; enter a key.")
            ok = False
            continue
        problem = _unsendable(key) or _unsendable(value)
        if problem:
            out.add("metadata", label, f'in "{key}", {problem}.')
            ok = False
            continue
        if key in result:
            if key not in reported:
                out.add("metadata", label, f'the key "{key}" is used more than once.')
                reported.add(key)
            ok = False
            continue
        result[key] = value
    if not ok or not result:
        return None
    size = metadata_size(result)
    if size > MAX_METADATA_BYTES:
        out.add(
            "metadata",
            label,
            f"too large — {size:,} bytes, the limit is {MAX_METADATA_BYTES:,} bytes"
            " (letters outside A-Z can take 2-4 bytes each).",
        )
        return None
    return FrozenMetadata(result)


def _currency(text: str, out: _Collector) -> Currency | None:
    code = text.strip() if isinstance(text, str) else ""
    if not code:
        out.add("currency", "Currency", "choose a currency.")
        return None
    if not _CURRENCY_RE.fullmatch(code):
        out.add("currency", "Currency", "use a three-letter ISO 4217 code in capitals, e.g. EUR.")
        return None
    try:
        return currency(code)
    except UnknownCurrencyError:
        out.add("currency", "Currency", "choose a currency from the list.")
        return None


def validate_draft(draft: PayoutDraft, *, decimal_separators: str = ".") -> PayoutRequest | list[FieldError]:
    """Validate every field of ``draft`` against the SPEC; a :class:`PayoutRequest`, or ALL the
    :class:`FieldError` s at once, in form order. Never raises for any draft content
    (``ValueError`` only for an unusable ``decimal_separators``, a programming error)."""
    out = _Collector()
    cur = _currency(draft.currency, out)
    amount: Decimal | None = None
    try:
        amount = _parse_text(
            draft.amount,
            cur.minor_units if cur else None,
            cur.code if cur else "",
            decimal_separators,
        )
    except AmountError as exc:
        out.errors.insert(0, FieldError("amount", str(exc)))
    description = out.text(draft.description, "description", "Description")
    recipient_id = out.text(draft.recipient_id, "customer.id", "Recipient ID")
    recipient_name = out.text(draft.recipient_name, "customer.name", "Recipient name")
    external_id = out.text(draft.external_id, "externalId", "External ID")
    metadata = _metadata(draft.metadata, out)
    redirect_url = out.url(draft.redirect_url, "redirectUrl", "Redirect URL")
    webhook_url = out.url(draft.webhook_url, "webhookUrl", "Webhook URL")
    if out.errors or amount is None or cur is None:
        return out.errors or [FieldError("amount", "Amount: enter an amount.")]
    return PayoutRequest(
        amount=amount,
        currency=cur,
        description=description,
        external_id=external_id,
        recipient_id=recipient_id,
        recipient_name=recipient_name,
        metadata=metadata,
        redirect_url=redirect_url,
        webhook_url=webhook_url,
    )
