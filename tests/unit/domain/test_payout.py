"""PayoutDraft → validate_draft → PayoutRequest | list[FieldError]: every SPEC rule, all errors at once."""

from __future__ import annotations

import copy
import json
import pickle
from decimal import Decimal
from typing import Any

import pytest

from payout_desk.domain.money import currency
from payout_desk.domain.payout import (
    FieldError,
    FrozenMetadata,
    PayoutDraft,
    PayoutRequest,
    canonical_json,
    metadata_size,
    text_length,
    validate_draft,
)

EUR = currency("EUR")


def ok(draft: PayoutDraft, seps: str = ".") -> PayoutRequest:
    result = validate_draft(draft, decimal_separators=seps)
    assert isinstance(result, PayoutRequest), result
    return result


def errors(draft: PayoutDraft, seps: str = ".") -> list[FieldError]:
    result = validate_draft(draft, decimal_separators=seps)
    assert isinstance(result, list), result
    assert result
    return result


def with_field(attr: str, value: str) -> PayoutDraft:
    fields: dict[str, Any] = {attr: value}
    return PayoutDraft("1", "EUR", **fields)


def one_error(draft: PayoutDraft) -> FieldError:
    found = errors(draft)
    assert len(found) == 1, found
    return found[0]


# --- the body --------------------------------------------------------------------------------------------


def test_minimal_body() -> None:
    request = ok(PayoutDraft("10", "EUR"))
    assert request.amount == Decimal("10.00")
    assert request.currency == EUR
    assert request.to_body() == {"amount": "10.00", "currency": "EUR", "type": "payout"}
    assert request.body_json() == '{"amount":"10.00","currency":"EUR","type":"payout"}'


def test_full_body_is_canonical_and_byte_exact() -> None:
    request = ok(
        PayoutDraft(
            amount="1456,5",
            currency="EUR",
            description=" Order #1456 ",
            recipient_id="550e8400-e29b-41d4-a716-446655440000",
            recipient_name="Zoë Müller",
            external_id="3e3f3796",
            metadata=(("orderId", "1456"), ("", ""), ("Straße", "日本")),
            webhook_url="https://hooks.example.com/payouts",
            redirect_url="http://127.0.0.1:8765/done",
        ),
        seps=".,",
    )
    assert request.to_body() == {
        "amount": "1456.50",
        "currency": "EUR",
        "type": "payout",
        "description": "Order #1456",
        "externalId": "3e3f3796",
        "customer": {"id": "550e8400-e29b-41d4-a716-446655440000", "name": "Zoë Müller"},
        "metadata": {"orderId": "1456", "Straße": "日本"},
        "redirectUrl": "http://127.0.0.1:8765/done",
        "webhookUrl": "https://hooks.example.com/payouts",
    }
    assert request.body_json() == (
        '{"amount":"1456.50","currency":"EUR","customer":{"id":"550e8400-e29b-41d4-a716-446655440000",'
        '"name":"Zoë Müller"},"description":"Order #1456","externalId":"3e3f3796",'
        '"metadata":{"Straße":"日本","orderId":"1456"},"redirectUrl":"http://127.0.0.1:8765/done",'
        '"type":"payout","webhookUrl":"https://hooks.example.com/payouts"}'
    )
    assert request.body_json() == request.body_json()  # stable
    assert json.loads(request.body_json()) == request.to_body()


@pytest.mark.parametrize(
    ("recipient_id", "recipient_name", "customer"),
    [("c-1", "", {"id": "c-1"}), ("", "Ann", {"name": "Ann"}), ("  ", " ", None)],
)
def test_customer_holds_only_the_parts_given(recipient_id: str, recipient_name: str, customer: object) -> None:
    body = ok(PayoutDraft("1", "EUR", recipient_id=recipient_id, recipient_name=recipient_name)).to_body()
    assert body.get("customer") == customer


def test_empty_and_blank_optional_text_is_omitted() -> None:
    request = ok(
        PayoutDraft(
            "1", "EUR", description="   ", external_id="", metadata=(("", ""),), webhook_url=" ", redirect_url=""
        )
    )
    assert (request.description, request.external_id, request.metadata, request.webhook_url) == (None,) * 4
    assert set(request.to_body()) == {"amount", "currency", "type"}


def test_request_is_immutable_hashable_and_copyable() -> None:
    request = ok(PayoutDraft("1", "EUR", metadata=(("a", "b"),)))
    assert isinstance(request.metadata, FrozenMetadata)
    assert request.metadata == {"a": "b"}
    with pytest.raises(TypeError):
        request.metadata["a"] = "c"  # type: ignore[index]
    assert copy.deepcopy(request) == request
    assert pickle.loads(pickle.dumps(request)) == request
    assert hash(request) == hash(copy.deepcopy(request))
    assert repr(request.metadata) == "FrozenMetadata({'a': 'b'})"


def test_body_from_hand_built_request_still_goes_through_amount_to_wire() -> None:
    request = PayoutRequest(Decimal("1E+3"), EUR, None, None, None, None, None, None, None)
    assert request.body_json() == '{"amount":"1000.00","currency":"EUR","type":"payout"}'


def test_canonical_json() -> None:
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'


# --- amount and currency ----------------------------------------------------------------------------------


def test_amount_messages_pass_through() -> None:
    assert one_error(PayoutDraft("10.001", "EUR")) == FieldError(
        "amount", "Amount: EUR allows at most 2 decimal places."
    )
    assert one_error(PayoutDraft("5.5", "JPY")) == FieldError("amount", "Amount: JPY allows no decimal places.")
    assert one_error(PayoutDraft("", "EUR")) == FieldError("amount", "Amount: enter an amount.")


def test_decimal_separators_are_passed_to_the_parser() -> None:
    assert one_error(PayoutDraft("10,50", "EUR")).field == "amount"
    assert ok(PayoutDraft("10,50", "EUR"), seps=".,").amount == Decimal("10.50")
    assert errors(PayoutDraft("1,234.50", "EUR"), seps=".,")[0].field == "amount"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Currency: choose a currency."),
        ("eur", "Currency: use a three-letter ISO 4217 code in capitals, e.g. EUR."),
        ("EURO", "Currency: use a three-letter ISO 4217 code in capitals, e.g. EUR."),
        ("€", "Currency: use a three-letter ISO 4217 code in capitals, e.g. EUR."),
        ("ＥＵＲ", "Currency: use a three-letter ISO 4217 code in capitals, e.g. EUR."),
        ("XAU", "Currency: choose a currency from the list."),
        ("XXX", "Currency: choose a currency from the list."),
        ("ABC", "Currency: choose a currency from the list."),
    ],
)
def test_currency_messages(code: str, message: str) -> None:
    assert one_error(PayoutDraft("10", code)) == FieldError("currency", message)


def test_unknown_currency_still_reports_amount_syntax_but_not_precision() -> None:
    found = errors(PayoutDraft("-1", "XAU"))
    assert [e.field for e in found] == ["amount", "currency"]
    assert [e.field for e in errors(PayoutDraft("1.23456", "XAU"))] == ["currency"]


def test_currency_code_is_trimmed() -> None:
    assert ok(PayoutDraft("1", " BHD ")).to_body()["amount"] == "1.000"


# --- text fields ---------------------------------------------------------------------------------------------

TEXT_FIELDS = [
    ("description", "description", "Description"),
    ("external_id", "externalId", "External ID"),
    ("recipient_id", "customer.id", "Recipient ID"),
    ("recipient_name", "customer.name", "Recipient name"),
]


@pytest.mark.parametrize(("attr", "field", "label"), TEXT_FIELDS)
def test_text_length_limit_255(attr: str, field: str, label: str) -> None:
    assert ok(with_field(attr, "x" * 255))
    assert one_error(with_field(attr, "x" * 256)) == FieldError(
        field, f"{label}: use at most 255 characters (this has 256)."
    )
    assert ok(with_field(attr, "  " + "é" * 255 + "  "))  # trimmed, code points


@pytest.mark.parametrize(("attr", "field", "label"), TEXT_FIELDS)
def test_text_counts_emoji_as_two(attr: str, field: str, label: str) -> None:
    assert ok(with_field(attr, "😀" * 127 + "x"))
    assert one_error(with_field(attr, "😀" * 128)) == FieldError(
        field, f"{label}: use at most 255 characters (this has 256 — emoji and some other symbols count as two)."
    )


@pytest.mark.parametrize(("attr", "field", "label"), TEXT_FIELDS)
@pytest.mark.parametrize("bad", ["a\nb", "a\tb", "a\x00b", "a\x1bb", "a\x85b", "a\u2028b", "a\rb", "a\x7fb"])
def test_control_characters_rejected(attr: str, field: str, label: str, bad: str) -> None:
    assert one_error(with_field(attr, bad)) == FieldError(
        field, f"{label}: remove line breaks, tabs and other control characters."
    )


@pytest.mark.parametrize(("attr", "field", "label"), TEXT_FIELDS)
def test_unpaired_surrogate_rejected(attr: str, field: str, label: str) -> None:
    assert one_error(with_field(attr, "a\ud800")) == FieldError(
        field, f"{label}: contains a broken character; please retype it."
    )


def test_text_length_counts_utf16_units() -> None:
    assert text_length("abc") == 3
    assert text_length("é日") == 2
    assert text_length("😀") == 2


def test_unicode_text_is_kept_as_typed() -> None:
    text = " Zahlung für Zoë — 注文 #1 \u200f"  # an RLM is not whitespace: kept
    assert ok(PayoutDraft("1", "EUR", description=text)).description == text.strip()


# --- metadata ---------------------------------------------------------------------------------------------


def test_metadata_rows_in_order_blank_rows_ignored_values_may_be_empty() -> None:
    request = ok(PayoutDraft("1", "EUR", metadata=(("b", "2"), (" ", " "), (" a ", " 1 "), ("c", ""))))
    assert list(request.metadata or {}) == ["b", "a", "c"]
    assert dict(request.metadata or {}) == {"b": "2", "a": "1", "c": ""}


def test_metadata_duplicate_key_named_once() -> None:
    found = errors(PayoutDraft("1", "EUR", metadata=(("id", "1"), ("id", "2"), (" id", "3"), ("x", "y"))))
    assert found == [FieldError("metadata", 'Metadata: the key "id" is used more than once.')]


def test_metadata_keys_are_case_sensitive() -> None:
    assert ok(PayoutDraft("1", "EUR", metadata=(("Id", "1"), ("id", "2")))).metadata == {"Id": "1", "id": "2"}


def test_metadata_value_without_key() -> None:
    assert one_error(PayoutDraft("1", "EUR", metadata=(("a", "1"), ("", "orphan")))) == FieldError(
        "metadata", "Metadata: row 2 has a value but no key; enter a key."
    )


def test_metadata_control_characters() -> None:
    assert one_error(PayoutDraft("1", "EUR", metadata=(("k", "a\nb"),))) == FieldError(
        "metadata", 'Metadata: in "k", remove line breaks, tabs and other control characters.'
    )


def test_metadata_malformed_row() -> None:
    draft = PayoutDraft("1", "EUR", metadata=(("only-key",),))  # type: ignore[arg-type]
    assert one_error(draft) == FieldError("metadata", "Metadata: row 1 must be a key and a value.")


def test_metadata_size_counts_like_the_spec() -> None:
    assert metadata_size({}) == 2
    assert metadata_size({"a": "b"}) == len('{"a":"b"}')
    assert metadata_size({"é": "日"}) == len('{"é":"日"}'.encode())  # 2 + 3 bytes, not escaped
    assert metadata_size({"q": 'say "hi"\\'}) == len(json.dumps({"q": 'say "hi"\\'}, separators=(",", ":")))


def test_metadata_size_limit_message() -> None:
    value = "x" * (4096 - len('{"k":""}'))
    assert ok(PayoutDraft("1", "EUR", metadata=(("k", value),)))
    assert one_error(PayoutDraft("1", "EUR", metadata=(("k", value + "é"),))) == FieldError(
        "metadata",
        "Metadata: too large — 4,098 bytes, the limit is 4,096 bytes (letters outside A-Z can take 2-4 bytes each).",
    )


# --- URLs -------------------------------------------------------------------------------------------------

GOOD_URLS = [
    "https://example.com",
    "https://example.com/return?x=1#frag",
    "HTTPS://Example.COM/Path",
    "https://example.com:8443/p",
    "https://[2001:db8::1]/x",
    "https://bücher.example/",
    "http://localhost/cb",
    "http://LOCALHOST:8000/cb",
    "http://127.0.0.1:8765/done",
    "http://127.255.0.9/",
    "http://[::1]:9000/hook",
]

BAD_URLS = [
    ("http://example.com/cb", "the address must start with https:// (http is only allowed for this computer)."),
    ("http://127.0.0.1.evil.com/", "the address must start with https:// (http is only allowed for this computer)."),
    ("http://localhost.evil.com/", "the address must start with https:// (http is only allowed for this computer)."),
    ("http://10.0.0.1/", "the address must start with https:// (http is only allowed for this computer)."),
    ("http://0x7f000001/", "the address must start with https:// (http is only allowed for this computer)."),
    ("ftp://example.com/", "enter a complete web address starting with https://."),
    ("example.com/return", "enter a complete web address starting with https://."),
    ("/return", "enter a complete web address starting with https://."),
    ("https://", "enter a complete web address starting with https://."),
    ("https:///path", "enter a complete web address starting with https://."),
    ("javascript:alert(1)", "enter a complete web address starting with https://."),
    ("https://user:pw@example.com/", "remove the user name or password from the address."),
    ("https://bank.com@evil.com/", "remove the user name or password from the address."),
    ("https://exa mple.com/", "a web address cannot contain spaces."),
    ("https://example.com:99999/", "enter a complete web address such as https://example.com/return."),
    ("https://example.com:port/", "enter a complete web address such as https://example.com/return."),
    ("https://[::1/", "enter a complete web address such as https://example.com/return."),
    ("https://a..b/", "the address has an invalid host name."),
    ("https://<b>/", "the address has an invalid host name."),
]


@pytest.mark.parametrize("url", GOOD_URLS)
@pytest.mark.parametrize(("attr", "key"), [("redirect_url", "redirectUrl"), ("webhook_url", "webhookUrl")])
def test_good_urls(url: str, attr: str, key: str) -> None:
    assert ok(with_field(attr, f" {url} ")).to_body()[key] == url


@pytest.mark.parametrize(("url", "message"), BAD_URLS)
@pytest.mark.parametrize(
    ("attr", "field", "label"),
    [("redirect_url", "redirectUrl", "Redirect URL"), ("webhook_url", "webhookUrl", "Webhook URL")],
)
def test_bad_urls(url: str, message: str, attr: str, field: str, label: str) -> None:
    assert one_error(with_field(attr, url)) == FieldError(field, f"{label}: {message}")


def test_url_control_characters() -> None:
    assert one_error(PayoutDraft("1", "EUR", webhook_url="https://x.com/\x00")) == FieldError(
        "webhookUrl", "Webhook URL: remove line breaks, tabs and other control characters."
    )


def test_url_length_2048() -> None:
    base = "https://example.com/"
    assert ok(PayoutDraft("1", "EUR", webhook_url=base + "a" * (2048 - len(base))))
    assert one_error(PayoutDraft("1", "EUR", webhook_url=base + "a" * (2049 - len(base)))) == FieldError(
        "webhookUrl", "Webhook URL: the address is too long (at most 2,048 characters)."
    )
    # counted in UTF-8 bytes, as the seed's "2KB": never over either limit
    assert errors(PayoutDraft("1", "EUR", webhook_url=base + "é" * 1014 + "a"))  # 2049 bytes, 1035 chars


# --- all errors at once -------------------------------------------------------------------------------------


def test_every_error_at_once_in_form_order() -> None:
    draft = PayoutDraft(
        amount="1,000.00",
        currency="eur",
        description="x" * 300,
        recipient_id="a\tb",
        recipient_name="n" * 256,
        external_id="e" * 256,
        metadata=(("k", "1"), ("k", "2")),
        webhook_url="http://example.com",
        redirect_url="ftp://x",
    )
    assert [e.field for e in errors(draft)] == [
        "amount",
        "currency",
        "description",
        "customer.id",
        "customer.name",
        "externalId",
        "metadata",
        "redirectUrl",
        "webhookUrl",
    ]
    assert all(e.message.endswith(".") and ": " in e.message for e in errors(draft))
