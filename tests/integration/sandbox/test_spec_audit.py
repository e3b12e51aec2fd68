"""SPEC audit: shared/provider/SPEC.md checked line by line through the real CLI surface.

Every test here talks plain HTTP to ``payout-desk-sandbox`` started as a subprocess (the console
script, as a new user would; ``python -m payout_desk.sandbox`` once), never to objects in this
process. The webhook signature is recomputed here with ``hmac`` from the SPEC's formula, not with
the project's own verifier. Items the other sandbox tests already check verbatim through the
embedded server are checked again only where the CLI path could differ.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fixtures.sandbox import WebhookReceiver
from tests.integration.sandbox.helpers import assert_error, auth, eventually, new_key, page_elements, payout

GOOD_IBAN = "DE89370400440532013000"
CLOSED_IBAN = "DE40370400440532010002"
RESPONSE_FIELDS = {"id", "status", "url", "externalId", "amount", "currency", "description", "metadata", "createdAt"}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")
CONSOLE_SCRIPT = Path(sys.executable).with_name("payout-desk-sandbox")


# --- the CLI as a subprocess ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Cli:
    """One running ``payout-desk-sandbox``: its banner's base URL and token."""

    process: subprocess.Popen[str]
    base_url: str = ""
    token: str = ""
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def read_banner(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not (self.base_url and self.token):
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            self.seen.append(line)
            if line.startswith("Base URL:"):
                self.base_url = line.split(":", 1)[1].strip()
            elif line.startswith("Token:"):
                self.token = line.split(":", 1)[1].strip()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        code = self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, trust_env=False, timeout=10, **kwargs)

    def aclient(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, trust_env=False, timeout=10)


def start_cli(*args: str, command: list[str] | None = None) -> Cli:
    argv = [*(command or [str(CONSOLE_SCRIPT)]), "--port", str(free_port()), "--log-level", "warning", *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    cli = Cli(process)

    def pump(stream: IO[str]) -> None:
        for line in stream:
            cli.lines.put(line)

    assert process.stdout is not None
    threading.Thread(target=pump, args=(process.stdout,), daemon=True).start()
    try:
        cli.read_banner()
    except BaseException:
        cli.stop()
        raise
    return cli


@pytest.fixture(scope="module")
def cli() -> Iterator[Cli]:
    """The sandbox most tests share (processing 0.3 s); each test mints its own merchant."""
    running = start_cli("--processing-seconds", "0.3")
    yield running
    assert running.stop() == 0


@pytest.fixture
def http(cli: Cli) -> Iterator[httpx.Client]:
    with cli.client() as client:
        yield client


def mint(http: httpx.Client, payouts: bool = True, **extra: Any) -> str:
    response = http.post("/_sandbox/tokens", json={"payouts": payouts, **extra})
    assert response.status_code in (200, 201), response.text
    token: str = response.json()["token"]
    return token


def create(http: httpx.Client, token: str, key: str | None = None, **fields: Any) -> dict[str, Any]:
    response = http.post("/api/payments", json=payout(**fields), headers=auth(token, key))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def browser_post(http: httpx.Client, payment: dict[str, Any], **form: str) -> httpx.Response:
    """A form submission as a browser sends it from the checkin page itself."""
    parts = urlsplit(payment["url"])
    headers = {
        "Origin": f"{parts.scheme}://{parts.netloc}",
        "Referer": payment["url"],
        "Sec-Fetch-Site": "same-origin",
        "Sec-Fetch-Mode": "navigate",
        "Content-Type": "application/x-www-form-urlencoded",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36",
    }
    return http.post(payment["url"], data=form, headers=headers)


# --- CLI, banner, python -m -------------------------------------------------------------------------


def test_banner_gives_a_loopback_base_url_and_a_fresh_payout_token(cli: Cli, http: httpx.Client) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", cli.base_url)
    assert cli.token.startswith("tk_test_")
    created = create(http, cli.token)  # the banner token has the Payout permission
    assert created["id"].startswith("pay_")
    assert http.get(f"/api/payments/{created['id']}", headers=auth(cli.token)).status_code == 200


def test_python_dash_m_starts_the_same_cli() -> None:
    running = start_cli("--processing-seconds", "0.3", command=[sys.executable, "-m", "payout_desk.sandbox"])
    try:
        assert running.token.startswith("tk_test_")
        with running.client() as client:
            assert client.post("/api/payments", json=payout(), headers=auth(running.token)).status_code == 201
    finally:
        assert running.stop() == 0


def test_a_wildcard_host_prints_a_loopback_base_url_the_control_surface_answers() -> None:
    running = start_cli("--host", "0.0.0.0")
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", running.base_url)
        with running.client() as client:
            assert client.get("/_sandbox/payments").status_code == 200
    finally:
        assert running.stop() == 0


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--port", "70000"], "port"),
        (["--port", "0", "--state", "/proc/no-such-dir/state.sqlite3"], "state file"),
        (["--port", "0", "--state", "NOT_A_DB"], "state file"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_not_a_traceback(tmp_path: Path, args: list[str], says: str) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("not a database\n" * 100)
    argv = [str(CONSOLE_SCRIPT), *[str(not_a_db) if a == "NOT_A_DB" else a for a in args]]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


# --- transport, auth and the error table -------------------------------------------------------------


@pytest.mark.parametrize("content", [b"not json", b"", b"[1]", b'"text"', b"null", b"{"])
def test_400_malformed_request(http: httpx.Client, cli: Cli, content: bytes) -> None:
    headers = {**auth(cli.token), "Content-Type": "application/json"}
    assert_error(http.post("/api/payments", content=content, headers=headers), 400, "malformed_request")


def test_401_missing_unknown_and_revoked_tokens(http: httpx.Client) -> None:
    token = mint(http)
    for headers in ({}, auth("tk_test_unknown"), {"Authorization": token}, {"Authorization": "Basic eDp5"}):
        assert_error(http.post("/api/payments", json=payout(), headers=headers), 401, "unauthorized")
        assert_error(http.get("/api/payments/pay_x", headers=headers), 401, "unauthorized")
    assert http.post("/_sandbox/tokens/revoke", json={"token": token}).json() == {"revoked": True}
    assert_error(http.post("/api/payments", json=payout(), headers=auth(token)), 401, "unauthorized")


def test_403_only_for_payouts_without_the_permission(http: httpx.Client) -> None:
    token = mint(http, payouts=False)
    assert_error(http.post("/api/payments", json=payout(), headers=auth(token)), 403, "payouts_not_enabled")
    payin = http.post("/api/payments", json=payout(type="payin"), headers=auth(token))
    assert payin.status_code == 201  # `type` is not payout: no 403
    body = payout()
    del body["type"]  # default payin
    assert http.post("/api/payments", json=body, headers=auth(token)).status_code == 201


def test_404_unknown_id_and_another_merchants_id(http: httpx.Client) -> None:
    mine, other = mint(http), mint(http)
    created = create(http, mine)
    assert_error(http.get(f"/api/payments/{created['id']}", headers=auth(other)), 404, "not_found")
    assert_error(http.get("/api/payments/pay_000000000000000000000000", headers=auth(mine)), 404, "not_found")


def test_429_and_5xx_faults_follow_the_error_table(http: httpx.Client) -> None:
    token = mint(http)
    fault = {"method": "POST", "path": "/api/payments", "fault": "rate_limit", "times": 1, "retryAfter": 2}
    assert http.post("/_sandbox/faults", json=fault).status_code in (200, 201)
    limited = http.post("/api/payments", json=payout(), headers=auth(token, new_key()))
    assert_error(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "2"
    fault = {"method": "POST", "path": "/api/payments", "fault": "status", "times": 2, "status": 503}
    assert http.post("/_sandbox/faults", json=fault).status_code in (200, 201)
    key = new_key()
    for _ in range(2):
        assert_error(http.post("/api/payments", json=payout(), headers=auth(token, key)), 503, "internal_error")
    # SPEC: "5xx ... safe to retry with the same Idempotency-Key": the retry creates exactly one.
    assert http.post("/api/payments", json=payout(), headers=auth(token, key)).status_code == 201
    assert http.post("/api/payments", json=payout(), headers=auth(token, key)).status_code == 200


@pytest.mark.parametrize(
    ("status", "code"), [(429, "rate_limited"), (403, "payouts_not_enabled"), (500, "internal_error")]
)
def test_a_status_fault_answers_the_specs_code_for_that_status(http: httpx.Client, status: int, code: str) -> None:
    """SPEC error table: a 429 always carries Retry-After; each status has its table code."""
    token = mint(http)
    fault = {"method": "GET", "path": "/api/payments/*", "fault": "status", "status": status}
    assert http.post("/_sandbox/faults", json=fault).status_code in (200, 201)
    response = http.get("/api/payments/pay_x", headers=auth(token))
    assert_error(response, status, code)
    if status == 429:
        assert int(response.headers["Retry-After"]) >= 0


# --- POST /api/payments: the body table ---------------------------------------------------------------

BROKEN = [
    ("amount", {"amount": None}),
    ("amount", {"amount": "-1.00"}),
    ("amount", {"amount": "+1.00"}),
    ("amount", {"amount": "1e2"}),
    ("amount", {"amount": "1,000.00"}),
    ("amount", {"amount": "1 000"}),
    ("amount", {"amount": "10,00"}),
    ("amount", {"amount": ".5"}),
    ("amount", {"amount": "5."}),
    ("amount", {"amount": "0"}),
    ("amount", {"amount": "0.00"}),
    ("amount", {"amount": 10}),
    ("amount", {"amount": "1000000000.01"}),
    ("amount", {"amount": "1.001"}),  # EUR: 2 minor digits
    ("amount", {"amount": "1.5", "currency": "JPY"}),
    ("amount", {"amount": "1.0001", "currency": "BHD"}),
    ("currency", {"currency": None}),
    ("currency", {"currency": "eur"}),
    ("currency", {"currency": "EURO"}),
    ("currency", {"currency": "ABC"}),
    ("currency", {"currency": "DEM"}),  # withdrawn: not active
    ("type", {"type": "transfer"}),
    ("type", {"type": "PAYOUT"}),
    ("description", {"description": "x" * 256}),
    ("description", {"description": 5}),
    ("metadata", {"metadata": []}),
    ("metadata", {"metadata": "text"}),
    ("metadata", {"metadata": {"a": None}}),
    ("metadata", {"metadata": {"a": [1]}}),
    ("metadata", {"metadata": {"k": "x" * 4090}}),  # 4098 bytes compact
    ("externalId", {"externalId": "e" * 256}),
    ("externalId", {"externalId": 12}),
    ("redirectUrl", {"redirectUrl": "http://example.com/back"}),
    ("redirectUrl", {"redirectUrl": "/relative"}),
    ("redirectUrl", {"redirectUrl": "https://example.com/" + "a" * 2029}),  # 2049
    ("webhookUrl", {"webhookUrl": "ftp://example.com/h"}),
    ("webhookUrl", {"webhookUrl": "http://10.0.0.1/h"}),
    ("customer", {"customer": "User Name"}),
    ("customer", {"customer": {"id": 1, "name": "User"}}),
]


@pytest.mark.parametrize(("field_name", "change"), BROKEN)
def test_422_validation_error_names_the_field(http: httpx.Client, field_name: str, change: dict[str, Any]) -> None:
    token = mint(http)
    response = http.post("/api/payments", json=payout(**change), headers=auth(token, new_key()))
    assert_error(response, 422, "validation_error", field_name)


ACCEPTED = [
    {"amount": "1000000000"},
    {"amount": "1000000000.00"},
    {"amount": "0.01"},
    {"amount": "10", "currency": "JPY"},
    {"amount": "1.234", "currency": "BHD"},
    {"amount": "10.5"},
    {"description": "é" * 255},  # characters, not bytes
    {"externalId": "x" * 255},
    {"metadata": {"k": "x" * 4088}},  # exactly 4096 bytes compact
    {"metadata": {"nested": {"list": [1, None]}}},  # only root values are restricted
    {"redirectUrl": "https://example.com/" + "a" * 2028},  # exactly 2048
    {"redirectUrl": "http://127.0.0.1:9/back", "webhookUrl": "http://localhost:9/hook"},
    {"webhookUrl": "http://[::1]:9/hook"},
    {"customer": {"id": "550e8400-e29b-41d4-a716-446655440000", "name": "User Name"}},
    {"somethingElse": [1, 2], "amountInCents": 1000},  # anything else: ignored
]


@pytest.mark.parametrize("change", ACCEPTED)
def test_values_within_the_rules_are_accepted(http: httpx.Client, change: dict[str, Any]) -> None:
    token = mint(http)
    response = http.post("/api/payments", json=payout(**change), headers=auth(token))
    assert response.status_code == 201, response.text
    assert set(response.json()) == RESPONSE_FIELDS


def test_the_201_response_is_the_documented_object(http: httpx.Client) -> None:
    token = mint(http)
    before = datetime.now(UTC).replace(microsecond=0)
    body = payout(
        externalId="ext-1",
        metadata={"orderId": 1456},
        customer={"id": "c-1", "name": "User Name"},
        redirectUrl="http://127.0.0.1:9/back",
        webhookUrl="http://127.0.0.1:9/hook",
    )
    response = http.post("/api/payments", json=body, headers=auth(token, new_key()))
    assert response.status_code == 201
    assert response.headers["content-type"].startswith("application/json")
    assert "Idempotent-Replayed" not in response.headers
    created = response.json()
    assert set(created) == RESPONSE_FIELDS  # redirectUrl, customer, webhookUrl never echoed
    for hidden in ("redirectUrl", "customer", "webhookUrl", "User Name", "127.0.0.1:9"):
        assert hidden not in response.text
    assert re.fullmatch(r"pay_[A-Za-z0-9]+", created["id"])
    assert created["status"] == "pending"
    assert (created["amount"], created["currency"], created["description"]) == ("10.00", "EUR", "Order #1456")
    assert (created["externalId"], created["metadata"]) == ("ext-1", {"orderId": 1456})
    assert RFC3339_UTC.fullmatch(created["createdAt"])
    at = datetime.fromisoformat(created["createdAt"].replace("Z", "+00:00"))
    assert at.utcoffset() is not None
    assert before <= at <= datetime.now(UTC)
    page = http.get(created["url"])  # `url` is the hosted checkin page
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert created["url"].startswith(http.base_url.scheme + "://")
    fetched = http.get(f"/api/payments/{created['id']}", headers=auth(token))
    assert fetched.json() == created  # GET: the same object, current status


# --- idempotency -------------------------------------------------------------------------------------


def test_same_key_same_parsed_body_replays_with_200_and_the_header(http: httpx.Client) -> None:
    token, key = mint(http), new_key()
    first = http.post("/api/payments", json=payout(metadata={"a": 1, "b": 2}), headers=auth(token, key))
    assert first.status_code == 201
    reordered = json.dumps({"metadata": {"b": 2, "a": 1}, **payout()}, indent=2).encode()
    again = http.post(
        "/api/payments", content=reordered, headers={**auth(token, key), "Content-Type": "application/json"}
    )
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    listed = http.get("/_sandbox/payments").json()["payments"]
    assert [p["id"] for p in listed].count(first.json()["id"]) == 1
    assert sum(1 for p in listed if p["idempotencyKey"] == key) == 1  # never a second payout


def test_same_key_different_body_is_422_key_reused(http: httpx.Client) -> None:
    token, key = mint(http), new_key()
    create(http, token, key)
    response = http.post("/api/payments", json=payout(amount="10.01"), headers=auth(token, key))
    assert_error(response, 422, "idempotency_key_reused")


async def test_same_key_while_in_flight_is_409_then_replays(cli: Cli) -> None:
    async with cli.aclient() as client:
        token = (await client.post("/_sandbox/tokens", json={"payouts": True})).json()["token"]
        fault = {"method": "POST", "path": "/api/payments", "fault": "delay", "times": 1, "seconds": 1}
        assert (await client.post("/_sandbox/faults", json=fault)).status_code in (200, 201)
        key = new_key()
        first = asyncio.create_task(client.post("/api/payments", json=payout(), headers=auth(token, key)))

        async def taken() -> bool:
            pending: list[Any] = (await client.get("/_sandbox/faults")).json()["faults"]
            return pending == []

        await eventually(taken, within=2.0)  # the first request has reached the server
        await asyncio.sleep(0.1)  # and reserved its key

        async def conflict() -> httpx.Response | None:
            response = await client.post("/api/payments", json=payout(), headers=auth(token, key))
            return response if response.status_code == 409 else None

        assert_error(await eventually(conflict, within=1.0), 409, "idempotency_in_progress")
        assert (await first).status_code == 201
        replay = await client.post("/api/payments", json=payout(), headers=auth(token, key))
        assert replay.status_code == 200
        assert replay.json() == (await first).json()


def test_no_key_external_id_replay_and_422_on_external_id(http: httpx.Client) -> None:
    token = mint(http)
    ext = f"order-{uuid.uuid4()}"
    first = create(http, token, externalId=ext)
    again = http.post("/api/payments", json=payout(externalId=ext), headers=auth(token))
    assert again.status_code == 200
    assert again.json() == first
    other = http.post("/api/payments", json=payout(externalId=ext, amount="99.00"), headers=auth(token))
    assert_error(other, 422, "validation_error", "externalId")
    # another merchant may use the same externalId
    assert http.post("/api/payments", json=payout(externalId=ext), headers=auth(mint(http))).status_code == 201


def test_keys_are_scoped_to_the_merchant(http: httpx.Client) -> None:
    key = new_key()
    first = create(http, mint(http), key)
    second = http.post("/api/payments", json=payout(), headers=auth(mint(http), key))
    assert second.status_code == 201
    assert second.json()["id"] != first["id"]


def test_printable_ascii_keys_up_to_255_and_bad_keys(http: httpx.Client) -> None:
    token = mint(http)
    assert http.post("/api/payments", json=payout(), headers=auth(token, "k" * 255)).status_code == 201
    assert http.post("/api/payments", json=payout(), headers=auth(token, "a b~!{}")).status_code == 201
    bad = http.post("/api/payments", json=payout(), headers=auth(token, "k" * 256))
    assert_error(bad, 422, "validation_error")


# --- the hosted checkin page, as a browser drives it --------------------------------------------------


def test_browser_submits_the_form_and_is_sent_back_with_the_payment_id(http: httpx.Client) -> None:
    token = mint(http)
    payment = create(http, token, redirectUrl="http://127.0.0.1:9/back?order=7")
    form = http.get(payment["url"], headers={"Accept": "text/html", "Sec-Fetch-Site": "none"})
    elements = page_elements(form.text)
    assert elements["checkinForm"]["attrs"]["method"].lower() == "post"
    assert {"holderName", "iban", "submitButton", "declineButton"} <= set(elements)
    action = elements["checkinForm"]["attrs"]["action"]
    assert http.base_url.join(action) == httpx.URL(payment["url"])
    answer = browser_post(http, payment, holderName="Ada Lovelace", iban="de89 3704 0044 0532 0130 00", action="submit")
    assert answer.status_code == 303
    target = urlsplit(answer.headers["Location"])
    assert (target.scheme, target.netloc, target.path) == ("http", "127.0.0.1:9", "/back")
    assert parse_qs(target.query) == {"order": ["7"], "paymentId": [payment["id"]]}
    # submitted: the page shows the status, never the form again
    again = http.get(payment["url"])
    assert "checkinForm" not in page_elements(again.text)
    assert page_elements(again.text)["paymentStatus"]["attrs"]["data-status"] == "pending"
    second = browser_post(http, payment, holderName="Eve", iban=GOOD_IBAN)
    assert second.status_code != 303
    assert "checkinForm" not in page_elements(second.text)


def test_without_redirect_url_the_page_says_you_can_close_this_window(http: httpx.Client) -> None:
    payment = create(http, mint(http))
    answer = browser_post(http, payment, holderName="Ada", iban=GOOD_IBAN, action="submit")
    assert answer.status_code == 303
    shown = http.get(http.base_url.join(answer.headers["Location"]))
    assert shown.status_code == 200
    assert "you can close this window" in page_elements(shown.text)["closeWindowMessage"]["text"].lower()
    assert "checkinForm" not in page_elements(shown.text)


def test_decline_redirects_and_fails_with_declined_by_recipient(http: httpx.Client) -> None:
    token = mint(http)
    payment = create(http, token, redirectUrl="https://merchant.example/return")
    answer = browser_post(http, payment, action="decline")
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"https://merchant.example/return?paymentId={payment['id']}"
    fetched = http.get(f"/api/payments/{payment['id']}", headers=auth(token)).json()
    assert (fetched["status"], fetched["failureReason"]) == ("failed", "declined_by_recipient")
    assert page_elements(http.get(payment["url"]).text)["paymentStatus"]["attrs"]["data-status"] == "failed"


def test_bad_details_show_inline_errors_and_echo_input_escaped(http: httpx.Client) -> None:
    payment = create(http, mint(http))
    evil = '"><script>alert(1)</script>'
    answer = browser_post(http, payment, holderName=evil, iban=evil + "DE00")
    assert answer.status_code in (200, 400, 422)
    assert "<script>alert(1)" not in answer.text
    elements = page_elements(answer.text)
    assert elements["ibanError"]["text"].strip()
    assert "hidden" not in elements["ibanError"]["attrs"]
    assert elements["holderName"]["attrs"]["value"] == evil  # kept, escaped, decoded back by the parser
    wrong_checksum = browser_post(http, payment, holderName="Ada", iban="DE89370400440532013001")
    assert page_elements(wrong_checksum.text)["ibanError"]["text"].strip()
    assert browser_post(http, payment, holderName="", iban=GOOD_IBAN).status_code != 303


def test_every_request_string_the_page_displays_is_escaped(http: httpx.Client) -> None:
    evil = "<img src=x onerror=alert(1)>&\"'"
    token = mint(http)
    payment = create(http, token, description=evil, externalId=evil, customer={"id": evil, "name": evil})
    for page in (http.get(payment["url"]).text,):
        assert "<img" not in page
        assert "onerror=alert(1)>" not in page.replace("&gt;", "")
    http.post(f"/_sandbox/payments/{payment['id']}/complete", json={"outcome": "failed", "reason": evil})
    status_page = http.get(payment["url"]).text
    assert "<img" not in status_page
    assert page_elements(status_page)["paymentStatus"]["attrs"]["data-reason"] == evil


def test_the_not_found_page_escapes_the_id_from_the_path(http: httpx.Client) -> None:
    page = http.get("/checkin/pay_%3Cimg%20src=x%20onerror=alert(1)%3E")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<img" not in page.text


def test_iban_ending_0002_fails_with_account_closed(http: httpx.Client) -> None:
    token = mint(http)
    payment = create(http, token)
    assert browser_post(http, payment, holderName="Ada", iban=CLOSED_IBAN).status_code == 303
    deadline = time.monotonic() + 5
    while (fetched := http.get(f"/api/payments/{payment['id']}", headers=auth(token)).json())["status"] == "pending":
        assert time.monotonic() < deadline
    assert (fetched["status"], fetched["failureReason"]) == ("failed", "account_closed")


def test_a_cross_site_post_is_refused(http: httpx.Client) -> None:
    payment = create(http, mint(http))
    answer = http.post(
        payment["url"],
        data={"holderName": "Mallory", "iban": GOOD_IBAN},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 403
    assert "checkinForm" in page_elements(http.get(payment["url"]).text)


# --- webhooks ------------------------------------------------------------------------------------------


def _signature_ok(token: str, headers: dict[str, str], body: bytes) -> bool:
    message = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    digest = base64.b64encode(hmac.new(token.encode("utf-8"), message, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(f"v1,{digest}", part) for part in headers["webhook-signature"].split())


async def test_webhook_per_payout_url_signed_with_the_token_and_retried(
    cli: Cli, webhook_receiver: WebhookReceiver
) -> None:
    webhook_receiver.statuses = [500]  # first attempt fails: the retry comes 5 s later (SPEC schedule)
    async with cli.aclient() as client:
        token = (await client.post("/_sandbox/tokens", json={"payouts": True})).json()["token"]
        created = await client.post(
            "/api/payments", json=payout(webhookUrl=webhook_receiver.url + "?p=1"), headers=auth(token)
        )
        payment = created.json()
        done = await client.post(f"/_sandbox/payments/{payment['id']}/complete", json={"outcome": "succeeded"})
        assert done.status_code == 200
        first, second = await asyncio.to_thread(webhook_receiver.wait_for, 2, 10.0)
        fetched = (await client.get(f"/api/payments/{payment['id']}", headers=auth(token))).json()
        log = (await client.get("/_sandbox/webhooks")).json()
    for hook in (first, second):
        assert (hook.path, hook.query) == ("/hooks", "p=1")
        assert _signature_ok(token, hook.headers, hook.body)
        assert abs(int(hook.headers["webhook-timestamp"]) - time.time()) < 60
        assert json.loads(hook.body) == fetched  # the payment object as GET returns it
    assert first.headers["webhook-id"] == second.headers["webhook-id"]  # one event, one id
    entries = [d for d in log["deliveries"] if d["url"] == webhook_receiver.url + "?p=1"]
    assert [(d["attempt"], d["status"]) for d in entries] == [(1, 500), (2, 200)]
    for entry in entries:
        assert {"url", "status", "attempt", "headers", "body"} <= set(entry)
        assert json.loads(entry["body"]) == fetched
        assert {k.lower() for k in entry["headers"]} >= {"webhook-id", "webhook-timestamp", "webhook-signature"}
    gap = entries[1]["at"] - entries[0]["at"]
    assert 4.5 <= gap <= 7.0, gap


async def test_merchant_default_webhook_url_and_a_new_id_per_event(cli: Cli, webhook_receiver: WebhookReceiver) -> None:
    async with cli.aclient() as client:
        minted = await client.post("/_sandbox/tokens", json={"payouts": True, "webhookUrl": webhook_receiver.url})
        token = minted.json()["token"]
        ids = []
        for outcome in ("succeeded", "failed"):
            payment = (await client.post("/api/payments", json=payout(), headers=auth(token))).json()
            body = {"outcome": outcome, "reason": "bank_error"}
            await client.post(f"/_sandbox/payments/{payment['id']}/complete", json=body)
            ids.append(payment["id"])
        hooks = await asyncio.to_thread(webhook_receiver.wait_for, 2)
    assert sorted(json.loads(h.body)["id"] for h in hooks) == sorted(ids)
    assert len({h.headers["webhook-id"] for h in hooks}) == 2
    failed = next(json.loads(h.body) for h in hooks if json.loads(h.body)["status"] == "failed")
    assert failed["failureReason"] == "bank_error"


# --- the control surface ------------------------------------------------------------------------------


def test_control_shapes_tokens_payments_complete(http: httpx.Client) -> None:
    minted = http.post("/_sandbox/tokens", json={"payouts": True})
    assert minted.json()["token"].startswith("tk_test_")
    token, key = minted.json()["token"], new_key()
    payment = create(
        http, token, key, customer={"id": "c1", "name": "N"}, redirectUrl="http://127.0.0.1:9/r", webhookUrl=None
    )
    listed = http.get("/_sandbox/payments").json()
    assert set(listed) == {"payments"}
    [row] = [p for p in listed["payments"] if p["id"] == payment["id"]]
    assert {k: row[k] for k in RESPONSE_FIELDS} == payment
    assert row["idempotencyKey"] == key
    assert row["customer"] == {"id": "c1", "name": "N"}
    assert (row["redirectUrl"], row["webhookUrl"]) == ("http://127.0.0.1:9/r", None)
    failed = http.post(f"/_sandbox/payments/{payment['id']}/complete", json={"outcome": "failed", "reason": "limit"})
    assert failed.status_code == 200
    fetched = http.get(f"/api/payments/{payment['id']}", headers=auth(token)).json()
    assert (fetched["status"], fetched["failureReason"]) == ("failed", "limit")
    other = create(http, token)
    assert http.post(f"/_sandbox/payments/{other['id']}/complete", json={"outcome": "succeeded"}).status_code == 200
    assert http.get(f"/api/payments/{other['id']}", headers=auth(token)).json()["status"] == "succeeded"
    assert set(http.get("/_sandbox/webhooks").json()) == {"deliveries"}


def test_faults_each_kind_and_delete(http: httpx.Client, cli: Cli) -> None:
    token = mint(http)
    assert http.delete("/_sandbox/faults").status_code in (200, 204)
    # delay, with "seconds"
    http.post("/_sandbox/faults", json={"method": "GET", "path": "/api/payments/*", "fault": "delay", "seconds": 0.5})
    started = time.monotonic()
    assert http.get("/api/payments/pay_x", headers=auth(token)).status_code == 404
    assert time.monotonic() - started >= 0.5
    # malformed_json: the real status, a body that is not JSON; the create happened
    key = new_key()
    http.post("/_sandbox/faults", json={"method": "POST", "path": "/api/payments", "fault": "malformed_json"})
    garbled = http.post("/api/payments", json=payout(), headers=auth(token, key))
    with pytest.raises(ValueError):
        json.loads(garbled.content)
    assert http.post("/api/payments", json=payout(), headers=auth(token, key)).status_code == 200
    # drop_after_commit: created, then the connection closes with no answer
    key = new_key()
    http.post("/_sandbox/faults", json={"method": "POST", "path": "/api/payments", "fault": "drop_after_commit"})
    with cli.client() as fresh, pytest.raises(httpx.TransportError):
        fresh.post("/api/payments", json=payout(), headers=auth(token, key))
    replay = http.post("/api/payments", json=payout(), headers=auth(token, key))
    assert replay.status_code == 200  # it was committed
    # times, then DELETE clears what is left
    http.post("/_sandbox/faults", json={"method": "GET", "path": "/api/payments/*", "fault": "status", "times": 2})
    assert http.get("/api/payments/pay_x", headers=auth(token)).status_code == 503
    assert http.delete("/_sandbox/faults").status_code in (200, 204)
    assert http.get("/api/payments/pay_x", headers=auth(token)).status_code == 404


def test_control_answers_loopback_only(http: httpx.Client) -> None:
    for headers in ({"Host": "sandbox.example.com"}, {"Origin": "https://evil.example"}):
        assert http.get("/_sandbox/payments", headers=headers).status_code == 403
        assert http.post("/_sandbox/tokens", json={"payouts": True}, headers=headers).status_code == 403
    assert http.get("/_sandbox/payments", headers={"Host": "localhost"}).status_code == 200


# --- separate instances: expiry, default processing time, --state ----------------------------------


async def test_unfinished_checkin_expires_into_failed_expired(webhook_receiver: WebhookReceiver) -> None:
    running = start_cli("--checkin-expiry-seconds", "0.5", "--webhook-url", webhook_receiver.url)
    try:
        async with running.aclient() as client:
            payment = (await client.post("/api/payments", json=payout(), headers=auth(running.token))).json()

            async def final() -> dict[str, Any] | None:
                body = (await client.get(f"/api/payments/{payment['id']}", headers=auth(running.token))).json()
                return body if body["status"] != "pending" else None

            fetched = await eventually(final, within=5)
            page = (await client.get(payment["url"])).text
        assert (fetched["status"], fetched["failureReason"]) == ("failed", "expired")
        assert "checkinForm" not in page_elements(page)
        [hook] = await asyncio.to_thread(webhook_receiver.wait_for, 1)  # the CLI's default webhook URL
        assert json.loads(hook.body) == fetched
    finally:
        assert running.stop() == 0


async def test_default_processing_is_2_seconds_then_succeeded() -> None:
    running = start_cli()
    try:
        async with running.aclient() as client:
            payment = (await client.post("/api/payments", json=payout(), headers=auth(running.token))).json()
            form = {"holderName": "Ada", "iban": GOOD_IBAN}
            submitted_at = time.monotonic()
            assert (await client.post(payment["url"], data=form)).status_code == 303
            seen: list[tuple[float, str]] = []
            while time.monotonic() - submitted_at < 4.0:
                body = (await client.get(f"/api/payments/{payment['id']}", headers=auth(running.token))).json()
                seen.append((time.monotonic() - submitted_at, body["status"]))
                if body["status"] != "pending":
                    break
                await asyncio.sleep(0.05)
        pending_until = max(t for t, s in seen if s == "pending")
        assert pending_until >= 1.0, seen  # still pending well after 1 s
        assert seen[-1][1] == "succeeded", seen  # and succeeded by 4 s
        assert 1.7 <= seen[-1][0] <= 4.0, seen
    finally:
        assert running.stop() == 0


def test_state_file_keeps_payouts_tokens_and_idempotency_records(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.sqlite3"
    first = start_cli("--state", str(state), "--processing-seconds", "0.3")
    try:
        with first.client() as client:
            minted = mint(client)
            key = new_key()
            payment = create(client, minted, key, externalId="persist-1")
    finally:
        assert first.stop() == 0
    second = start_cli("--state", str(state))
    try:
        with second.client() as client:
            assert second.token != first.token
            # the kept payout's `url` is the checkin page on the address the sandbox now serves
            moved = {**payment, "url": f"{second.base_url}/checkin/{payment['id']}"}
            assert client.get(f"/api/payments/{payment['id']}", headers=auth(minted)).json() == moved
            assert "checkinForm" in page_elements(client.get(moved["url"]).text)
            replay = client.post("/api/payments", json=payout(externalId="persist-1"), headers=auth(minted, key))
            assert (replay.status_code, replay.json()) == (200, moved)
            reused = client.post("/api/payments", json=payout(amount="1.00"), headers=auth(minted, key))
            assert_error(reused, 422, "idempotency_key_reused")
            [row] = client.get("/_sandbox/payments").json()["payments"]
            assert (row["id"], row["url"]) == (payment["id"], moved["url"])
    finally:
        assert second.stop() == 0


def test_the_embedded_sandbox_keeps_checkin_links_working_across_restarts(tmp_path: Path) -> None:
    """The app's built-in sandbox: ``--state`` equivalent with a free port. Its kept payouts' ``url``
    must still open the checkin page after a restart, on the same port when it is free and on the
    new one otherwise."""
    from payout_desk.sandbox.embedded import EmbeddedSandbox

    state = tmp_path / "embedded.sqlite3"
    first = EmbeddedSandbox(state_path=state)
    base = first.start()
    try:
        with httpx.Client(base_url=base, trust_env=False, timeout=10) as client:
            token = mint(client)
            payment = create(client, token)
    finally:
        first.stop()
    again = EmbeddedSandbox(state_path=state)
    assert again.start() == base  # the old port was free: the very same links
    again.stop()
    with socket.socket() as squatter:  # now someone else holds the old port
        squatter.bind(("127.0.0.1", urlsplit(base).port or 0))
        squatter.listen(1)
        moved = EmbeddedSandbox(state_path=state)
        new_base = moved.start()
        try:
            assert new_base != base
            with httpx.Client(base_url=new_base, trust_env=False, timeout=10) as client:
                fetched = client.get(f"/api/payments/{payment['id']}", headers=auth(token)).json()
                assert fetched["url"] == f"{new_base}/checkin/{payment['id']}"
                assert "checkinForm" in page_elements(client.get(fetched["url"]).text)
        finally:
            moved.stop()
