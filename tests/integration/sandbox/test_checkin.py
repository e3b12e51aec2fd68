"""The hosted checkin page (SPEC "The hosted checkin page"): the form, IBAN checks with inline errors,
test IBANs, decline, the 303 redirect with paymentId, the close-this-window page, no second
submission, expiry, escaping and the security headers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from payout_desk.sandbox.checkin_pages import TEST_IBANS
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.sandbox.validation import iban_checksum_ok
from tests.fixtures.sandbox import WebhookReceiver, tls_context
from tests.integration.sandbox.helpers import auth, eventually, page_elements, payout, wait_for_status

GOOD_IBAN = "DE89 3704 0044 0532 0130 00"
CLOSED_IBAN = "DE40 3704 0044 0532 0100 02"


@pytest.fixture
def browser(sandbox_server: EmbeddedSandbox) -> Iterator[httpx.Client]:
    """A client that acts like a browser on the checkin page (no auth, no automatic redirects)."""
    with httpx.Client(base_url=sandbox_server.base_url, trust_env=False, verify=tls_context()) as client:
        yield client


def _create(api_client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = api_client.post("/api/payments", json=payout(**fields))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _path(payment: dict[str, Any]) -> str:
    return str(urlsplit(payment["url"]).path)


def _submit(browser: httpx.Client, payment: dict[str, Any], **form: str) -> httpx.Response:
    data = {"holderName": "Ada Lovelace", "iban": GOOD_IBAN, "action": "submit"}
    data.update(form)
    return browser.post(_path(payment), data=data)


def test_form_page_has_the_documented_controls(api_client: httpx.Client, browser: httpx.Client) -> None:
    payment = _create(api_client)
    assert payment["url"].endswith(f"/checkin/{payment['id']}")
    page = browser.get(_path(payment))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    elements = page_elements(page.text)
    form = elements["checkinForm"]
    assert form["attrs"]["method"] == "post"
    assert form["attrs"]["action"] == _path(payment)
    for field in ("holderName", "iban"):
        assert elements[field]["tag"] == "input"
        assert elements[field]["attrs"]["name"] == field
        assert f'<label for="{field}">' in page.text
        assert f"{field}Error" in elements[field]["attrs"]["aria-describedby"]
        assert "hidden" in elements[f"{field}Error"]["attrs"]
    assert elements["submitButton"]["attrs"] == {**elements["submitButton"]["attrs"], "type": "submit",
                                                 "name": "action", "value": "submit"}  # fmt: skip
    assert elements["declineButton"]["attrs"]["value"] == "decline"
    assert '<html lang="en">' in page.text
    assert "10.00 EUR" in page.text
    assert "Order #1456" in page.text


def test_page_lists_test_ibans_with_valid_checksums(api_client: httpx.Client, browser: httpx.Client) -> None:
    page = browser.get(_path(_create(api_client))).text
    assert len(TEST_IBANS) >= 2
    outcomes = {iban[-4:] == "0002" for iban, _ in TEST_IBANS}
    assert outcomes == {True, False}  # at least one that succeeds, one that fails
    for iban, _outcome in TEST_IBANS:
        assert iban_checksum_ok(iban)
        assert f'data-iban="{iban}"' in page


def test_checkin_pages_send_security_headers(api_client: httpx.Client, browser: httpx.Client) -> None:
    headers = browser.get(_path(_create(api_client))).headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'nonce-" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


def test_every_request_string_shown_is_escaped(api_client: httpx.Client, browser: httpx.Client) -> None:
    attack = '<script>alert("x")</script>'
    payment = _create(api_client, description=attack, customer={"id": "c", "name": '"><img src=x onerror=alert(1)>'})
    page = browser.get(_path(payment)).text
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    # What the recipient typed comes back escaped too (a re-rendered form with an error).
    again = _submit(browser, payment, holderName='"><script>bad()</script>', iban='"><b>x</b>')
    assert again.status_code == 422
    assert "<script>bad()" not in again.text
    assert "<b>x</b>" not in again.text
    assert page_elements(again.text)["holderName"]["attrs"]["value"] == '"><script>bad()</script>'
    # And the status page after a good submission.
    _submit(browser, payment)
    status_page = browser.get(_path(payment)).text
    assert "<script>alert" not in status_page
    assert "&lt;script&gt;" in status_page


def test_valid_details_redirect_303_to_the_close_window_page(api_client: httpx.Client, browser: httpx.Client) -> None:
    payment = _create(api_client)
    response = _submit(browser, payment)
    assert response.status_code == 303
    assert response.headers["location"] == _path(payment)
    page = browser.get(response.headers["location"])
    elements = page_elements(page.text)
    assert "You can close this window." in elements["closeWindowMessage"]["text"]
    assert elements["paymentStatus"]["attrs"]["data-status"] == "pending"
    assert "checkinForm" not in elements


def test_redirect_appends_payment_id_and_keeps_the_query(api_client: httpx.Client, browser: httpx.Client) -> None:
    payment = _create(api_client, redirectUrl="https://merchant.example/return?order=1456&lang=en#done")
    response = _submit(browser, payment)
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path, location.fragment) == (
        "https", "merchant.example", "/return", "done")  # fmt: skip
    assert parse_qs(location.query) == {"order": ["1456"], "lang": ["en"], "paymentId": [payment["id"]]}


def test_redirect_without_a_query(api_client: httpx.Client, browser: httpx.Client) -> None:
    payment = _create(api_client, redirectUrl="http://127.0.0.1:9/back")
    response = browser.post(_path(payment), data={"action": "decline"})
    assert response.headers["location"] == f"http://127.0.0.1:9/back?paymentId={payment['id']}"


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("DE89 3704 0044 0532 0130 01", "check digits do not match"),
        ("DE89 3704 0044 0532 0130", "has 22 characters"),
        ("12345", "starts with a country code"),
        ("", "Enter the IBAN"),
    ],
    ids=["checksum", "length", "format", "empty"],
)
def test_bad_iban_shows_an_inline_error_and_keeps_the_form(
    api_client: httpx.Client, browser: httpx.Client, iban: str, message: str
) -> None:
    payment = _create(api_client)
    response = _submit(browser, payment, iban=iban)
    assert response.status_code == 422
    elements = page_elements(response.text)
    assert message in elements["ibanError"]["text"]
    assert "hidden" not in elements["ibanError"]["attrs"]
    assert elements["iban"]["attrs"]["aria-invalid"] == "true"
    assert elements["iban"]["attrs"]["value"] == iban
    assert elements["holderName"]["attrs"]["value"] == "Ada Lovelace"
    assert elements["errorSummary"]["attrs"]["role"] == "alert"
    assert api_client.get(f"/api/payments/{payment['id']}").json()["status"] == "pending"
    assert "checkinForm" in page_elements(browser.get(_path(payment)).text)  # still open


def test_missing_holder_name_is_an_inline_error(api_client: httpx.Client, browser: httpx.Client) -> None:
    response = _submit(browser, _create(api_client), holderName="   ")
    assert response.status_code == 422
    elements = page_elements(response.text)
    assert "holder" in elements["holderNameError"]["text"]
    assert "hidden" in elements["ibanError"]["attrs"]


def test_iban_in_lower_case_with_spaces_is_accepted(api_client: httpx.Client, browser: httpx.Client) -> None:
    assert _submit(browser, _create(api_client), iban=" de89 3704 0044 0532 0130 00 ").status_code == 303


def test_a_post_without_action_counts_as_submit(api_client: httpx.Client, browser: httpx.Client) -> None:
    """What ``form.submit()`` from script sends: no submitter, so no ``action``."""
    payment = _create(api_client)
    response = browser.post(_path(payment), data={"holderName": "Ada", "iban": GOOD_IBAN})
    assert response.status_code == 303
    assert page_elements(browser.get(_path(payment)).text)["paymentStatus"]["attrs"]["data-status"] == "pending"


async def _acreate(client: httpx.AsyncClient, token: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/payments", json=payout(**fields), headers=auth(token))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _asubmit(client: httpx.AsyncClient, payment: dict[str, Any], iban: str = GOOD_IBAN) -> httpx.Response:
    return await client.post(_path(payment), data={"holderName": "Ada Lovelace", "iban": iban})


async def test_submitted_payout_stays_pending_then_succeeds(aclient: httpx.AsyncClient, merchant_token: str) -> None:
    payment = await _acreate(aclient, merchant_token)
    assert (await _asubmit(aclient, payment)).status_code == 303
    now = await aclient.get(f"/api/payments/{payment['id']}", headers=auth(merchant_token))
    assert now.json()["status"] == "pending"
    final = await wait_for_status(aclient, payment["id"], merchant_token)
    assert final["status"] == "succeeded"
    assert "failureReason" not in final
    elements = page_elements((await aclient.get(_path(payment))).text)
    assert elements["paymentStatus"]["attrs"]["data-status"] == "succeeded"
    assert "closeWindowMessage" in elements


async def test_iban_ending_0002_fails_with_account_closed(aclient: httpx.AsyncClient, merchant_token: str) -> None:
    payment = await _acreate(aclient, merchant_token)
    assert (await _asubmit(aclient, payment, CLOSED_IBAN)).status_code == 303
    final = await wait_for_status(aclient, payment["id"], merchant_token)
    assert (final["status"], final["failureReason"]) == ("failed", "account_closed")
    status = page_elements((await aclient.get(_path(payment))).text)["paymentStatus"]
    assert status["attrs"]["data-reason"] == "account_closed"


def test_decline_fails_at_once_with_declined_by_recipient(api_client: httpx.Client, browser: httpx.Client) -> None:
    payment = _create(api_client)
    response = browser.post(_path(payment), data={"holderName": "", "iban": "", "action": "decline"})
    assert response.status_code == 303
    final = api_client.get(f"/api/payments/{payment['id']}").json()
    assert (final["status"], final["failureReason"]) == ("failed", "declined_by_recipient")
    elements = page_elements(browser.get(response.headers["location"]).text)
    assert elements["paymentStatus"]["attrs"]["data-status"] == "failed"
    assert "You can close this window." in elements["closeWindowMessage"]["text"]


@pytest.mark.parametrize("second", ["submit", "decline"])
def test_a_second_submission_is_refused(api_client: httpx.Client, browser: httpx.Client, second: str) -> None:
    payment = _create(api_client)
    assert _submit(browser, payment).status_code == 303
    again = _submit(browser, payment, action=second, iban=CLOSED_IBAN)
    assert again.status_code == 409
    elements = page_elements(again.text)
    assert "checkinForm" not in elements
    assert "already" in elements["notice"]["text"]
    held = api_client.get(f"/api/payments/{payment['id']}").json()
    assert held["status"] in ("pending", "succeeded")  # the first submission stands


def test_a_final_payout_shows_its_status_never_the_form(
    api_client: httpx.Client, browser: httpx.Client, sandbox_control: Any
) -> None:
    payment = _create(api_client)
    sandbox_control.complete(payment["id"], "failed", "account_closed")
    elements = page_elements(browser.get(_path(payment)).text)
    assert "checkinForm" not in elements
    assert "submitButton" not in elements
    assert elements["paymentStatus"]["attrs"]["data-status"] == "failed"


def test_unknown_payment_page_is_404(browser: httpx.Client) -> None:
    response = browser.get("/checkin/pay_nope<b>")
    assert response.status_code == 404
    assert "<b>" not in response.text
    assert "pay_nope&lt;b&gt;" in response.text


@pytest.mark.parametrize(
    ("headers", "allowed"),
    [
        ({"Origin": "https://evil.example"}, False),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "null"}, False),
        ({"Sec-Fetch-Site": "same-site"}, False),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "null"}, True),  # Chromium under some referrer policies
        ({"Sec-Fetch-Site": "same-origin", "Origin": "SELF"}, True),
        ({}, True),  # not a browser
    ],
    ids=["foreign-origin", "cross-site", "same-site", "null-origin", "own-origin", "no-headers"],
)
def test_a_cross_site_form_post_is_refused(
    api_client: httpx.Client, browser: httpx.Client, sandbox_server: EmbeddedSandbox, headers: dict[str, str],
    allowed: bool,
) -> None:  # fmt: skip
    payment = _create(api_client)
    if headers.get("Origin") == "SELF":
        headers = {**headers, "Origin": sandbox_server.base_url}
    response = browser.post(_path(payment), data={"holderName": "A", "iban": GOOD_IBAN}, headers=headers)
    assert response.status_code == (303 if allowed else 403)
    assert api_client.get(f"/api/payments/{payment['id']}").json()["status"] == "pending"
    assert ("checkinForm" in page_elements(browser.get(_path(payment)).text)) is not allowed


async def test_checkin_expires_into_failed_expired_with_a_webhook(
    sandbox_factory: Callable[..., EmbeddedSandbox], webhook_receiver: WebhookReceiver
) -> None:
    sandbox = sandbox_factory(checkin_expiry_seconds=0.5)
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False) as client:
        token = (await client.post("/_sandbox/tokens", json={"payouts": True})).json()["token"]
        created = await client.post("/api/payments", json=payout(webhookUrl=webhook_receiver.url), headers=auth(token))
        payment = created.json()
        assert (await client.get(_path(payment))).status_code == 200
        final = await wait_for_status(client, payment["id"], token)
        assert (final["status"], final["failureReason"]) == ("failed", "expired")
        page = page_elements((await client.get(_path(payment))).text)
        assert page["paymentStatus"]["attrs"]["data-reason"] == "expired"
        late = await client.post(_path(payment), data={"holderName": "A", "iban": GOOD_IBAN})
        assert late.status_code == 409
    received = webhook_receiver.wait_for(1)
    assert b'"failureReason":"expired"' in received[0].body


async def test_get_shows_an_expired_payout_as_failed(sandbox_factory: Callable[..., EmbeddedSandbox]) -> None:
    sandbox = sandbox_factory(checkin_expiry_seconds=0.2)
    async with httpx.AsyncClient(base_url=sandbox.base_url, trust_env=False) as client:
        token = (await client.post("/_sandbox/tokens", json={})).json()["token"]
        payment = (await client.post("/api/payments", json=payout(), headers=auth(token))).json()

        async def expired() -> bool:
            body = (await client.get(f"/api/payments/{payment['id']}", headers=auth(token))).json()
            return bool(body["status"] == "failed" and body["failureReason"] == "expired")

        await eventually(expired, within=5)
