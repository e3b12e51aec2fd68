"""Sandbox integration tests: the shared fixtures come from tests/fixtures/sandbox.py (loaded by the
root conftest); this adds an async client on the session sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from payout_desk.sandbox.embedded import EmbeddedSandbox


@pytest.fixture
async def aclient(sandbox_server: EmbeddedSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx.AsyncClient on the session sandbox (no auth header: tests pass their own)."""
    async with httpx.AsyncClient(base_url=sandbox_server.base_url, trust_env=False, timeout=10) as client:
        yield client
