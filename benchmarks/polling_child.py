"""Polling child: the real PayoutDesk poller following N pending payouts, on the app's qasync loop.

    python -m benchmarks.polling_child --payouts N --complete K --max-wait S [--embedded]

1. A sandbox on loopback — its own process by default (like a remote provider: the figure is the
   app's, not the emulator's), or ``--embedded`` in this process as ``--sandbox`` runs it.
2. N payouts created through the real ``PayoutsClient`` and journaled through the real
   ``AsyncJournal`` (``record_confirmed`` → create → ``record_created``): N pending rows.
3. A ``PayoutDesk`` with the app's configured ``PollPolicy`` (``AppSettings().poll_policy()``), its
   client on a counting wrapper around the real httpx transport, and a real ``HistoryModel``
   receiving every change (``apply_change``), as the window wires it. ``desk.start()`` follows all N.
4. A 5 ms ``QTimer`` probe (PreciseTimer) records how late each tick fires: the event-loop lag.
5. K payouts, one every ``--spacing`` s, are completed at the sandbox (``SandboxControl.complete``,
   run off the loop thread); the delay is from the control call's answer to the desk's
   ``PayoutChange`` for that payout (the model's row changes in the same call).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import emit, max_in_window, median, percentile
from benchmarks.qtchild import run_once, start_qt, wait_for

PROBE_MS = 5


class CountingTransport(httpx.AsyncBaseTransport):
    """The real transport, with the monotonic time of every request sent through it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[float] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(time.monotonic())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _start_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    url_file = tmp / "sandbox-url"
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.sandbox_server", str(url_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not url_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the sandbox process did not start")
        time.sleep(0.05)
    return proc, url_file.read_text().strip()


async def _create_pending(journal: Any, base_url: str, token: str, count: int) -> list[Any]:
    from payout_desk.domain.identity import ConnectionIdentity
    from payout_desk.domain.payout import PayoutDraft, validate_draft
    from payout_desk.provider.client import PayoutsClient
    from payout_desk.ui.sending.checkin_view import CHECKIN_RETURN_URL

    client = PayoutsClient(base_url, token)
    # PayoutDesk's identity when none is given: sandbox, its profile, the client's base URL
    connection = ConnectionIdentity("sandbox", "Benchmark", client.base_url, "unverified").key
    gate = asyncio.Semaphore(8)
    rng = random.Random(11)

    async def one(i: int) -> Any:
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


async def scenario(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from PySide6.QtCore import Qt, QTimer

    from payout_desk.journal import AsyncJournal
    from payout_desk.provider.client import PayoutsClient
    from payout_desk.sandbox.client import SandboxControl
    from payout_desk.services.desk import PayoutDesk
    from payout_desk.services.settings import AppSettings
    from payout_desk.ui.history.model import HistoryModel

    server: subprocess.Popen[bytes] | None = None
    sandbox: Any = None
    if args.embedded:
        from payout_desk.sandbox.embedded import EmbeddedSandbox

        sandbox = EmbeddedSandbox(port=0)
        base_url = sandbox.start()
    else:
        server, base_url = _start_server(tmp)
    journal = None
    desk = None
    client = None
    try:
        control = SandboxControl(base_url)
        token = control.mint_token(payouts=True)
        journal = await AsyncJournal.open(tmp / "journal.sqlite3")
        began = time.perf_counter()
        records = await _create_pending(journal, base_url, token, args.payouts)
        setup_s = time.perf_counter() - began

        policy = AppSettings().poll_policy()
        counting = CountingTransport(httpx.AsyncHTTPTransport())
        client = PayoutsClient(base_url, token, transport=counting)
        desk = PayoutDesk(journal, client, environment="sandbox", profile="Benchmark", actor="bench", poll=policy)
        model = HistoryModel(desk)
        desk.subscribe(model.apply_change)
        await model.reload()
        seen: dict[int, float] = {}

        def on_change(change: Any) -> None:
            if change.became_final and change.record.local_id not in seen:
                seen[change.record.local_id] = time.monotonic()

        desk.subscribe(on_change)

        lags: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            lags.append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
            last[0] = now

        probe = QTimer()
        probe.setTimerType(Qt.TimerType.PreciseTimer)
        probe.setInterval(PROBE_MS)
        probe.timeout.connect(tick)
        probe.start()
        start = time.monotonic()
        await desk.start()

        rng = random.Random(5)
        chosen = rng.sample(records, min(args.complete, len(records)))
        completed: dict[int, float] = {}
        loop = asyncio.get_running_loop()
        await asyncio.sleep(args.warmup)
        for record in chosen:
            await loop.run_in_executor(None, control.complete, record.payment_id, "succeeded")
            completed[record.local_id] = time.monotonic()
            await asyncio.sleep(args.spacing)
        await wait_for(lambda: all(i in seen for i in completed), args.max_wait, step=0.05)
        end = time.monotonic()
        probe.stop()
        window = [t for t in counting.sent if t >= start]
        delays = [(seen[i] - completed[i]) * 1000 for i in completed if i in seen]
        return {
            "payouts": len(records),
            "setup_s": setup_s,
            "duration_s": end - start,
            "cap_rps": policy.max_requests_per_second,
            "max_concurrent": policy.max_concurrent,
            "requests": len(window),
            "mean_rps": len(window) / (end - start) if end > start else 0.0,
            "max_rps_1s": max_in_window(window, 1.0),
            "lag_p50_ms": percentile(lags, 50),
            "lag_p99_ms": percentile(lags, 99),
            "lag_max_ms": max(lags),
            "ticks": len(lags),
            "completed": len(completed),
            "observed": len(delays),
            "delay_median_ms": median(delays) if delays else None,
            "delay_p99_ms": percentile(delays, 99) if delays else None,
            "delay_max_ms": max(delays) if delays else None,
            "delays_ms": delays,
            "embedded": bool(args.embedded),
        }
    finally:
        if desk is not None:
            await desk.stop()
        if client is not None:
            await client.aclose()
        if journal is not None:
            await journal.close()
        if sandbox is not None:
            sandbox.stop()
        if server is not None:
            if server.stdin is not None:
                server.stdin.close()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--payouts", type=int, default=1000)
    parser.add_argument("--complete", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=0.5)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--max-wait", type=float, default=260.0)
    parser.add_argument("--embedded", action="store_true")
    args = parser.parse_args(argv)
    _app, loop = start_qt()
    with tempfile.TemporaryDirectory(prefix="pd-bench-poll-") as tmp:
        result = run_once(loop, scenario(args, Path(tmp)))
    emit(result)
    sys.stdout.flush()
    os._exit(0)  # results are out; skip interpreter finalisation (PySide6 teardown can crash there)


if __name__ == "__main__":
    sys.exit(main())
