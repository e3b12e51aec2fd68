"""``payout-desk --self-test``: one payout end to end through the app's real core, no display needed.

Used by the packaging smoke test on the frozen build (packaging/smoke_test.sh) and by IT on a
workstation. It exercises what a frozen build can get wrong without Qt: the embedded sandbox
(uvicorn, starlette and their dynamic imports), httpx and TLS set-up, the SQLite journal, the
domain rules (Babel, ISO 4217 data) and the services' submit and poll flows.

Steps, each printed as it runs:

1. find the app's resources (``resource_path``) and import every keyring backend (the frozen build
   carries them as hidden imports); report the keychain backend this machine would use;
2. start the embedded sandbox on a free loopback port (processing time 0.2 s);
3. mint a test token through its control surface;
4. open a journal in a fresh temporary folder (inside ``--data-dir`` when given, never the real one);
5. validate a 10.00 EUR payout draft and submit it through :class:`~payout_desk.services.desk.PayoutDesk`
   (journal first, then the network) and check it is ``pending`` with a provider id;
6. complete it through the sandbox's control surface (``POST /_sandbox/payments/{id}/complete``);
7. let the desk's poller follow it until the journal says ``succeeded``;
8. check the sandbox says ``succeeded`` too, and that the journal's audit trail has the steps.

Returns 0 only if the payout reached ``succeeded`` at the sandbox and in the journal. No Qt here.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
from payout_desk.journal import AsyncJournal, PayoutRecord
from payout_desk.logging_setup import redact
from payout_desk.provider.client import PayoutsClient
from payout_desk.resources import resource_path, resources_root
from payout_desk.sandbox.client import AsyncSandboxControl
from payout_desk.sandbox.embedded import EmbeddedSandbox
from payout_desk.services.desk import PayoutChange, PayoutDesk
from payout_desk.services.poll import PollPolicy

__all__ = ["SelfTestFailure", "run_self_test"]

log = logging.getLogger("payout_desk.selftest")

TOTAL_STEPS = 8
FINAL_STATUS_TIMEOUT_SECONDS = 30.0
SANDBOX_PROCESSING_SECONDS = 0.2
# Quick polling so the test takes about a second, within the desk's own rate limits.
SELF_TEST_POLL = PollPolicy(initial_interval=0.2, max_interval=1.0, max_requests_per_second=10.0)
EXPECTED_EVENTS = ("confirmed", "attempt", "created", "status")
#: keyring chooses among these at run time; a frozen build must carry all of them.
KEYRING_BACKENDS = ("SecretService", "macOS", "Windows", "kwallet", "chainer", "fail", "null")


class SelfTestFailure(Exception):
    """A step's check did not hold; the message says what was expected and what was seen."""


class _Reporter:
    """Prints numbered steps (and logs them, for windowed builds where stdout goes nowhere)."""

    def __init__(self, out: TextIO | None) -> None:
        self._out = out
        self._step = 0
        self._started = time.monotonic()

    def _print(self, text: str) -> None:
        log.info("%s", text)
        if self._out is not None:
            print(text, file=self._out, flush=True)

    def step(self, text: str) -> None:
        self._step += 1
        self._print(f"self-test [{self._step}/{TOTAL_STEPS}] {text}")

    def ok(self, detail: str = "") -> None:
        self._print(f"self-test       ok{': ' + redact(detail) if detail else ''}")

    def done(self, passed: bool, detail: str) -> None:
        elapsed = time.monotonic() - self._started
        verdict = "PASSED" if passed else "FAILED"
        self._print(f"self-test {verdict} in {elapsed:.1f} s: {redact(detail)}")


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestFailure(message)


def _request() -> PayoutRequest:
    draft = PayoutDraft(
        amount="10.00",
        currency="EUR",
        description="Payout Desk self-test",
        recipient_name="Self Test",
        external_id=f"self-test-{uuid.uuid4()}",
    )
    result = validate_draft(draft)
    if not isinstance(result, PayoutRequest):
        raise SelfTestFailure(f"the domain rules rejected a valid draft: {result}")
    return result


def _final_waiter(desk: PayoutDesk) -> tuple[Callable[[int], None], asyncio.Event, Callable[[], None]]:
    """``(watch(local_id), event set when that payout becomes final, unsubscribe)``."""
    watched: dict[str, int] = {}
    final = asyncio.Event()

    def listener(change: PayoutChange) -> None:
        if change.record.local_id == watched.get("id") and change.became_final:
            final.set()

    def watch(local_id: int) -> None:
        watched["id"] = local_id

    return watch, final, desk.subscribe(listener)


def _check_installation(report: _Reporter) -> None:
    """Step 1: what a frozen build can lose without failing to start."""
    report.step("checking the app's resources and keyring backends")
    icon = resource_path("icons", "payout-desk.svg")
    _check(icon.is_file(), f"the app icon is missing: {icon}")
    missing = []
    for name in KEYRING_BACKENDS:
        try:
            importlib.import_module(f"keyring.backends.{name}")
        except ImportError:
            missing.append(name)
    _check(not missing, f"keyring backends missing: {', '.join(missing)}")
    import keyring

    backend = keyring.get_keyring()
    backend_name = getattr(backend, "name", type(backend).__name__)
    report.ok(f"resources in {resources_root()}; keychain backend here: {backend_name}")


async def _payout_flow(base_url: str, journal_dir: Path, report: _Reporter) -> str:
    """Steps 3-8 against the sandbox at ``base_url``; returns the summary line."""
    control = AsyncSandboxControl(base_url)
    report.step("minting a test token through the sandbox's control surface")
    token = await control.mint_token()
    _check(token.startswith("tk_test_"), "the sandbox did not mint a tk_test_ token")
    report.ok(f"token {token}")

    report.step(f"opening a temporary journal in {journal_dir}")
    journal = await AsyncJournal.open(journal_dir / "journal.sqlite3")
    client = PayoutsClient(base_url, token)
    desk = PayoutDesk(
        journal, client, environment="sandbox", profile="self-test", actor="self-test", poll=SELF_TEST_POLL
    )
    watch, final, unsubscribe = _final_waiter(desk)
    try:
        await desk.start()
        report.ok("journal open, desk started")

        report.step("submitting a 10.00 EUR payout (journal first, then the network)")
        record = await desk.submit(_request())
        watch(record.local_id)
        _check(
            record.status == "pending" and record.payment_id is not None,
            f"expected pending with a provider id, got {record.status!r} ({record.last_error or 'no error'})",
        )
        payment_id = str(record.payment_id)
        report.ok(f"payout #{record.local_id} is {record.status} at the provider as {payment_id}")

        report.step(f"completing {payment_id} through the sandbox's control surface")
        completed = await control.complete(payment_id, "succeeded")
        report.ok(f"sandbox answered status {completed.get('status')!r}")

        report.step("polling until the journal says succeeded")
        if (await desk.get(record.local_id)).status != "succeeded":
            try:
                await asyncio.wait_for(final.wait(), FINAL_STATUS_TIMEOUT_SECONDS)
            except TimeoutError:
                current = await desk.get(record.local_id)
                raise SelfTestFailure(
                    f"no final status after {FINAL_STATUS_TIMEOUT_SECONDS:.0f} s (journal: {current.status})"
                ) from None
        final_record = await desk.get(record.local_id)
        _check(final_record.status == "succeeded", f"the journal says {final_record.status!r}, not 'succeeded'")
        report.ok("journal: succeeded")

        report.step("cross-checking the sandbox and the audit trail")
        held = [p for p in await control.payments() if p.get("id") == payment_id]
        _check(len(held) == 1, f"the sandbox holds {len(held)} payments with id {payment_id}")
        _check(held[0].get("status") == "succeeded", f"the sandbox says {held[0].get('status')!r}")
        _check(held[0].get("amount") == "10.00" and held[0].get("currency") == "EUR", "amount/currency differ")
        kinds = [event.kind for event in await desk.events(record.local_id)]
        missing = [kind for kind in EXPECTED_EVENTS if kind not in kinds]
        _check(not missing, f"the audit trail lacks {missing} (has {kinds})")
        report.ok(f"sandbox: succeeded; audit trail: {', '.join(kinds)}")
        return _summary(final_record, payment_id)
    finally:
        unsubscribe()
        await desk.stop()
        await client.aclose()
        await journal.close()


def _summary(record: PayoutRecord, payment_id: str) -> str:
    return f"payout {payment_id} ({record.amount} {record.currency}) reached succeeded"


def run_self_test(data_dir: Path | None = None, *, out: TextIO | None = None) -> int:
    """Run the self-test; 0 when the payout reached ``succeeded`` at the sandbox and in the journal.

    ``data_dir`` (``--data-dir``) only says where the temporary journal folder goes; it is removed
    afterwards, and the app's real journal is never opened. ``out`` defaults to ``sys.stdout``.
    """
    report = _Reporter(sys.stdout if out is None else out)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    journal_dir = Path(tempfile.mkdtemp(prefix="payout-desk-self-test-", dir=data_dir))
    sandbox = EmbeddedSandbox(state_path=None, processing_seconds=SANDBOX_PROCESSING_SECONDS)
    try:
        _check_installation(report)
        report.step("starting the embedded sandbox")
        base_url = sandbox.start()
        report.ok(base_url)
        summary = asyncio.run(_payout_flow(base_url, journal_dir, report))
    except SelfTestFailure as failure:
        report.done(False, str(failure))
        return 1
    except Exception as error:  # any fault is a failed self-test, reported rather than a traceback
        log.exception("self-test crashed")
        report.done(False, f"{type(error).__name__}: {error}")
        return 1
    finally:
        sandbox.stop()
        shutil.rmtree(journal_dir, ignore_errors=True)
    report.done(True, summary)
    return 0
