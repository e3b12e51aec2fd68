"""Small helpers for the sandbox integration tests: request bodies, bounded waiting, error checks."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser
from typing import Any, ClassVar, TypeVar

import httpx

T = TypeVar("T")


def payout(**overrides: Any) -> dict[str, Any]:
    """A valid payout body; keyword arguments replace or add fields (None values are kept)."""
    body: dict[str, Any] = {"amount": "10.00", "currency": "EUR", "type": "payout", "description": "Order #1456"}
    body.update(overrides)
    return body


def new_key() -> str:
    """A fresh Idempotency-Key (a UUID v4, as the client sends)."""
    return str(uuid.uuid4())


def auth(token: str, key: str | None = None) -> dict[str, str]:
    """Headers carrying the token and, if given, an Idempotency-Key."""
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def assert_error(response: httpx.Response, status: int, code: str, field: str | None = None) -> None:
    """The response is the SPEC's error body with this status, code and field."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "field"}
    assert body["error"]["code"] == code, body
    assert body["error"]["field"] == field, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]


async def eventually(check: Callable[[], Awaitable[T | None]], within: float = 10.0, interval: float = 0.02) -> T:
    """Poll ``check`` until it returns something truthy, for at most ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last: {result!r})")
        await asyncio.sleep(interval)


async def wait_for_status(
    client: httpx.AsyncClient, payment_id: str, token: str, within: float = 10.0
) -> dict[str, Any]:
    """Poll GET /api/payments/{id} until the payment is final; returns it."""

    async def final() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/api/payments/{payment_id}", headers=auth(token))).json()
        return body if body["status"] in ("succeeded", "failed") else None

    return await eventually(final, within)


class _Elements(HTMLParser):
    """Collects every element that has an id: tag, attributes and the text inside it."""

    VOID: ClassVar[set[str]] = {"input", "meta", "br", "img", "link", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.by_id: dict[str, dict[str, Any]] = {}
        self._open: list[dict[str, Any]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        element: dict[str, Any] = {"tag": tag, "attrs": attributes, "text": ""}
        if tag == "script":
            self._in_script = True
        if attributes.get("id"):
            self.by_id[str(attributes["id"])] = element
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        for element in self._open:
            element["text"] += data


def page_elements(html: str) -> dict[str, dict[str, Any]]:
    """Elements with an id: ``{"tag", "attrs", "text"}`` each (text with entities decoded)."""
    parser = _Elements()
    parser.feed(html)
    return parser.by_id


def script_texts(html: str) -> list[str]:
    """The contents of every <script> element."""
    parser = _Elements()
    parser.feed(html)
    return parser.scripts
