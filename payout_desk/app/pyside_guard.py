"""PySide6 workarounds applied at start-up: detect the shiboken6 6.12 reference-count bug, and keep
PySide's import hook from caching every module's source. (The window's garbage collector on the GUI
thread is :mod:`payout_desk.ui.frame.garbage`.)

PySide6 6.12.0 on CPython 3.11 drops one reference to ``None`` on every Qt call returning ``void``
(and to ``True``/``False`` on ``Signal(bool)`` emits) until the process aborts with "none_dealloc".
pyproject.toml pins 6.11.x, which does not; ``tests/unit/test_pyside_refcounts.py`` fails if an
upgrade brings the bug back, and :func:`shiboken_leaks_none` lets the app say so at start.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

_FEATURE_MODULE = "shibokensupport.feature"


def lighten_feature_import_hook() -> bool:
    """Make PySide's per-import check read each module's file instead of caching its source.

    Once PySide6 is imported, its ``__feature__`` import hook asks of every module imported after
    it whether its source mentions "PySide6" (PYSIDE-2029), with ``inspect.getsource``: that reads
    every module through ``linecache``, which keeps all of it — measured here, 334 files and
    11.5 MiB of source lines held for the life of the app, a fifth of its Python heap. This
    replacement gives the same answer from the file's bytes and keeps nothing. Modules that are
    not plain ``.py`` files go to PySide's own check. Returns False (and changes nothing) when this
    PySide6 has no such hook. Call it right after PySide6 is first imported.
    """
    feature = sys.modules.get(_FEATURE_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None:
        return False
    if getattr(original, "reads_bytes", False):
        return True

    def _mod_uses_pyside(module: object) -> bool:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return bool(original(module))
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return bool(original(module))

    _mod_uses_pyside.reads_bytes = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = _mod_uses_pyside  # type: ignore[attr-defined]
    return True



def shiboken_leaks_none() -> bool:
    """True when void Qt calls drop a reference to None (the bug is present)."""
    if sys.version_info >= (3, 12) or not hasattr(sys, "getrefcount"):
        return False
    from PySide6.QtCore import QObject

    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before - 8
