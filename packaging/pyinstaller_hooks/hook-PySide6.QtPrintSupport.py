# Replaces PyInstaller's own hook for PySide6.QtPrintSupport (user hooks take precedence; only one hook runs
# per module). Same collection, minus the Qt plugins packaging/qt_trim.py drops, so that neither the
# plugins nor the system libraries only they link against (GTK, CUPS, EGLFS…) end up in the build.
# Used only when the spec trims (PAYOUT_DESK_TRIM is not 0).
import sys
from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import qt_trim

hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = qt_trim.filter_hook_binaries(binaries)
