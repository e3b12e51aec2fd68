"""What the PyInstaller build leaves out (packaging/qt_trim.py): never something the app uses."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.packaging.helpers import REPO, load_script

qt_trim = load_script("qt_trim")
PYSIDE6_DIR = Path(str(importlib.util.find_spec("PySide6").origin)).parent  # type: ignore[union-attr]


def test_every_pyside6_module_the_app_imports_is_kept() -> None:
    used = qt_trim.modules_used_by(REPO / "payout_desk")
    assert "QtWebEngineWidgets" in used
    installed = qt_trim.pyside6_modules(PYSIDE6_DIR)
    excludes = set(qt_trim.python_excludes(installed, qt_trim.ALWAYS_KEEP | used))
    assert not {f"PySide6.{name}" for name in used} & excludes
    assert "PySide6.QtWebEngineCore" not in excludes


def test_unused_qt_modules_and_other_bindings_are_excluded() -> None:
    installed = qt_trim.pyside6_modules(PYSIDE6_DIR)
    assert {"QtCore", "QtWebEngineCore", "Qt3DCore", "QtQml", "QtQuick", "QtCharts"} <= set(installed)
    excludes = qt_trim.python_excludes(installed, qt_trim.ALWAYS_KEEP)
    for name in ("PySide6.Qt3DCore", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtCharts", "PyQt5", "tkinter"):
        assert name in excludes
    assert "yaml" in excludes


@pytest.mark.parametrize(
    ("dest", "kept"),
    [
        ("PySide6/Qt/translations/qtwebengine_locales/en-US.pak", True),
        ("PySide6/Qt/translations/qtwebengine_locales/en-GB.pak", True),
        ("PySide6/Qt/translations/qtwebengine_locales/de.pak", False),
        ("PySide6/Qt/lib/QtWebEngineCore.framework/Resources/qtwebengine_locales/fr.pak", False),
        ("PySide6/Qt/resources/qtwebengine_devtools_resources.pak", False),
        ("PySide6/Qt/resources/qtwebengine_resources.pak", True),
        ("PySide6/Qt/resources/icudtl.dat", True),
        ("PySide6/Qt/resources/v8_context_snapshot.bin", True),
        ("PySide6/Qt/translations/qtbase_en.qm", True),
        ("PySide6/Qt/translations/qtbase_de.qm", False),
        ("PySide6/Qt/translations/qt_help_pt_BR.qm", False),
        ("PySide6/Qt/qml/QtQuick/Controls/qmldir", False),
        ("PySide6\\Qt\\translations\\qtwebengine_locales\\ja.pak", False),
        ("resources/icons/payout-desk.svg", True),
        ("babel/locale-data/de_CH.dat", True),
    ],
)
def test_keep_destination(dest: str, kept: bool) -> None:
    assert qt_trim.keep_destination(dest) is kept


def test_more_locales_can_be_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYOUT_DESK_WEBENGINE_LOCALES", "en-US, de pt-BR")
    locales = qt_trim.webengine_locales()
    assert locales == ("en-US", "de", "pt-BR")
    assert qt_trim.keep_destination("PySide6/Qt/translations/qtwebengine_locales/de.pak", locales)
    assert qt_trim.keep_destination("PySide6/Qt/translations/qtbase_pt_BR.qm", locales)
    assert not qt_trim.keep_destination("PySide6/Qt/translations/qtbase_fr.qm", locales)


def test_filter_hook_binaries_drops_only_the_listed_plugins() -> None:
    plugins = "PySide6/Qt/plugins"
    binaries = [
        ("/qt/plugins/platforms/libqxcb.so", f"{plugins}/platforms"),
        ("/qt/plugins/platforms/libqwayland.so", f"{plugins}/platforms"),
        ("/qt/plugins/platforms/libqoffscreen.so", f"{plugins}/platforms"),
        ("/qt/plugins/platforms/libqeglfs.so", f"{plugins}/platforms"),
        ("/qt/plugins/platformthemes/libqgtk3.so", f"{plugins}/platformthemes"),
        ("/qt/plugins/platformthemes/libqxdgdesktopportal.so", f"{plugins}/platformthemes"),
        ("/qt/plugins/generic/libqevdevmouseplugin.so", f"{plugins}/generic"),
        ("/qt/plugins/printsupport/libcupsprintersupport.so", f"{plugins}/printsupport"),
        ("/qt/plugins/imageformats/libqsvg.so", f"{plugins}/imageformats"),
        ("C:/qt/plugins/platforms/qwindows.dll", "PySide6\\plugins\\platforms"),
        ("/qt/lib/libQt6Gui.so.6", "PySide6/Qt/lib"),
    ]
    kept = {Path(src).name for src, _ in qt_trim.filter_hook_binaries(binaries)}
    assert kept == {
        "libqxcb.so",
        "libqwayland.so",
        "libqoffscreen.so",
        "libqxdgdesktopportal.so",
        "libqsvg.so",
        "qwindows.dll",
        "libQt6Gui.so.6",
    }


def test_filter_toc_reports_what_it_dropped() -> None:
    toc = [
        ("PySide6/Qt/resources/qtwebengine_devtools_resources.pak", "/src/a", "DATA"),
        ("PySide6/Qt/resources/qtwebengine_resources.pak", "/src/b", "DATA"),
    ]
    kept, dropped = qt_trim.filter_toc(toc, qt_trim.DEFAULT_WEBENGINE_LOCALES)
    assert [entry[0] for entry in kept] == ["PySide6/Qt/resources/qtwebengine_resources.pak"]
    assert dropped == ["PySide6/Qt/resources/qtwebengine_devtools_resources.pak"]
