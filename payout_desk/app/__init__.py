"""The wiring room, above ``ui/``: the one place that builds the parts and hands them down.

- ``cli``: the command line of `payout-desk`, :func:`launch` (the main window on a running qasync loop)
  and :func:`main` (the console script: parse, start Qt, run the event loop exactly once).
- ``context``: :class:`~payout_desk.app.context.AppContext` builds the journal, the provider client,
  the embedded sandbox and the desk after the first paint, and closes them; the window receives it.
- ``qt_start``: the environment QtWebEngine needs and the one QApplication.
- ``pyside_guard``: PySide6 work-arounds applied at start-up (the import hook, the 6.12 refcount bug).

Rule: only this room (and the headless ``payout_desk.selftest``) may build a journal, a client or a
sandbox; nothing below imports it.
"""

from payout_desk.app.cli import build_parser, launch, main
from payout_desk.app.qt_start import create_qt_application, prepare_qt_environment

__all__ = ["build_parser", "create_qt_application", "launch", "main", "prepare_qt_environment"]
