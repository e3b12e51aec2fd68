"""Qt start-up: the environment QtWebEngine needs and the one QApplication, set up without importing
QtWebEngine (it loads with the first checkin dialog)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from payout_desk import APP_NAME, __version__

log = logging.getLogger(__name__)


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
