"""Hypothesis properties for money and payout validation (the 10.00 → 1000 class of bug included)."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from payout_desk.domain.money import MAX_AMOUNT, AmountError, Currency, active_currencies, amount_to_wire, parse_amount
from payout_desk.domain.payout import (
    MAX_METADATA_BYTES,
    FieldError,
    PayoutDraft,
    PayoutRequest,
    metadata_size,
    validate_draft,
)

SPEC_AMOUNT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
FIELDS = {
    "amount",
    "currency",
    "description",
    "metadata",
    "externalId",
    "customer.id",
    "customer.name",
    "redirectUrl",
    "webhookUrl",
}
CURRENCIES = st.sampled_from(active_currencies())
SEPARATOR_SETS = st.sampled_from([".", ",", ".,", ",.", ".'"])
# Everything people use to group digits or mark decimals, in any script.
SEPARATOR_CHARS = ".,'’_ \u00a0\u202f\u2009\u066b\u066c\u00b7"
AMOUNTISH = st.text(alphabet="0123456789" * 4 + SEPARATOR_CHARS + "+-−eE\t１٣", max_size=16)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def amounts_in_range(draw: st.DrawFn) -> tuple[Currency, Decimal]:
    cur = draw(CURRENCIES)
    scale = 10**cur.minor_units
    minor = draw(st.integers(min_value=1, max_value=int(MAX_AMOUNT) * scale))
    value = Decimal(minor).scaleb(-cur.minor_units)
    # the same number in other representations: 1E+3, 1000.000, …
    value = draw(st.sampled_from([value, value.normalize(), value.quantize(Decimal("1e-6"))]))
    return cur, value


@FAST
@given(amounts_in_range())
@example((active_currencies()[0], Decimal("1E+3")))
def test_wire_round_trips_exactly(case: tuple[Currency, Decimal]) -> None:
    """(1) every in-range amount with ≤ minor-unit digits → SPEC wire string → the same amount."""
    cur, value = case
    wire = amount_to_wire(value, cur)
    assert SPEC_AMOUNT.fullmatch(wire)
    assert len(wire.partition(".")[2]) == cur.minor_units
    parsed = parse_amount(wire, cur)
    assert parsed == value
    assert str(parsed) == wire


def _parse(text: str, cur: Currency, seps: str) -> Decimal | AmountError:
    try:
        return parse_amount(text, cur, decimal_separators=seps)
    except AmountError as exc:
        return exc


def _check_accepted(value: Decimal, text: str, cur: Currency, seps: str) -> None:
    assert isinstance(value, Decimal)
    assert value.is_finite()
    assert Decimal(0) < value <= MAX_AMOUNT
    assert value.as_tuple().exponent == -cur.minor_units
    # the oracle: only ASCII digits and at most one allowed separator, which is never dropped
    stripped = text.strip()
    assert re.fullmatch(r"[0-9]*([" + re.escape(seps) + r"][0-9]+)?", stripped)
    normalized = re.sub(r"[" + re.escape(seps) + r"]", ".", stripped)
    assert value == Decimal(normalized if normalized[:1] != "." else "0" + normalized)
    assert SPEC_AMOUNT.fullmatch(amount_to_wire(value, cur))


@FAST
@given(st.one_of(st.text(max_size=24), AMOUNTISH), CURRENCIES, SEPARATOR_SETS)
@example("NaN", active_currencies()[0], ".")
@example("1e3", active_currencies()[0], ".")
@example("٣", active_currencies()[0], ".")
@example("-0.01", active_currencies()[0], ".")
def test_arbitrary_text_only_ever_amount_error(text: str, cur: Currency, seps: str) -> None:
    """(2) any text: AmountError, or a positive, in-range amount within the currency's digits."""
    value = _parse(text, cur, seps)
    if isinstance(value, AmountError):
        assert str(value).startswith("Amount: ")
        assert value.rule
    else:
        _check_accepted(value, text, cur, seps)


@FAST
@given(
    st.lists(st.text(alphabet="0123456789", min_size=1, max_size=4), min_size=3, max_size=5),
    st.lists(st.sampled_from(SEPARATOR_CHARS), min_size=2, max_size=4),
    CURRENCIES,
    SEPARATOR_SETS,
)
def test_grouping_plus_decimal_separator_never_accepted(
    groups: list[str], separators: list[str], cur: Currency, seps: str
) -> None:
    """(3) digits joined by two or more separator characters — "1,234.56", "1.000.000", "1 234,5" —
    are always rejected, whatever the currency and the allowed decimal separators."""
    text = groups[0]
    for group, sep in zip(groups[1:], separators, strict=False):
        text += sep + group
    assume(sum(text.count(c) for c in SEPARATOR_CHARS) >= 2)
    value = _parse(text, cur, seps)
    assert isinstance(value, AmountError), f"{text!r} was accepted as {value} with separators {seps!r}"
    assert value.rule in {"separators", "characters"}


@FAST
@given(st.integers(1, 10**9 - 1), st.sampled_from(SEPARATOR_CHARS), CURRENCIES, SEPARATOR_SETS)
def test_one_separator_is_decimal_or_an_error_never_grouping(number: int, sep: str, cur: Currency, seps: str) -> None:
    """ "1,000" is 1.000 when "," is a decimal separator, an error otherwise — never 1000."""
    digits = str(number)
    assume(len(digits) >= 2)
    text = digits[:-1] + sep + digits[-1]
    value = _parse(text, cur, seps)
    if isinstance(value, AmountError):
        return
    assert sep in seps
    assert value == Decimal(digits[:-1] + "." + digits[-1])
    assert value != Decimal(digits)


TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["", " ", "x" * 256, "😀" * 128, "a\nb", "ok"]))
URLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "https://example.com/x", "http://localhost:1/", "http://evil.com", "https://u@h/", "ftp://x"]),
    st.builds(lambda s: "https://example.com/" + s, st.text(max_size=30)),
)
DRAFTS = st.builds(
    PayoutDraft,
    amount=st.one_of(AMOUNTISH, st.text(max_size=12)),
    currency=st.one_of(st.sampled_from(["EUR", "JPY", "BHD", "IQD", "CLF", "XAU", "eur", ""]), st.text(max_size=4)),
    description=TEXT,
    recipient_id=TEXT,
    recipient_name=TEXT,
    external_id=TEXT,
    metadata=st.lists(st.tuples(st.text(max_size=8), st.text(max_size=20)), max_size=5).map(tuple),
    webhook_url=URLS,
    redirect_url=URLS,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DRAFTS, SEPARATOR_SETS)
def test_validate_draft_total_and_body_faithful(draft: PayoutDraft, seps: str) -> None:
    """(4) never raises; a request whose body re-parses to the same fields, or a non-empty error list."""
    result = validate_draft(draft, decimal_separators=seps)
    if isinstance(result, list):
        assert result
        assert all(isinstance(e, FieldError) and e.field in FIELDS and e.message for e in result)
        return
    assert isinstance(result, PayoutRequest)
    text = result.body_json()
    text.encode("utf-8")  # always encodable: sent byte for byte
    body = json.loads(text)
    assert body == result.to_body()
    assert json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == text
    assert body["type"] == "payout"
    assert body["currency"] == result.currency.code
    assert SPEC_AMOUNT.fullmatch(body["amount"])
    assert parse_amount(body["amount"], result.currency) == result.amount
    assert body.get("description") == result.description
    assert body.get("externalId") == result.external_id
    assert body.get("redirectUrl") == result.redirect_url
    assert body.get("webhookUrl") == result.webhook_url
    customer = body.get("customer", {})
    assert customer.get("id") == result.recipient_id
    assert customer.get("name") == result.recipient_name
    assert body.get("metadata") == (dict(result.metadata) if result.metadata else None)
    if "metadata" in body:
        assert metadata_size(body["metadata"]) <= MAX_METADATA_BYTES
        assert all(isinstance(v, str) for v in body["metadata"].values())
    for key in ("description", "externalId"):
        assert key not in body or 0 < len(body[key]) <= 255


MULTIBYTE = st.sampled_from(["é", "ß", "日", "€", "😀", "𝄞", '"', "\\"])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcXYZ", min_size=1, max_size=6), MULTIBYTE, st.integers(1, 900))
def test_metadata_size_boundary_4096_4097(key: str, char: str, count: int) -> None:
    """(5) exactly 4096 bytes (compact UTF-8, multibyte characters) passes; 4097 fails."""
    value = char * count
    assume(metadata_size({key: value}) <= MAX_METADATA_BYTES)
    value += "a" * (MAX_METADATA_BYTES - metadata_size({key: value}))
    at_limit = {key: value}
    assert metadata_size(at_limit) == 4096
    assert len(json.dumps(at_limit, separators=(",", ":"), ensure_ascii=False).encode()) == 4096
    request = validate_draft(PayoutDraft("1", "EUR", metadata=((key, value),)))
    assert isinstance(request, PayoutRequest)
    body_metadata = json.dumps(json.loads(request.body_json())["metadata"], separators=(",", ":"), ensure_ascii=False)
    assert len(body_metadata.encode()) == 4096

    over = value + "a"
    assert metadata_size({key: over}) == 4097
    found = validate_draft(PayoutDraft("1", "EUR", metadata=((key, over),)))
    assert isinstance(found, list)
    assert [e.field for e in found] == ["metadata"]
    assert found[0].message.startswith("Metadata: too large — 4,097 bytes, the limit is 4,096 bytes")
    # swapping one ASCII pad byte for a 2-byte letter also crosses the line
    if value.endswith("a"):
        assert isinstance(validate_draft(PayoutDraft("1", "EUR", metadata=((key, value[:-1] + "é"),))), list)


@FAST
@given(st.integers(1, 999), st.integers(0, 999), CURRENCIES, st.sampled_from([".,", ".'", ".\u066b"]))
def test_dot_grouped_thousands_never_read_as_units(whole: int, part: int, cur: Currency, seps: str) -> None:
    """Where "." may be the user's thousands separator, "1.000" is never accepted (as 1 or as 1000)."""
    text = f"{whole}.{part:03d}"
    value = _parse(text, cur, seps)
    assert isinstance(value, AmountError), f"{text!r} accepted as {value} for {cur.code}"
    assert value.rule == "ambiguous"
