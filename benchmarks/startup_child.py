"""Start-up child: process start → main window exposed, then peak memory after a settle.

    python -m benchmarks.startup_child --mode bare|app [--data-dir DIR] [--settle S] --t0-ns NS

``--t0-ns`` is ``time.monotonic_ns()`` taken by the parent right before ``Popen`` (CLOCK_MONOTONIC is
system-wide). An event filter on the main window's ``QWindow`` (its ``windowHandle()``, installed
right after ``show()`` and before control returns to the event loop, which delivers the expose)
catches its first ``Expose`` event that reports ``isExposed()``. Only that one object's events
pass through Python: an application-wide filter would wrap every Qt object created during start-up
in Python (and build each new class's enums), adding work the app itself never does, and more of
it the more widgets a window has.

* ``bare``: the floor — a PySide6 script that shows an empty 1280×800 QMainWindow, nothing else.
* ``app``: what ``payout_desk.app.main()`` does — logging, ``prepare_qt_environment()``, the
  QtWebEngineWidgets import, QApplication, the one qasync loop — then ``launch([--sandbox,
  --data-dir DIR])``. Also records when the desk connected and the history's first page loaded.

Peak memory is VmHWM summed over this process and its descendants, read ``--settle`` seconds after
the window was exposed (app: after the history's first page), so start-up work is included.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import emit, proc_status_kib, tree_peak_kib


def _ms_since(t0_ns: int) -> float:
    return (time.monotonic_ns() - t0_ns) / 1e6


def _watch_expose(widget: Any, on_exposed: Any) -> Any:
    """Call ``on_exposed`` at the first exposed ``Expose`` of ``widget``'s window (shown just now)."""
    from PySide6.QtCore import QEvent, QObject

    handle = widget.windowHandle()
    if handle is None:
        raise RuntimeError("the window has no QWindow: call this right after show()")
    expose = QEvent.Type.Expose

    class ExposeFilter(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == expose and handle.isExposed():
                handle.removeEventFilter(self)
                on_exposed(obj)
            return False

    watcher = ExposeFilter()
    handle.installEventFilter(watcher)
    return watcher


def run_bare(t0_ns: int, settle: float) -> dict[str, Any]:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    result: dict[str, Any] = {}
    app = QApplication(sys.argv[:1])
    holder: dict[str, Any] = {}

    def exposed(_window: Any) -> None:
        if "exposed_ms" in result:
            return
        result["exposed_ms"] = _ms_since(t0_ns)
        QTimer.singleShot(int(settle * 1000), finish)

    def finish() -> None:
        result["peak_kib"], result["descendants"] = tree_peak_kib()
        result["rss_kib"] = proc_status_kib().get("VmRSS", 0)
        app.quit()

    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1280, 800)
    window.show()
    holder["watcher"] = _watch_expose(window, exposed)
    QTimer.singleShot(60_000, app.quit)  # bounded: never hang the parent
    app.exec()
    return result


def run_app(t0_ns: int, data_dir: Path, settle: float) -> dict[str, Any]:
    import asyncio

    from payout_desk.app import create_qt_application, launch
    from payout_desk.app.context import AppPaths
    from payout_desk.logging_setup import configure_logging

    configure_logging(AppPaths.resolve(data_dir).log_dir)  # as main() does with --data-dir
    app = create_qt_application(sys.argv[:1])  # exactly main()'s Qt set-up
    import qasync
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    result: dict[str, Any] = {}
    exposed_event = asyncio.Event()
    holder: dict[str, Any] = {}

    def exposed(_window: Any) -> None:
        if "exposed_ms" not in result:
            result["exposed_ms"] = _ms_since(t0_ns)
            exposed_event.set()

    async def scenario() -> None:
        window: Any = launch(["--sandbox", "--data-dir", str(data_dir)])  # a MainWindow, shown
        holder["watcher"] = _watch_expose(window, exposed)  # before this coroutine yields to the loop
        connected = asyncio.Event()
        failed: list[str] = []
        window.connected.connect(lambda _c: connected.set())

        def on_failed(text: str) -> None:
            failed.append(text)
            connected.set()

        window.connectFailed.connect(on_failed)
        try:
            await asyncio.wait_for(exposed_event.wait(), 60)
            await asyncio.wait_for(connected.wait(), 120)
            if failed:
                result["error"] = failed[0]
            else:
                result["connected_ms"] = _ms_since(t0_ns)
                model = window.history.model if window.history is not None else None
                if model is not None:
                    for _ in range(12_000):  # bounded: 120 s
                        if not model.is_loading():
                            break
                        await asyncio.sleep(0.01)
                    result["history_ms"] = _ms_since(t0_ns)
                    result["history_rows"] = model.total()
            await asyncio.sleep(settle)
            result["peak_kib"], result["descendants"] = tree_peak_kib()
            result["rss_kib"] = proc_status_kib().get("VmRSS", 0)
        finally:
            done = asyncio.Event()
            window.shutdownFinished.connect(done.set)
            window.close()
            try:
                await asyncio.wait_for(done.wait(), 30)
            except TimeoutError:
                result["shutdown"] = "timed out"

    with loop:
        loop.run_until_complete(scenario())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=("bare", "app"), required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--settle", type=float, default=1.5)
    parser.add_argument("--label", default="")
    parser.add_argument("--t0-ns", type=int, required=True)
    args = parser.parse_args(argv)
    if args.mode == "bare":
        result = run_bare(args.t0_ns, args.settle)
    else:
        if args.data_dir is None:
            parser.error("--mode app needs --data-dir")
        result = run_app(args.t0_ns, args.data_dir, args.settle)
    emit({"mode": args.mode, "label": args.label, **result})
    sys.stdout.flush()
    os._exit(0)  # results are out; skip interpreter finalisation (PySide6 teardown can crash there)


if __name__ == "__main__":
    sys.exit(main())
