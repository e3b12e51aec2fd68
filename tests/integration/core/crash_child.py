"""The child process of the crash test: opens a journal, submits one payout, and gets SIGKILLed.

    python crash_child.py JOURNAL BASE_URL MODE      (the token comes on stdin's first line)

MODE ``after_commit``: a PayoutChange listener blocks (reading stdin) as soon as the payout is
journaled — after the commit, before any request — and prints ``COMMITTED <local_id> <key>``.
MODE ``mid_request``: prints ``COMMITTED …`` the same way but does not block; the test has put a
long ``delay`` fault on the create, so the request sits at the sandbox when the test kills us.
The parent never lets this process finish on its own.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
from payout_desk.journal import AsyncJournal
from payout_desk.provider.client import PayoutsClient, RetryPolicy, Timeouts
from payout_desk.services.desk import PayoutChange, PayoutDesk


async def main(journal_path: Path, base_url: str, mode: str, token: str) -> None:
    journal = await AsyncJournal.open(journal_path)
    client = PayoutsClient(base_url, token, retry=RetryPolicy(max_attempts=1),
                           timeouts=Timeouts(connect=5, read=120, deadline=120))  # fmt: skip
    desk = PayoutDesk(journal, client, environment="sandbox", profile="Sandbox", actor="crash-child")

    def on_change(change: PayoutChange) -> None:
        if change.event == "confirmed":
            print(f"COMMITTED {change.record.local_id} {change.record.idempotency_key}", flush=True)
            if mode == "after_commit":
                sys.stdin.readline()  # block the loop: the request is never sent

    desk.subscribe(on_change)
    request = validate_draft(PayoutDraft(amount="42.00", currency="EUR", description="crash test"))
    assert isinstance(request, PayoutRequest)
    await desk.submit(request)
    print("SUBMIT RETURNED", flush=True)  # the parent treats this as a failure


if __name__ == "__main__":
    secret = sys.stdin.readline().strip()
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], secret))
