"""The command line of `payout-desk`, ``launch()`` (the window on a running loop) and ``main()`` (the one qasync
event loop). Qt itself starts in :mod:`payout_desk.app.qt_start`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from payout_desk import APP_NAME, __version__
from payout_desk.app.qt_start import create_qt_application

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
        "--team",
        metavar="CONNINFO",
        help="open a desk on a team database (libpq conninfo, as your own login): no provider token; the team's "
        "agent sends; saved settings are not changed",
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


def launch(argv: Sequence[str]) -> QMainWindow:
    """Build and show the main window for ``argv`` inside an existing QApplication and qasync loop.

    Does not run the loop. The window appears at once; connecting (embedded sandbox start, token
    mint or keychain read, journal open, recovery) runs asynchronously on the running loop and the
    window enables submit when ready. Close the window to shut everything down (``shutdownFinished``).
    """
    from payout_desk.app.context import AppContext, AppPaths, LaunchOptions
    from payout_desk.ui.frame.main_window import MainWindow

    args = build_parser().parse_args(list(argv))
    options = LaunchOptions(
        sandbox=bool(args.sandbox), sandbox_url=args.sandbox_url, data_dir=args.data_dir, team=args.team
    )
    context = AppContext(options, AppPaths.resolve(args.data_dir))
    window = MainWindow(context)
    shown = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if k != "team"}
    window.setProperty("launchArgs", shown)  # a conninfo may hold a password: never kept on the window
    window.show()
    window.start()
    return window


def _announce(connection: object) -> None:
    """Say on the terminal which profile this run uses (``make run`` starts the saved one)."""
    profile = getattr(connection, "profile", "?")
    where = "built-in sandbox" if getattr(connection, "embedded", False) else getattr(connection, "base_url", "")
    environment = str(getattr(connection, "environment", "")).upper()
    print(f"payout-desk: connected with the profile “{profile}” ({environment}, {where})", file=sys.stderr, flush=True)


def _announce_problem(message: str, history: bool = True) -> None:
    """One line on the terminal: why this run is not connected (an expected refusal is never a traceback)."""
    shown = " (the history is available)" if history else ""
    print(f"payout-desk: not connected — {message}{shown}", file=sys.stderr, flush=True)


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
        window.connected.connect(_announce)  # type: ignore[attr-defined]
        window.connectFailed.connect(  # type: ignore[attr-defined]
            lambda message: _announce_problem(message, getattr(window, "history", None) is not None)
        )
        await finished.wait()

    with loop:
        loop.run_until_complete(run())
    log.info("Payout Desk closed")
    return 0
