"""Creates N pending payouts for the polling benchmark, in a process of its own:

    python -m benchmarks.polling_setup JOURNAL BASE_URL TOKEN N

N payouts created at the sandbox through the real ``PayoutsClient`` and journaled through the real
``AsyncJournal`` (``record_confirmed`` → create → ``record_created``), eight at a time. Run apart
from the desk's process so that the desk's memory is measured without the set-up's.
"""

from __future__ import annotations

import asyncio
import random
import sys
import uuid
from pathlib import Path
from typing import Any


def payout_request(rng: random.Random, i: int) -> Any:
    from payout_desk.domain.payout import PayoutDraft, validate_draft
    from payout_desk.provider.urls import CHECKIN_RETURN_URL

    draft = PayoutDraft(
        amount=f"{rng.randint(1, 5000)}.{rng.randint(0, 99):02d}",
        currency="EUR",
        description=f"Benchmark payout {i}",
        external_id=f"BENCH-{i}",
        redirect_url=str(CHECKIN_RETURN_URL),
    )
    request = validate_draft(draft)
    if isinstance(request, list):
        raise ValueError(f"invalid benchmark draft: {request}")
    return request


async def create_pending(journal: Any, base_url: str, token: str, count: int) -> list[Any]:
    from payout_desk.domain.identity import ConnectionIdentity
    from payout_desk.provider.client import PayoutsClient

    client = PayoutsClient(base_url, token)
    # PayoutDesk's identity when none is given: sandbox, its profile, the client's base URL
    connection = ConnectionIdentity("sandbox", "Benchmark", client.base_url, "unverified").key
    gate = asyncio.Semaphore(8)
    rng = random.Random(11)

    async def one(i: int) -> Any:
        request = payout_request(rng, i)
        async with gate:
            record = await journal.record_confirmed(
                request, idempotency_key=str(uuid.uuid4()), environment="sandbox", profile="Benchmark", actor="bench",
                connection_id=connection,  # the desk below follows only its own connection's payouts
            )  # fmt: skip
            created = await client.create_payout(request.body_json(), record.idempotency_key)
            return await journal.record_created(
                record.local_id,
                payment_id=created.payment.id,
                checkin_url=created.payment.url,
                status=created.payment.status,
                actor="bench",
            )

    try:
        return list(await asyncio.gather(*(one(i) for i in range(count))))
    finally:
        await client.aclose()


async def _main(path: Path, base_url: str, token: str, count: int) -> None:
    from payout_desk.journal import AsyncJournal

    journal = await AsyncJournal.open(path)
    try:
        await create_pending(journal, base_url, token, count)
    finally:
        await journal.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    asyncio.run(_main(Path(args[0]), args[1], args[2], int(args[3])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
