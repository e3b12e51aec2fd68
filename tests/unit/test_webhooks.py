"""Webhook signatures (SPEC "Webhooks"): published test vectors and the Standard Webhooks receiver rules."""

from __future__ import annotations

import base64

import pytest

from payout_desk.provider.webhooks import (
    InvalidSignatureError,
    MissingHeadersError,
    ReplayGuard,
    TimestampOutOfToleranceError,
    new_webhook_id,
    sign,
    sign_headers,
    verify,
)

# Our own published vector: the SPEC's layout keyed with a token's UTF-8 bytes. The expected value was
# computed outside Python with:
#   printf '%s' 'msg_2Lx9sZcQWmT4Yk.1748356200.{"id":"pay_a1b2c3d4","status":"succeeded"}' \
#     | openssl dgst -sha256 -hmac 'tk_test_n4912345faza90aefk4c3awf' -binary | base64
TOKEN = "tk_test_n4912345faza90aefk4c3awf"
WEBHOOK_ID = "msg_2Lx9sZcQWmT4Yk"
TIMESTAMP = 1748356200
BODY = b'{"id":"pay_a1b2c3d4","status":"succeeded"}'
EXPECTED = "v1,NXgZk5TIhjspdqy5RQ/xJjMoBnQQjYQ7uda7CPQuR+E="

# The Standard Webhooks specification's own test vector (its key is the base64 part of the whsec_ secret).
SW_KEY = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TIMESTAMP = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(signature: str = EXPECTED, webhook_id: str = WEBHOOK_ID, timestamp: int = TIMESTAMP) -> dict[str, str]:
    return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_sign_matches_the_published_token_vector() -> None:
    assert sign(TOKEN, WEBHOOK_ID, TIMESTAMP, BODY) == EXPECTED


def test_sign_matches_the_standard_webhooks_vector() -> None:
    assert sign(SW_KEY, SW_ID, SW_TIMESTAMP, SW_BODY) == SW_EXPECTED


def test_verify_accepts_the_vectors() -> None:
    verified = verify(TOKEN, _headers(), BODY, now=TIMESTAMP + 10)
    assert (verified.webhook_id, verified.timestamp) == (WEBHOOK_ID, TIMESTAMP)
    sw_headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP), "webhook-signature": SW_EXPECTED}
    verify(SW_KEY, sw_headers, SW_BODY, now=SW_TIMESTAMP)


def test_headers_are_read_case_insensitively() -> None:
    headers = {k.title(): v for k, v in _headers().items()}
    verify(TOKEN, headers, BODY, now=TIMESTAMP)


def test_tampered_body_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        verify(TOKEN, _headers(), BODY.replace(b"succeeded", b"failed"), now=TIMESTAMP)


def test_wrong_key_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        verify("tk_test_someone_else", _headers(), BODY, now=TIMESTAMP)


def test_tampered_id_or_timestamp_is_rejected() -> None:
    with pytest.raises(InvalidSignatureError):
        verify(TOKEN, _headers(webhook_id="msg_other"), BODY, now=TIMESTAMP)
    with pytest.raises(InvalidSignatureError):
        verify(TOKEN, _headers(timestamp=TIMESTAMP + 1), BODY, now=TIMESTAMP)


@pytest.mark.parametrize("offset", [-301, 301, -86400])
def test_timestamp_more_than_five_minutes_away_is_rejected(offset: int) -> None:
    with pytest.raises(TimestampOutOfToleranceError):
        verify(TOKEN, _headers(), BODY, now=TIMESTAMP - offset)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamp_within_five_minutes_is_accepted(offset: int) -> None:
    verify(TOKEN, _headers(), BODY, now=TIMESTAMP - offset)


def test_any_of_several_space_separated_signatures_may_match() -> None:
    other = sign("tk_test_old_rotated_token", WEBHOOK_ID, TIMESTAMP, BODY)
    verify(TOKEN, _headers(f"{other} {EXPECTED}"), BODY, now=TIMESTAMP)
    verify(TOKEN, _headers(f"v2,c29tZXRoaW5n {EXPECTED} v1,!!notbase64"), BODY, now=TIMESTAMP)
    with pytest.raises(InvalidSignatureError):
        verify(TOKEN, _headers(f"{other} v2,{EXPECTED[3:]}"), BODY, now=TIMESTAMP)  # right value, wrong version


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_rejected(missing: str) -> None:
    headers = _headers()
    del headers[missing]
    with pytest.raises(MissingHeadersError):
        verify(TOKEN, headers, BODY, now=TIMESTAMP)


def test_non_numeric_timestamp_is_rejected() -> None:
    headers = _headers()
    headers["webhook-timestamp"] = "yesterday"
    with pytest.raises(MissingHeadersError):
        verify(TOKEN, headers, BODY, now=TIMESTAMP)


ARABIC_INDIC = str(TIMESTAMP).translate({ord("0") + d: 0x660 + d for d in range(10)})


@pytest.mark.parametrize("raw", [f"{TIMESTAMP:_}", f"+{TIMESTAMP}", f" +{TIMESTAMP}", f"0{TIMESTAMP}.", ARABIC_INDIC])
def test_a_timestamp_that_is_not_ascii_digits_is_rejected(raw: str) -> None:
    """The signature is made over the header's text; int() would read most of these as TIMESTAMP."""
    headers = _headers()
    headers["webhook-timestamp"] = raw
    with pytest.raises(MissingHeadersError):
        verify(TOKEN, headers, BODY, now=TIMESTAMP)


def test_sign_headers_round_trip() -> None:
    headers = sign_headers(TOKEN, BODY)
    assert headers["webhook-id"].startswith("msg_")
    verified = verify(TOKEN, headers, BODY)
    assert verified.webhook_id == headers["webhook-id"]
    fixed = sign_headers(TOKEN, BODY, webhook_id=WEBHOOK_ID, timestamp=TIMESTAMP)
    assert fixed == _headers()


def test_webhook_ids_are_unique() -> None:
    assert len({new_webhook_id() for _ in range(1000)}) == 1000


def test_replay_guard_ignores_an_id_already_processed() -> None:
    guard = ReplayGuard()
    assert guard.accept("msg_1") is True
    assert guard.accept("msg_1") is False
    assert guard.accept("msg_2") is True
    assert "msg_1" in guard
    assert len(guard) == 2


def test_replay_guard_forgets_after_its_ttl_and_beyond_its_size() -> None:
    guard = ReplayGuard(ttl_seconds=60, max_entries=2)
    assert guard.accept("a", now=0)
    assert guard.accept("b", now=1)
    assert guard.accept("c", now=2)
    assert "a" not in guard  # the oldest went when the third came
    assert guard.accept("b", now=100) is True  # 99 s later: forgotten, accepted again
