"""Screenshots for the README: ``python scripts/screenshots.py OUTDIR`` (``make screenshots``).

Runs the real app offscreen in a temporary data dir with the embedded sandbox, sends a few payouts
through the facade, finishes some through the sandbox's control surface, and grabs:

- ``main-window.png``: the form (filled in) beside the history with rows in several statuses,
- ``form-errors.png``: the form showing its inline errors,
- ``confirm-dialog.png``: the confirmation of a payout,
- ``confirm-duplicate.png``: the confirmation warning about a near-duplicate ("Send anyway"),
- ``failed-details.png``: a failed payout's details: the reason in words, the next step, the timeline,
- ``checkin-page.png``: the provider's hosted checkin page in the CheckinDialog.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft

PAYOUTS: tuple[tuple[str, str, str, str, str | None], ...] = (
    # amount, currency, description, recipient, outcome at the sandbox (None: stays pending)
    ("1250.00", "EUR", "Refund order 1042", "Ada Lovelace", "succeeded"),
    ("98000", "JPY", "Supplier invoice 2024-118", "Kaito Tanaka", "succeeded"),
    ("310.500", "BHD", "Travel expenses March", "Layla Haddad", "failed"),
    ("75.20", "GBP", "Marketplace payout week 12", "Grace Hopper", None),
    ("4999.99", "USD", "Affiliate commission Q1", "Alan Turing", "succeeded"),
)


async def _wait_for(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("screenshot scene did not settle")
        await asyncio.sleep(0.1)


def _request(amount: str, code: str, description: str, name: str, return_url: str, number: int) -> PayoutRequest:
    draft = PayoutDraft(
        amount=amount,
        currency=code,
        description=description,
        recipient_name=name,
        external_id=f"PO-2024-{1040 + number}",
        redirect_url=return_url,
    )
    result = validate_draft(draft)
    if not isinstance(result, PayoutRequest):
        raise ValueError(result)
    return result


def _save(widget: Any, path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}")


async def _scenes(out: Path, data_dir: Path) -> None:
    from PySide6.QtCore import QUrl

    from payout_desk.app import launch
    from payout_desk.sandbox.client import AsyncSandboxControl
    from payout_desk.ui.sending.submit_flow import checkin_return_url

    window: Any = launch(["--sandbox", "--data-dir", str(data_dir)])
    try:
        await _wait_for(lambda: window.context.connection is not None and window.history is not None, 30)
        window.resize(1440, 860)  # a desk monitor (the offscreen screen is only 800×800)
        desk = window.context.desk
        control = AsyncSandboxControl(window.context.connection.base_url)
        return_url = checkin_return_url()
        records = []
        for number, (amount, code, description, name, outcome) in enumerate(PAYOUTS):
            record = await desk.submit(_request(amount, code, description, name, return_url, number))
            records.append(record)
            if outcome == "failed":
                await control.complete(record.payment_id, "failed", "account_closed")
            elif outcome:
                await control.complete(record.payment_id, outcome)
        for record, (*_, outcome) in zip(records, PAYOUTS, strict=True):
            await desk.refresh(record.local_id)
            await _wait_for(_status_is(window, record.local_id, outcome or "pending"))
        window.notifier.toast.hide()
        window.statusBar().clearMessage()

        failed = records[2]  # BHD 310.500, account_closed
        window.history.select_row(window.history.model.row_of(failed.local_id))
        await _wait_for(lambda: window.history.details.timeline.count() >= 3)
        await asyncio.sleep(0.3)
        _save(window.history.details, out / "failed-details.png")

        form = window.form
        form.amount_edit.setText("2480.00")
        form.currency_combo.set_code("EUR")
        form.description_edit.setText("Refund order 1077")
        form.recipient_id_edit.setText("cus_20931")
        form.recipient_name_edit.setText("Katherine Johnson")
        form.metadata_editor.add_row("order", "1077")
        window.history.select_row(0)
        await asyncio.sleep(0.5)
        _save(window, out / "main-window.png")

        request = form.validate()
        dialog = await window.flow.confirm(request)
        await asyncio.sleep(0.3)
        _save(dialog, out / "confirm-dialog.png")
        dialog.reject()

        form.clear_for_next()
        form.amount_edit.setText("1250.00")
        form.currency_combo.set_code("EUR")
        form.description_edit.setText("Refund order 1042")
        form.recipient_name_edit.setText("ada lovelace")
        dialog = await window.flow.confirm(form.validate())
        await asyncio.sleep(0.3)
        _save(dialog, out / "confirm-duplicate.png")
        dialog.reject()

        form.clear_for_next()
        form.amount_edit.setText("1,234.56")
        form.description_edit.setText("x" * 260)
        form.webhook_edit.setText("http://hooks.example.com/payouts")
        form.attempt_submit()
        await asyncio.sleep(0.2)
        _save(window, out / "form-errors.png")
        form.clear_for_next()

        pending = records[3]
        checkin = window.flow.open_checkin(pending)
        loaded: list[bool] = []
        checkin.page.loadFinished.connect(loaded.append)
        await _wait_for(lambda: bool(loaded), 30)
        await asyncio.sleep(0.8)  # let Chromium paint the page into the view
        assert checkin.view.url() != QUrl()
        _save(checkin, out / "checkin-page.png")
        checkin.reject()

        from payout_desk.journal.backup import list_backups

        journal = window.context.journal_path
        await _wait_for(lambda: bool(list_backups(journal)), 60)  # the daily backup, made at start-up
        await window.recovery.open_restore()
        restore = window.recovery.dialog
        await asyncio.sleep(0.2)
        _save(restore, out / "restore-dialog.png")
        restore.reject()
    finally:
        finished = asyncio.Event()
        window.shutdownFinished.connect(finished.set)
        window.close()
        await asyncio.wait_for(finished.wait(), 30)


def _status_is(window: Any, local_id: int, status: str) -> Callable[[], bool]:
    return lambda: _status(window, local_id) == status


def _status(window: Any, local_id: int) -> str | None:
    from payout_desk.ui.history.model import StatusRole

    model = window.history.model
    row = model.row_of(local_id)
    return None if row is None else model.index(row, 0).data(StatusRole)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python scripts/screenshots.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from payout_desk.app import prepare_qt_environment

    prepare_qt_environment()
    import PySide6.QtWebEngineWidgets  # noqa: F401  (before the QApplication)
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="payout-desk-shots-") as tmp, loop:
        loop.run_until_complete(_scenes(out, Path(tmp)))  # the one and only run of the loop
    return 0


if __name__ == "__main__":
    sys.exit(main())
