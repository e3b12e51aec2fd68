"""The sandbox's request rules: the SPEC's body table, Idempotency-Key, URLs, IBANs, canonical JSON.

Written independently of ``payout_desk.domain`` on purpose: the app's own rules are tested against
this sandbox, so the two must not share code.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import iso4217

from payout_desk.sandbox.errors import ApiError

AMOUNT_RE = re.compile(r"^[0-9]+(\.[0-9]+)?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
MAX_AMOUNT = Decimal(1_000_000_000)
MAX_TEXT = 255
MAX_URL = 2048
MAX_METADATA_BYTES = 4096
IDEMPOTENCY_KEY_RE = re.compile(r"^[\x20-\x7e]{1,255}$")
MAX_DEPTH = 64

#: Active ISO 4217 codes → minor unit; ``None`` for codes with no minor unit (XAU, XDR, XTS, …).
MINOR_UNITS: dict[str, int | None] = {c.code: c.exponent for c in iso4217.Currency}


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A create request that passed every rule; unknown body fields are dropped."""

    amount: str
    currency: str
    type: str
    description: str | None
    metadata: dict[str, Any] | None
    external_id: str | None
    redirect_url: str | None
    webhook_url: str | None
    customer: dict[str, str] | None


def invalid(field: str | None, message: str) -> ApiError:
    """A 422 ``validation_error`` naming ``field``."""
    return ApiError(422, "validation_error", message, field)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (iteratively: no recursion limit to hit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 ``malformed_request``.

    Also 400: numbers too large for a double, lone surrogates (``"\\ud800"``), nesting deeper than
    MAX_DEPTH: JSON text the sandbox could not store or send back.
    """
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed_request", "The request body is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise ApiError(400, "malformed_request", "The request body must be a JSON object.")
    if _depth(value) > MAX_DEPTH:
        raise ApiError(400, "malformed_request", f"The request body nests more than {MAX_DEPTH} levels deep.")
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError) as exc:
        message = "The request body holds a number out of range or a lone surrogate."
        raise ApiError(400, "malformed_request", message) from exc
    return value


def _normalize(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else value
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    return value


def fingerprint(body: dict[str, Any]) -> str:
    """Canonical JSON of a parsed body: equal parsed JSON (1 and 1.0 alike) gives equal text."""
    return json.dumps(_normalize(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compact_size(value: Any) -> int:
    """Bytes of ``value`` serialized as compact UTF-8 JSON."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def check_idempotency_key(value: str | None) -> str | None:
    """The Idempotency-Key header if present and well-formed (1–255 printable ASCII)."""
    if value is None:
        return None
    if not IDEMPOTENCY_KEY_RE.fullmatch(value):
        raise invalid(None, "Idempotency-Key must be 1 to 255 printable ASCII characters.")
    return value


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ::1 (IPv4-mapped forms too)."""
    if not host:
        return False
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_url(field: str, value: Any) -> str:
    """An absolute https URL (or loopback http), at most 2048 characters."""
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a string.")
    if len(value) > MAX_URL:
        raise invalid(field, f"{field} must be at most {MAX_URL} characters.")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise invalid(field, f"{field} must not contain spaces or control characters.")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise invalid(field, f"{field} must be an absolute URL.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise invalid(field, f"{field} must be an absolute https URL.")
    if parts.scheme == "http" and not is_loopback_host(host):
        raise invalid(field, f"{field} must use https (plain http only for a loopback host).")
    return value


def _check_text(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(field, f"{field} must be a string.")
    if len(value) > MAX_TEXT:
        raise invalid(field, f"{field} must be at most {MAX_TEXT} characters.")
    return value


def _check_amount_format(value: Any) -> Decimal:
    if value is None:
        raise invalid("amount", "amount is required.")
    if not isinstance(value, str):
        raise invalid("amount", 'amount must be a string such as "10.00".')
    if not AMOUNT_RE.fullmatch(value):
        raise invalid("amount", "amount must be digits with an optional dot and decimals.")
    amount = Decimal(value)
    if amount <= 0:
        raise invalid("amount", "amount must be greater than zero.")
    if amount > MAX_AMOUNT:
        raise invalid("amount", "amount must be at most 1000000000.")
    return amount


def _check_currency(value: Any) -> str:
    if value is None:
        raise invalid("currency", "currency is required.")
    if not isinstance(value, str) or not CURRENCY_RE.fullmatch(value):
        raise invalid("currency", "currency must be three capital letters.")
    if value not in MINOR_UNITS:
        raise invalid("currency", f"{value} is not an active ISO 4217 currency code.")
    if MINOR_UNITS[value] is None:
        raise invalid("currency", f"{value} has no minor unit in ISO 4217 (metals, funds, test codes): not payable.")
    return value


def _check_metadata(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("metadata", "metadata must be a JSON object.")
    for key, item in value.items():
        if item is None or isinstance(item, list):
            raise invalid("metadata", f"metadata.{key} must not be an array or null.")
    if compact_size(value) > MAX_METADATA_BYTES:
        raise invalid("metadata", f"metadata must be at most {MAX_METADATA_BYTES} bytes serialized.")
    return value


def _check_customer(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid("customer", 'customer must be an object {"id": …, "name": …}.')
    customer: dict[str, str] = {}
    for key in ("id", "name"):
        item = value.get(key)
        if item is None:
            continue
        if not isinstance(item, str):
            raise invalid("customer", f"customer.{key} must be a string.")
        customer[key] = item
    return customer


def validate_type(body: dict[str, Any]) -> str:
    """The payment type: absent means ``payin``; anything but payin/payout is a 422."""
    if "type" not in body:
        return "payin"
    value = body["type"]
    if value not in ("payin", "payout") or not isinstance(value, str):
        raise invalid("type", 'type must be "payout" (or "payin", the default).')
    return str(value)


def validate_payment(body: dict[str, Any]) -> PaymentRequest:
    """Apply the SPEC's body rules in table order; the first broken rule is the 422.

    JSON ``null`` for an optional field means absent (the response shows absent fields as null);
    ``type`` is the exception: only payin/payout or no ``type`` at all.
    """
    amount = _check_amount_format(body.get("amount"))
    currency = _check_currency(body.get("currency"))
    minor = MINOR_UNITS[currency] or 0
    exponent = amount.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if digits > minor:
        raise invalid("amount", f"{currency} amounts have at most {minor} decimal places.")
    payment_type = validate_type(body)
    description = _check_text(body, "description")
    metadata = _check_metadata(body.get("metadata"))
    external_id = _check_text(body, "externalId")
    redirect_url = None if body.get("redirectUrl") is None else check_url("redirectUrl", body["redirectUrl"])
    webhook_url = None if body.get("webhookUrl") is None else check_url("webhookUrl", body["webhookUrl"])
    customer = _check_customer(body.get("customer"))
    return PaymentRequest(
        amount=body["amount"],
        currency=currency,
        type=payment_type,
        description=description,
        metadata=metadata,
        external_id=external_id,
        redirect_url=redirect_url,
        webhook_url=webhook_url,
        customer=customer,
    )


# --- IBAN (the checkin form) ---------------------------------------------------------------

#: Lengths for the SEPA countries; other countries only get the generic 15–34 check.
IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
    "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
    "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24,
}  # fmt: skip
IBAN_RE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


def normalize_iban(value: str) -> str:
    """Upper case without spaces (the form accepts "de89 3704 …")."""
    return "".join(value.split()).upper()


def iban_checksum_ok(iban: str) -> bool:
    """ISO 13616 mod-97 check of a normalized IBAN."""
    rearranged = iban[4:] + iban[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


def iban_error(value: str) -> str | None:
    """A message for the form when ``value`` is not a valid IBAN, else None."""
    iban = normalize_iban(value)
    if not iban:
        return "Enter the IBAN."
    if not IBAN_RE.fullmatch(iban):
        return "An IBAN starts with a country code and two check digits, then 11 to 30 letters or digits."
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return f"An IBAN from {iban[:2]} has {expected} characters; this one has {len(iban)}."
    if not iban_checksum_ok(iban):
        return "This IBAN's check digits do not match: check for a typing mistake."
    return None


def format_iban(iban: str) -> str:
    """Groups of four for display."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
