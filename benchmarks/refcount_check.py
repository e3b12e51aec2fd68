"""Show the PySide6 reference leak that crashes long benchmark runs (and the app after long use).

    python -m benchmarks.refcount_check

Stores None as a QComboBox item's data (as the history's "All" status filter does) and calls
``currentData()``: with PySide6 6.12.0 each call drops one reference to None that it never took.
Prints the change of ``sys.getrefcount(None)`` over the calls (0 when the binding is fine).
"""

from __future__ import annotations

import os
import sys

CALLS = 1000


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import PySide6
    from PySide6.QtWidgets import QApplication, QComboBox

    app = QApplication.instance() or QApplication(sys.argv[:1])
    combo = QComboBox()
    combo.addItem("All", None)
    keep = [None] * (CALLS * 2)  # so the demonstration itself cannot reach zero
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        combo.currentData()
    change = sys.getrefcount(None) - before
    print(
        f"PySide6 {PySide6.__version__}: sys.getrefcount(None) changed by {change:+d} over {CALLS} "
        f"QComboBox.currentData() calls returning None ({'LEAK' if change < 0 else 'ok'})"
    )
    del keep, app
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
