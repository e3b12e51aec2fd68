"""A property over the whole exactly-once design (issues 11 and 12), against the real sandbox.

Random sequences of payouts under faults (a dropped answer, 503s, a 401 after an ambiguous attempt,
an oversized answer, a provider status spelled like a local state), restarts, profile switches and
wall-clock jumps past the key retention (the sandbox itself forgets keys after 1 s). Afterwards the
faults stop, the home profile starts once more, and every pending payout is completed at the provider:

* the provider never holds two payouts for one journal entry (each reference at most once), and
  nothing ever reached the provider from the other profile;
* every entry ends ``succeeded``, ``failed``, ``rejected`` with no ambiguous attempt (and then the
  provider holds nothing for it), or in a state a person sees and resolves (``mismatch``,
  ``needs_reconciliation``).
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.journal import AsyncJournal, HistoryQuery, PayoutRecord
from payout_desk.provider.client import PayoutsClient
from payout_desk.provider.urls import normalize_base_url
from payout_desk.sandbox.client import AsyncSandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.desk import PayoutDesk
from tests.integration.core.conftest import FAST_POLL, FAST_RETRY, FAST_TIMEOUTS, RecordingSleep, payout_request

pytestmark = pytest.mark.timeout(600)

TTL = 1.0
FAULTS: dict[str, list[dict[str, Any]]] = {
    "none": [],
    "dropped": [{"fault": "drop_after_commit"}, {"fault": "status", "status": 503, "times": 4}],
    "503s": [{"fault": "status", "status": 503, "times": 5}],
    "401_after_drop": [{"fault": "drop_after_commit"}, {"fault": "status", "status": 401, "times": 4}],
    "huge": [{"fault": "huge_body", "bytes": 2_000_000}],
    "says_rejected": [{"fault": "rewrite", "fields": {"status": "rejected"}}],
    "401": [{"fault": "status", "status": 401}],
}
STEP = st.sampled_from(
    [("submit", fault) for fault in sorted(FAULTS)] + [("restart", None), ("switch", None), ("jump", None)]
)
_amounts = itertools.count(1)


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


@pytest.fixture(scope="module")
def forgetful() -> Any:
    """One sandbox for every example (a fresh merchant each), keeping keys 1 second."""
    server = EmbeddedSandbox(processing_seconds=0.05, idempotency_ttl_seconds=TTL)
    server.start()
    yield server
    server.stop()


class World:
    def __init__(self, server: EmbeddedSandbox, journal: AsyncJournal, token: str) -> None:
        self.server, self.journal, self.token = server, journal, token
        self.control = AsyncSandboxControl(server.base_url)
        self.clock = Clock()
        url = normalize_base_url(server.base_url)
        self.home = ConnectionIdentity("sandbox", "Sandbox", url, "merchant:home")
        self.away = ConnectionIdentity("live", "Live", url, "token:ffffffffffffffff")
        self.clients: list[PayoutsClient] = []
        self.desk: PayoutDesk | None = None

    def make(self, identity: ConnectionIdentity, token: str) -> PayoutDesk:
        client = PayoutsClient(
            self.server.base_url, token, retry=FAST_RETRY, timeouts=FAST_TIMEOUTS, sleep=RecordingSleep()
        )
        self.clients.append(client)
        return PayoutDesk(
            self.journal, client, environment=identity.environment, profile=identity.profile, actor="prop",
            poll=FAST_POLL, identity=identity, retention=TTL, wall_clock=self.clock,
        )  # fmt: skip

    async def start_home(self) -> PayoutDesk:
        self.desk = self.make(self.home, self.token)
        await self.desk.start()
        await self.desk.wait_recovered()
        return self.desk

    async def stop(self) -> None:
        if self.desk is not None:
            await self.desk.stop()
            self.desk = None

    async def close(self) -> None:
        await self.stop()
        for client in self.clients:
            await client.aclose()


async def _run(world: World, away_token: str, steps: list[tuple[str, str | None]]) -> None:
    desk = await world.start_home()
    for kind, arg in steps:
        if kind == "submit":
            for fault in FAULTS[arg or "none"]:
                await world.control.add_fault(method="POST", path="/api/payments", **fault)
            await desk.submit(payout_request(f"{next(_amounts)}.00"))
            await world.control.clear_faults()
        elif kind == "restart":
            await world.stop()
            desk = await world.start_home()
        elif kind == "switch":
            await world.stop()
            away = world.make(world.away, away_token)
            await away.start()
            assert (await away.wait_recovered()).resent == ()
            await asyncio.sleep(FAST_POLL.resend_max_interval)
            await away.stop()
            desk = await world.start_home()
        else:  # a weekend passes: past the retention here and at the provider
            world.clock.offset += timedelta(days=2)
            await asyncio.sleep(TTL)
    await world.stop()


async def _finish(world: World) -> list[PayoutRecord]:
    desk = await world.start_home()
    for _ in range(3):  # anything still unsent goes now that the provider is healthy
        for record in await world.journal.unsent(world.home.key):
            await desk.refresh(record.local_id)
    for record in await world.journal.to_poll(world.home.key):
        if record.payment_id:
            await world.control.complete(record.payment_id, "succeeded")
            await desk.refresh(record.local_id)
    return [record async for record in world.journal.iter_matching(HistoryQuery())]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=2, max_size=7))
async def test_the_provider_never_holds_a_payout_twice(forgetful: EmbeddedSandbox, steps: list[Any]) -> None:
    control = AsyncSandboxControl(forgetful.base_url)
    token = await control.mint_token(payouts=True)
    away_token = await control.mint_token(payouts=True)  # another merchant account: must receive nothing
    with tempfile.TemporaryDirectory() as folder:
        journal = await AsyncJournal.open(Path(folder) / "journal.sqlite3")
        world = World(forgetful, journal, token)
        try:
            await _run(world, away_token, steps)
            records = await _finish(world)
            await world.close()
        finally:
            await control.clear_faults()
            await journal.close()
    references = {r.external_id for r in records}  # UUIDs: no other test's payout carries one
    # any payout sent from the other profile (another merchant) would be a second one here too
    held = Counter(p["externalId"] for p in await control.payments() if p["externalId"] in references)
    assert all(n == 1 for n in held.values()), held  # never twice
    for record in records:
        if record.status == "rejected":
            assert record.ambiguous == 0, record
            assert held[record.external_id] == 0, record
        else:
            assert record.status in ("succeeded", "failed", "mismatch", "needs_reconciliation"), record
        if record.status in ("succeeded", "failed"):
            assert held[record.external_id] == 1
