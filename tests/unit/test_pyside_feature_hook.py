"""PySide's per-import ``__feature__`` check, made light by ``lighten_feature_import_hook``: the same
answer for every module, from the file's bytes, and no module source left in ``linecache``."""

from __future__ import annotations

import importlib
import linecache
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from payout_desk.app.pyside_guard import lighten_feature_import_hook


@pytest.fixture
def module_dir(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("pd_feature_probe_")]:
            del sys.modules[name]


def test_the_check_gives_pysides_answer_without_caching_the_source(module_dir: Path) -> None:
    feature = sys.modules["shibokensupport.feature"]
    assert lighten_feature_import_hook() is True
    assert lighten_feature_import_hook() is True  # idempotent
    assert getattr(feature._mod_uses_pyside, "reads_bytes", False)
    uses = module_dir / "pd_feature_probe_uses.py"
    uses.write_text("# a module of the app\nfrom PySide6.QtCore import QObject\n\nVALUE = QObject\n", encoding="utf-8")
    plain = module_dir / "pd_feature_probe_plain.py"
    plain.write_text("# naïve text, no Qt here\nVALUE = 'é' * 3\n", encoding="utf-8")
    importlib.invalidate_caches()
    __import__("pd_feature_probe_uses")  # the import statement's path (PySide hooks builtins.__import__)
    __import__("pd_feature_probe_plain")
    # 0: a module that mentions PySide6 (feature switching applies); -1: ignored, as PySide decides.
    assert feature.pyside_feature_dict["pd_feature_probe_uses"] == 0
    assert feature.pyside_feature_dict["pd_feature_probe_plain"] == -1
    assert str(uses) not in linecache.cache
    assert str(plain) not in linecache.cache


def test_modules_without_a_source_file_go_to_pysides_own_check() -> None:
    feature = sys.modules["shibokensupport.feature"]
    lighten_feature_import_hook()
    assert feature._mod_uses_pyside(sys) is False  # built in: no __file__
    assert feature._mod_uses_pyside(sys.modules["PySide6.QtCore"]) is False  # an extension module
