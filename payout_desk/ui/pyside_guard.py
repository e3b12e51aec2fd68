"""PySide6 workarounds: run Python's garbage collector on the GUI thread only, detect the
shiboken6 6.12 reference-count bug, and keep PySide's import hook from caching every module's source.

PySide6 6.12.0 on CPython 3.11 drops one reference to ``None`` on every Qt call returning ``void``
(and to ``True``/``False`` on ``Signal(bool)`` emits) until the process aborts with "none_dealloc".
pyproject.toml pins 6.11.x, which does not; ``tests/unit/test_pyside_refcounts.py`` fails if an
upgrade brings the bug back, and :func:`shiboken_leaks_none` lets the app say so at start.
"""

from __future__ import annotations

import gc
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


class GuiThreadGarbageCollector:
    """Run Python's cyclic garbage collector on the GUI thread only (as Anki does).

    The embedded sandbox (uvicorn) and the worker threads allocate too; left automatic, the
    collector can run in one of those threads and destroy Qt wrappers that sit in a reference
    cycle there — a segfault (seen here in the end-to-end run). While started, automatic
    collection is off and a QTimer on the GUI thread collects by generation thresholds.
    """

    def __init__(self, interval_ms: int = 500) -> None:
        from PySide6.QtCore import QTimer

        self._timer = QTimer()
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self.running = False

    def start(self) -> None:
        if self.running:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()
        self.running = True

    def check(self) -> None:
        count0, count1, count2 = gc.get_count()
        if count0 > self._threshold[0]:
            generation = 0
            if count1 > self._threshold[1]:
                generation = 1
                if count2 > self._threshold[2]:
                    generation = 2
            gc.collect(generation)

    def stop(self) -> None:
        """Collect once more here (GUI thread) and restore automatic collection."""
        if not self.running:
            return
        self._timer.stop()
        self.running = False
        gc.collect()
        if self._was_enabled:
            gc.enable()
