"""Polling child: the real PayoutDesk poller following N pending payouts, on the app's qasync loop.

    python -m benchmarks.polling_child --payouts N --watched K --duration S [--embedded]

1. A sandbox on loopback — its own process by default (like a remote provider: the figure is the
   app's, not the emulator's), or ``--embedded`` in this process as ``--sandbox`` runs it.
2. N payouts created through the real ``PayoutsClient`` and journaled through the real
   ``AsyncJournal`` (``record_confirmed`` → create → ``record_created``): N pending rows. That runs
   in a process of its own (``benchmarks.polling_setup``), so this process holds what the desk holds.
3. A ``PayoutDesk`` with the app's configured ``PollPolicy`` (``AppSettings().poll_policy()``), its
   client on a counting wrapper around the real httpx transport (time and path of every request),
   and a real ``HistoryModel`` receiving every change (``apply_change``), as the window wires it.
   ``desk.start()`` follows all N.
4. A 5 ms ``QTimer`` probe (PreciseTimer) records how late each tick fires: the event-loop lag.
5. K watched payouts, one after the other, as a person makes them: ``desk.submit`` (journal, then
   the provider), the history selects it (``desk.watch``) and the checkin redirect is caught
   (``desk.checkin_caught``); 0.3–1.5 s later it is completed at the sandbox
   (``SandboxControl.complete``, off the loop thread). The delay runs from the control call's answer
   to the desk's ``PayoutChange`` for it (the model's row changes in the same call).
6. The N others keep being polled until ``--duration`` s after the start: each one's gaps between
   two polls (a full cycle) against N / the rate the background payouts actually got.
7. RSS (``VmRSS``) of this process at the end, after a ``gc.collect()``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import itertools
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.harness import emit, max_in_window, median, percentile
from benchmarks.polling_setup import payout_request
from benchmarks.qtchild import run_once, start_qt, wait_for

PROBE_MS = 5


class CountingTransport(httpx.AsyncBaseTransport):
    """The real transport, with the monotonic time of every request sent through it."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[float] = []
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(time.monotonic())
        self.paths.append(request.url.path)
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


def _memory_mib() -> dict[str, float]:
    """VmRSS and its parts (RssAnon: the process's own heap and stacks; RssFile: mapped files —
    shared libraries and the journal, which SQLite reads through mmap), in MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
            found[key] = int(value.split()[0]) / 1024
    return found


def _cycles(counting: CountingTransport, background: set[str], since: float) -> tuple[list[float], float]:
    """Each background payout's gaps between two polls (from ``since``), and the rate the background
    payouts got over the span those gaps cover (requests/s)."""
    polls: dict[str, list[float]] = collections.defaultdict(list)
    for at, path in zip(counting.sent, counting.paths, strict=True):
        pid = path.rsplit("/", 1)[-1]
        if at >= since and pid in background:
            polls[pid].append(at)
    gaps = [b - a for times in polls.values() for a, b in itertools.pairwise(times)]
    firsts = [times[0] for times in polls.values() if len(times) > 1]
    lasts = [times[-1] for times in polls.values() if len(times) > 1]
    if not gaps:
        return [], 0.0
    span_start, span_end = min(firsts), max(lasts)
    inside = sum(1 for times in polls.values() for t in times if span_start <= t <= span_end)
    return gaps, inside / (span_end - span_start) if span_end > span_start else 0.0


async def scenario(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from PySide6.QtCore import Qt, QTimer

    from payout_desk.journal import AsyncJournal, HistoryQuery
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
        began = time.perf_counter()
        setup = [sys.executable, "-m", "benchmarks.polling_setup", str(tmp / "journal.sqlite3"), base_url, token]
        await asyncio.to_thread(subprocess.run, [*setup, str(args.payouts)], check=True)  # not in this process
        setup_s = time.perf_counter() - began
        journal = await AsyncJournal.open(tmp / "journal.sqlite3")

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
        loop = asyncio.get_running_loop()
        await asyncio.sleep(args.warmup)
        watched: dict[int, float] = {}
        watched_ids: set[str] = set()
        for i in range(args.watched):
            record = await desk.submit(payout_request(rng, args.payouts + i))
            if record.payment_id is None:
                continue
            desk.watch([record.local_id])  # selected in the history, open in details
            desk.checkin_caught(record.local_id)  # the checkin page redirected back
            await asyncio.sleep(rng.uniform(0.3, 1.5))
            await loop.run_in_executor(None, control.complete, record.payment_id, "succeeded")
            watched[record.local_id] = time.monotonic()
            watched_ids.add(record.payment_id)
            await wait_for(lambda lid=record.local_id: lid in seen, 30.0, step=0.01)
            desk.watch([])
        rest = args.duration - (time.monotonic() - start)
        if rest > 0:
            await asyncio.sleep(rest)
        end = time.monotonic()
        probe.stop()
        gc.collect()
        memory = _memory_mib()
        window = [t for t in counting.sent if t >= start]
        delays = [(seen[i] - watched[i]) * 1000 for i in watched if i in seen]
        background = {r.payment_id for r in await journal.to_poll()} | {
            r.payment_id for r in await journal.page(HistoryQuery(statuses=frozenset({"succeeded"})), 0, args.payouts)
        }  # read after the RSS: the pending ones and any completed meanwhile, watched ones aside below
        background -= watched_ids
        gaps, bg_rate = _cycles(counting, background, start + args.warmup)
        sent = {lane.name.lower(): n for lane, n in desk._poller.scheduler.sent.items()}
        return {
            "payouts": args.payouts,
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
            "watched": len(watched),
            "observed": len(delays),
            "delays_ms": delays,
            "cycle_median_s": median(gaps) if gaps else None,
            "cycle_p99_s": percentile(gaps, 99) if gaps else None,
            "cycle_count": len(gaps),
            "background_rps": bg_rate,
            "sent_by_lane": sent,
            "rss_mib": memory["VmRSS"],
            "anon_mib": memory["RssAnon"],
            "file_mib": memory["RssFile"],
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
    parser.add_argument("--watched", type=int, default=30)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds from desk.start() to the end")
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
