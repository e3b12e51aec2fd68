"""Fixtures for the services unit tests: their own keyring backend and a virtual clock."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Iterator

import keyring
import pytest

from tests.fixtures.keyring_memory import MemoryKeyring


@pytest.fixture
def test_keyring() -> Iterator[MemoryKeyring]:
    """A fresh in-memory keychain installed for this test only (independent of tests/conftest.py)."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


class VirtualClock:
    """Simulated time for pure-asyncio code: ``sleep`` parks the caller; :meth:`run` lets every
    task run until all are parked, then jumps to the earliest wake-up. No real waiting."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._seq), future))
        await future

    async def _settle(self) -> None:
        for _ in range(50):
            await asyncio.sleep(0)

    async def run(self, until: asyncio.Future[object] | None = None, *, limit: float = 3600.0) -> None:
        """Advance time until ``until`` is done (or nothing sleeps any more, or ``limit``)."""
        while True:
            await self._settle()
            if until is not None and until.done():
                return
            while self._sleepers and self._sleepers[0][2].cancelled():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                return
            wake, _, future = self._sleepers[0]
            if wake > limit:
                return  # the sleeper stays parked for the next run()
            heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            future.set_result(None)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()
