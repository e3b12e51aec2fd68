"""What the PyInstaller build leaves out, kept apart from the spec so it can be read and tested.

A naive one-folder build of a QtWebEngine app collects most of Qt: every PySide6 module the hooks
can reach, the QML tree, 3D, Charts, Multimedia and their plugins, 44 MB of Chromium locales and the
DevTools resources. These levers bring it down, each measured (see packaging/README.md, "Size"):

1. **Python-level excludes.** Every PySide6 extension module except the ones the app imports (found by
   scanning the source, plus the few QtWebEngine needs at Python level) is excluded. Their hooks then
   never run, so their plugins, QML files and translations are not collected. The Qt *libraries*
   QtWebEngine links against (Qml, Quick, QuickWidgets, Positioning, WebChannel, OpenGL, PrintSupport)
   still come in through binary dependency analysis: they are needed, the Python wrappers are not.
2. **Qt plugins with heavy dependencies** (:data:`DROPPED_PLUGINS`): the GTK3 theme, CUPS printing,
   EGLFS/VNC/framebuffer back ends, the virtual keyboard. They are removed inside the QtGui and
   QtPrintSupport hooks (packaging/pyinstaller_hooks/), *before* binary dependency analysis, so the
   system libraries only they need (GTK, cairo, pango, libcups, GnuTLS, Avahi…) are not collected either.
3. **Chromium locales and Qt translations.** ``qtwebengine_locales/*.pak`` are the web view's own UI
   strings (context menu, form validation bubbles), ``Qt/translations/*.qm`` Qt's dialog strings. The
   app's UI is English, so only ``en-US`` (Chromium's fallback) and ``en-GB`` are kept; set
   ``PAYOUT_DESK_WEBENGINE_LOCALES="en-US de fr"`` to keep more.
4. **Leftovers with no use in a shipped app.** DevTools resources (no inspector is ever opened), QML
   tooling, YAML (only uvicorn's optional YAML log config imports it) and the dev tools of the venv.

(The spec also strips debug symbols on Linux: libpython alone goes from 23 MB to 6 MB.)
Everything here is plain Python with no PyInstaller import, so the spec and a unit test can share it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

#: PySide6 modules the frozen app imports at Python level whatever the source scan finds:
#: QtWebEngineCore's hook adds PrintSupport, and QtWebChannel is the bridge the web view uses.
ALWAYS_KEEP = frozenset(
    {
        "QtCore",
        "QtGui",
        "QtWidgets",
        "QtNetwork",
        "QtSvg",
        "QtPrintSupport",
        "QtWebChannel",
        "QtWebEngineCore",
        "QtWebEngineWidgets",
    }
)

#: Other Qt bindings qasync probes for; never wanted next to PySide6.
OTHER_BINDINGS = ("PyQt5", "PyQt6", "PySide2")

#: Standard-library and tooling modules a GUI app never uses at run time.
STDLIB_EXCLUDES = ("tkinter", "_tkinter", "turtle", "turtledemo", "idlelib", "lib2to3", "pydoc_data", "test")

#: Chromium UI locales kept by default (en-US is Chromium's own fallback).
DEFAULT_WEBENGINE_LOCALES = ("en-US", "en-GB")

#: Modules pulled in only by optional code paths of dependencies (uvicorn's YAML log config) or by
#: the dev tools installed next to the app in the build venv; none is imported by the app.
UNUSED_PYTHON_MODULES = ("yaml", "_yaml", "pytest", "_pytest", "hypothesis", "schemathesis", "mypy", "IPython")

#: Qt plugins that are not collected at all (so their own library dependencies are not either).
#: ``None`` drops the whole plugin type. Names are per platform file names; absent ones are ignored.
DROPPED_PLUGINS: dict[str, frozenset[str] | None] = {
    # embedded-device back ends: EGLFS/KMS, framebuffer, VNC, Vulkan display; desktops use xcb or wayland
    "platforms": frozenset(
        {"libqeglfs.so", "libqlinuxfb.so", "libqminimalegl.so", "libqvkkhrdisplay.so", "libqvnc.so"}
    ),
    "egldeviceintegrations": None,
    "generic": None,  # evdev/tslib/TUIO input for kiosks without a window system
    # GTK3 theme: links GTK, cairo, pango and GDK (~6 MB); Qt's Fusion style and the portal theme remain
    "platformthemes": frozenset({"libqgtk3.so"}),
    # on-screen keyboard (pulls QtVirtualKeyboard and its QML)
    "platforminputcontexts": frozenset({"libqtvirtualkeyboardplugin.so"}),
    # CUPS printing: pulls libcups, GnuTLS, Kerberos, Avahi (~10 MB); the app prints nothing
    "printsupport": frozenset({"libcupsprintersupport.so"}),
    # image formats the Qt UI never reads (the web view decodes images itself)
    "imageformats": frozenset({"libqpdf.so", "libqtga.so", "libqtiff.so", "libqwbmp.so", "libqwebp.so", "libqicns.so"}),
}

_QT_IMPORT = re.compile(r"\bPySide6\.(Qt[A-Za-z0-9]+)")
# Qt's translation catalogues: Qt/translations/qtbase_de.qm, qt_help_pt_BR.qm, qtwebengine_zh_CN.qm…
_QT_TRANSLATION = re.compile(r"(^|/)Qt/translations/[a-z_]+?_(?P<lang>[a-z]{2,3}(_[A-Z]{2})?)\.qm$")
# Destination paths (POSIX form, relative to the bundle's contents dir) that are dropped after analysis.
_DROP_PATTERNS = (
    re.compile(r"(^|/)qtwebengine_devtools_resources\.pak$"),
    re.compile(r"(^|/)Qt/qml(/|$)"),
    re.compile(r"(^|/)Qt/plugins/(designer|qmltooling|qmllint|sceneparsers|geometryloaders|renderers)/"),
    re.compile(r"(^|/)Qt/metatypes/"),
)


def pyside6_modules(pyside6_dir: Path) -> list[str]:
    """The names of the PySide6 extension modules installed (``QtCore``, ``QtWebEngineCore``, …)."""
    names = set()
    for path in pyside6_dir.iterdir():
        match = re.match(r"^(Qt[A-Za-z0-9]+)\.(abi3\.so|pyd|cpython-[^.]+\.so|so)$", path.name)
        if match:
            names.add(match.group(1))
    return sorted(names)


def modules_used_by(source_dir: Path) -> set[str]:
    """PySide6 modules named anywhere in the app's source (``import PySide6.QtSvgWidgets`` etc.)."""
    used: set[str] = set()
    for path in source_dir.rglob("*.py"):
        used.update(_QT_IMPORT.findall(path.read_text(encoding="utf-8", errors="replace")))
    return used


def python_excludes(installed: Iterable[str], keep: Iterable[str]) -> list[str]:
    """Module names for ``Analysis(excludes=…)``: every installed PySide6 module not kept, and friends."""
    kept = set(keep)
    excludes = [f"PySide6.{name}" for name in sorted(installed) if name not in kept]
    excludes += list(OTHER_BINDINGS)
    excludes += list(STDLIB_EXCLUDES)
    excludes += list(UNUSED_PYTHON_MODULES)
    return excludes


def keep_plugin(plugin_type: str, file_name: str) -> bool:
    """Whether a Qt plugin file of ``plugin_type`` is collected (see :data:`DROPPED_PLUGINS`)."""
    if plugin_type not in DROPPED_PLUGINS:
        return True
    dropped = DROPPED_PLUGINS[plugin_type]
    return dropped is not None and file_name not in dropped


def filter_hook_binaries(binaries: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A Qt hook's ``binaries`` ``(src, dest_dir)`` without the dropped plugins."""
    kept = []
    for src, dest_dir in binaries:
        parts = PurePosixPath(dest_dir.replace("\\", "/")).parts
        if len(parts) >= 2 and parts[-2] == "plugins" and not keep_plugin(parts[-1], Path(src).name):
            continue
        kept.append((src, dest_dir))
    return kept


def webengine_locales() -> tuple[str, ...]:
    """The Chromium locales to keep (``PAYOUT_DESK_WEBENGINE_LOCALES`` overrides the default)."""
    raw = os.environ.get("PAYOUT_DESK_WEBENGINE_LOCALES", "").replace(",", " ").split()
    return tuple(raw) or DEFAULT_WEBENGINE_LOCALES


def translation_languages(locales: Iterable[str]) -> set[str]:
    """Qt translation suffixes for Chromium locale names: ``en-US`` -> {``en_US``, ``en``}."""
    languages: set[str] = set()
    for locale in locales:
        underscored = locale.replace("-", "_")
        languages.update({underscored, underscored.split("_")[0]})
    return languages


def keep_destination(dest: str, locales: Iterable[str] = DEFAULT_WEBENGINE_LOCALES) -> bool:
    """Whether a collected file (by its destination path in the bundle) stays in the build."""
    posix = PurePosixPath(dest.replace("\\", "/")).as_posix()
    wanted = tuple(locales)
    name = PurePosixPath(posix).name
    if "/qtwebengine_locales/" in f"/{posix}":
        return name.removesuffix(".pak") in set(wanted) or not name.endswith(".pak")
    translation = _QT_TRANSLATION.search(posix)
    if translation:  # Qt's own strings (dialog buttons…) in languages the app is not offered in
        return translation.group("lang") in translation_languages(wanted)
    return not any(pattern.search(posix) for pattern in _DROP_PATTERNS)


def filter_toc(
    toc: Iterable[tuple[str, str, str]], locales: Iterable[str]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """``(kept entries, dropped destinations)`` for a PyInstaller TOC of ``(dest, src, typecode)``."""
    wanted = tuple(locales)
    kept: list[tuple[str, str, str]] = []
    dropped: list[str] = []
    for entry in toc:
        if keep_destination(entry[0], wanted):
            kept.append(entry)
        else:
            dropped.append(entry[0])
    return kept, dropped
