"""Qt start-up: the environment QtWebEngine needs and the one QApplication, set up without importing
QtWebEngine (it loads with the first checkin dialog)."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence

from payout_desk import APP_NAME, __version__

log = logging.getLogger(__name__)

#: Set (to anything) to see Chromium's own messages on the terminal again, for debugging the checkin view.
WEB_DEBUG_VARIABLE = "PAYOUT_DESK_WEB_DEBUG"


def prepare_qt_environment() -> None:
    """Set what QtWebEngine needs before Qt starts: the Chromium sandbox flag when root, no GPU, and quiet
    (Chromium logs fatal errors only; ``PAYOUT_DESK_WEB_DEBUG=1`` brings its messages back)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0 and not os.environ.get("QTWEBENGINE_DISABLE_SANDBOX"):
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
        log.warning(
            "Running as root: the Chromium sandbox of the checkin view is disabled "
            "(QTWEBENGINE_DISABLE_SANDBOX=1). Run Payout Desk as a normal user."
        )
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if "--disable-gpu" not in flags:
        flags = (flags + " --disable-gpu").strip()
    if not os.environ.get(WEB_DEBUG_VARIABLE):
        # Chromium's terminal noise (Vulkan, D-Bus, GPU info) off in normal runs: errors only (level 3 = fatal)
        if "--log-level" not in flags:
            flags += " --log-level=3"
        quiet = "qt.webenginecontext.*=false;qt.rhi.*=false;qt.vulkan=false"
        rules = os.environ.get("QT_LOGGING_RULES", "")
        if "qt.webenginecontext" not in rules:
            os.environ["QT_LOGGING_RULES"] = f"{rules};{quiet}" if rules else quiet
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = flags


#: Start-up chatter of QtWebEngine's graphics stack on machines without a GPU: logged, not printed.
_NOISE = ("QRhiGles2:", "Failed to create RHI", "GPUInfo not initialized", "QVulkanInstance", "Vulkan",
          "createPlatformVulkanInstance", "GBM is not supported", "propagateSizeHints")  # fmt: skip


def quiet_qt_messages() -> None:
    """Qt's own messages go to the log file; the known graphics chatter only at debug level, so the terminal
    of a normal run stays clean. ``PAYOUT_DESK_WEB_DEBUG=1`` leaves Qt's default handler in place."""
    if os.environ.get(WEB_DEBUG_VARIABLE):
        return
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        if any(part in message for part in _NOISE) or kind in (QtMsgType.QtDebugMsg, QtMsgType.QtInfoMsg):
            qt_log.debug("%s", message)
        else:
            qt_log.warning("%s", message)

    qInstallMessageHandler(handler)


def create_qt_application(argv: Sequence[str]):  # type: ignore[no-untyped-def]  # -> QApplication
    """The QApplication, set up for QtWebEngine without importing it: the checkin view's ~0.4 s import
    happens after the first paint.

    QtWebEngine needs OpenGL contexts shared across the application, fixed before the QApplication
    exists. Importing QtWebEngineWidgets first does that as a side effect (what DESIGN.md suggests);
    setting ``AA_ShareOpenGLContexts`` ourselves is the documented alternative and keeps that import off
    the start-up path (start-up is measured in benchmarks/startup.py).
    """
    prepare_qt_environment()
    quiet_qt_messages()
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
