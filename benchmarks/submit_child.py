"""Submit-to-checkin child: the real window, confirm click → the checkin page loaded, on loopback.

    python -m benchmarks.submit_child --submits N

``launch(["--sandbox", "--data-dir", tmp])`` offscreen, as the app starts; waits until connected.
Then N times: type an amount, pick EUR, type a description (objectNames ``amountEdit``,
``currencyCombo``, ``descriptionEdit``), click ``submitButton``; in the ``confirmDialog`` take t0 and
click ``confirmButton``; stop when the checkin dialog's ``checkinView`` emits ``loadFinished(True)``.
The journal commit, the create request at the embedded sandbox, the dialog and QtWebEngine page
load are all inside. The first submit of a process also imports and starts QtWebEngine (cold); later ones
are warm.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import emit
from benchmarks.qtchild import close_window, run_once, start_qt, wait_for, wait_signal


async def one_submit(window: Any, number: int) -> dict[str, Any]:
    from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QWidget

    amount = window.findChild(QLineEdit, "amountEdit")
    currency = window.findChild(QComboBox, "currencyCombo")
    description = window.findChild(QLineEdit, "descriptionEdit")
    submit = window.findChild(QPushButton, "submitButton")
    amount.setText(f"{12 + number}.34")
    currency.set_code("EUR")
    description.setText(f"Benchmark payout {number}")
    if not await wait_for(submit.isEnabled, 10):
        raise RuntimeError(f"submit stays disabled: {window.form.shown_errors()}")
    submit.click()
    if not await wait_for(lambda: window.flow.confirm_dialog is not None, 10):
        raise RuntimeError("no confirm dialog")
    dialog = window.flow.confirm_dialog
    confirm = dialog.findChild(QPushButton, "confirmButton")
    loaded: dict[str, Any] = {}

    def on_checkin(checkin: Any) -> None:
        view = checkin.findChild(QWidget, "checkinView")  # a QWebEngineView; not imported here: the cold
        # submit includes QtWebEngine's import, which the app does at its first checkin
        loaded["opened"] = time.perf_counter()
        loaded["dialog"] = checkin
        view.loadFinished.connect(lambda ok: loaded.setdefault("ok" if ok else "failed", time.perf_counter()))

    window.flow.checkinOpened.connect(on_checkin)
    try:
        began = time.perf_counter()
        confirm.click()
        if not await wait_for(lambda: "ok" in loaded or "failed" in loaded, 60, step=0.0005):
            raise RuntimeError("the checkin page did not load within 60 s")
    finally:
        window.flow.checkinOpened.disconnect(on_checkin)
    if "failed" in loaded:
        raise RuntimeError("the checkin page load returned false")
    result = {"ms": (loaded["ok"] - began) * 1000, "dialog_ms": (loaded["opened"] - began) * 1000, "n": number}
    checkin = loaded["dialog"]
    closed: list[int] = []
    window.flow.checkinClosed.connect(closed.append)
    try:
        checkin.reject()  # finished → checkinClosed, synchronously
        if not await wait_for(lambda: bool(closed), 20):
            raise RuntimeError("the checkin dialog did not close")
    finally:
        window.flow.checkinClosed.disconnect(closed.append)
    await asyncio.sleep(0.5)  # let the refresh after close and the page teardown finish
    return result


async def scenario(submits: int, data_dir: Path) -> None:
    from payout_desk.app import launch

    window: Any = launch(["--sandbox", "--data-dir", str(data_dir)])  # a MainWindow
    try:
        await wait_signal(window.connected, 120)
        for number in range(submits):
            record = await one_submit(window, number)
            emit({"op": "submit", "cold": number == 0, **record})
    finally:
        await close_window(window)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submits", type=int, default=5)
    args = parser.parse_args(argv)
    _app, loop = start_qt()
    with tempfile.TemporaryDirectory(prefix="pd-bench-submit-") as tmp:
        run_once(loop, scenario(args.submits, Path(tmp)))
    sys.stdout.flush()
    os._exit(0)  # results are out; skip interpreter finalisation (QtWebEngine teardown can crash there)


if __name__ == "__main__":
    sys.exit(main())
