"""The build's data trims (packaging/icu_trim.py, packaging/babel_trim.py): smaller, and nothing the app
shows changes. Both run on copies of this environment's real files."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.helpers import load_script

icu_trim = load_script("icu_trim")
babel_trim = load_script("babel_trim")
QT_LIB = Path(str(importlib.util.find_spec("PySide6").origin)).parent / "Qt" / "lib"  # type: ignore[union-attr]

#: Qt Core's ICU-backed calls: collation, locale case mapping, codecs, time-zone ids and offsets.
ICU_PROBE = """
import sys
from PySide6.QtCore import QCollator, QCoreApplication, QDateTime, QLocale, QStringDecoder, QTimeZone
app = QCoreApplication(sys.argv)
collator = QCollator(QLocale("de_DE"))
tz = QTimeZone(b"Europe/Berlin")
print(collator.compare("ä", "b"), collator.compare("Z", "a"), QLocale("tr_TR").toUpper("istanbul"),
      QLocale("de_DE").toLower("STRASSE"), tz.isValid(), tz.offsetFromUtc(QDateTime.fromSecsSinceEpoch(1767225600)),
      QStringDecoder("Shift_JIS").isValid(), len(QStringDecoder.availableCodecs()),
      QLocale("de_DE").toCurrencyString(1234.5, "EUR"))
"""


def test_icu_items_dropped_are_the_unused_trees_and_non_root_collations() -> None:
    items = ["root.res", "de.res", "ucase.icu", "brkitr/word.brk", "coll/root.res", "coll/de.res", "coll/ucadata.icu",
             "curr/de.res", "zone/de.res", "unit/de.res", "ibm-943_P15A-2003.cnv"]  # fmt: skip
    assert icu_trim.dropped_items(items) == [
        "brkitr/word.brk",
        "coll/de.res",
        "curr/de.res",
        "zone/de.res",
        "unit/de.res",
    ]


@pytest.mark.skipif(not all(shutil.which(t) for t in ("icupkg", "genccode", "cc", "nm")), reason="needs icu-devtools")
def test_trimmed_icu_data_serves_qt_core_as_before(tmp_path: Path) -> None:
    (original,) = QT_LIB.glob("libicudata.so.[0-9]*")
    trimmed = tmp_path / original.name
    shutil.copyfile(original, trimmed)
    before, after = icu_trim.trim(trimmed)
    assert after < before * 0.5
    assert icu_trim.data_symbol(trimmed)[0] == icu_trim.data_symbol(original)[0]
    assert icu_trim.soname(trimmed) == original.name

    def probe(library_dir: Path | None) -> str:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        if library_dir is not None:  # LD_LIBRARY_PATH goes before the Qt libraries' RUNPATH
            env["LD_LIBRARY_PATH"] = str(library_dir)
        done = subprocess.run([sys.executable, "-c", ICU_PROBE], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert probe(tmp_path) == probe(None)


def test_babel_trim_keeps_every_amount_and_name(tmp_path: Path) -> None:
    import babel.localedata

    folder = tmp_path / "locale-data"
    shutil.copytree(babel.localedata._dirname, folder)
    before, after = babel_trim.trim_and_verify(folder)
    assert after < before * 0.2
    assert sorted(p.name for p in folder.iterdir()) == sorted(os.listdir(babel.localedata._dirname))


def test_babel_trim_refuses_when_a_needed_key_would_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import babel.localedata

    folder = tmp_path / "locale-data"
    folder.mkdir()
    for name in ("root", "en", "en_US", "de", "de_CH", "ja", "ja_JP"):
        shutil.copyfile(Path(babel.localedata._dirname) / f"{name}.dat", folder / f"{name}.dat")
    monkeypatch.setattr(babel_trim, "KEPT_KEYS", babel_trim.KEPT_KEYS - {"number_symbols"})
    with pytest.raises(SystemExit, match="outputs changed"):
        babel_trim.trim_and_verify(folder)
