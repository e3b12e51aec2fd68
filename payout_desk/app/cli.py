"""Wiring: command line, platform set-up for QtWebEngine, the one qasync event loop, and the main window."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from payout_desk import APP_NAME, __version__

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The command line of `payout-desk`."""
    parser = argparse.ArgumentParser(
        prog="payout-desk",
        description=f"{APP_NAME}: send one-off payouts through your payment provider's Payouts API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="start the built-in provider sandbox and connect to it with a fresh test token",
    )
    parser.add_argument(
        "--sandbox-url",
        metavar="URL",
        help="connect to a sandbox that is already running (its token is minted through its control routes)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=Path,
        help="keep the journal, settings and logs in DIR instead of the user's data folders",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="run a payout end to end against the embedded sandbox, print each step, and exit (0 = passed)",
    )
    return parser


def prepare_qt_environment() -> None:
    """Set what QtWebEngine needs before Qt starts: the Chromium sandbox flag when root, no GPU noise."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and not os.environ.get("QTWEBENGINE_DISABLE_SANDBOX"):
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        log.warning(
            "Running as root: the Chromium sandbox of the checkin view is disabled "
            "(QTWEBENGINE_DISABLE_SANDBOX=1). Run Payout Desk as a normal user."
        )
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--disable-gpu" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = (flags + " --disable-gpu").strip()


def create_qt_application(argv: Sequence[str]):  # type: ignore[no-untyped-def]  # -> QApplication
    """The QApplication, set up for QtWebEngine without importing it: the checkin view's ~0.4 s import
    happens after the first paint.

    QtWebEngine needs OpenGL contexts shared across the application, fixed before the QApplication
    exists. Importing QtWebEngineWidgets first does that as a side effect (what DESIGN.md suggests);
    setting ``AA_ShareOpenGLContexts`` ourselves is the documented alternative and keeps that import off
    the start-up path (start-up is measured in benchmarks/startup.py).
    """
    prepare_qt_environment()
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    from payout_desk.app.pyside_guard import lighten_feature_import_hook

    lighten_feature_import_hook()

    existing = QApplication.instance()
    if existing is None:
        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        existing = QApplication(list(argv))
    assert isinstance(existing, QApplication)
    existing.setApplicationName(APP_NAME)
    existing.setApplicationVersion(__version__)
    existing.setDesktopFileName("io.github.payoutdesk.PayoutDesk")
    # Quitting the loop twice after QtWebEngine was used segfaults (DESIGN.md): run it exactly once.
    existing.setQuitOnLastWindowClosed(False)
    return existing


def launch(argv: Sequence[str]) -> QMainWindow:
    """Build and show the main window for ``argv`` inside an existing QApplication and qasync loop.

    Does not run the loop. The window appears at once; connecting (embedded sandbox start, token
    mint or keychain read, journal open, recovery) runs asynchronously on the running loop and the
    window enables submit when ready. Close the window to shut everything down (``shutdownFinished``).
    """
    from payout_desk.app.context import AppContext, AppPaths, LaunchOptions
    from payout_desk.ui.frame.main_window import MainWindow

    args = build_parser().parse_args(list(argv))
    options = LaunchOptions(sandbox=bool(args.sandbox), sandbox_url=args.sandbox_url, data_dir=args.data_dir)
    context = AppContext(options, AppPaths.resolve(args.data_dir))
    window = MainWindow(context)
    window.setProperty("launchArgs", {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()})
    window.show()
    window.start()
    return window


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `payout-desk`: parse arguments, start Qt and run the event loop exactly once."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)  # --help and --version exit here, before Qt starts
    from payout_desk.app.context import AppPaths
    from payout_desk.logging_setup import configure_logging

    paths = AppPaths.resolve(args.data_dir)
    log_file = configure_logging(paths.log_dir if args.data_dir is not None else None)
    log.info("Payout Desk %s starting (log: %s)", __version__, log_file)
    if args.self_test:
        from payout_desk.selftest import run_self_test

        return int(run_self_test(args.data_dir))

    app = create_qt_application([sys.argv[0], *argv])
    import qasync  # after PySide6 is set up (create_qt_application)

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def run() -> None:
        finished = asyncio.Event()
        window = launch(argv)
        window.shutdownFinished.connect(finished.set)  # type: ignore[attr-defined]
        await finished.wait()

    with loop:
        loop.run_until_complete(run())
    log.info("Payout Desk closed")
    return 0
