"""Python's cyclic garbage collector on the GUI thread only, for as long as the main window runs."""

from __future__ import annotations

import gc


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
