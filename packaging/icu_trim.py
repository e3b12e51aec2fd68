"""Rebuild Qt Core's ICU data library (``libicudata.so.<N>``) with only the data Qt Core reads.

    python packaging/icu_trim.py FOLDER/_internal/PySide6/Qt/lib/libicudata.so.73 [--keep-all]

Qt Core links ICU for text codecs (``ucnv_*``), case mapping (``u_strToUpper``/``Lower``), time-zone
ids and names (``ucal_*``) and collation (``ucol_*``); it never calls ICU's break iterators,
number/unit/currency formatting, transliteration, or rule-based number formats, and time-zone
display names are the only thing it reads zone strings for (the app formats times in Python).
QtWebEngine does not use this library at all: Chromium carries its own ICU (``icudtl.dat``).

The library holds one ICU common-data package as the symbol ``icudt<N>_dat``. This script copies
that package out (``nm`` gives the symbol's place), removes the item trees listed in
:data:`DROPPED_TREES` and, of the collation tree, every locale but the root (``icupkg -r``), turns
the package back into assembly (``genccode -a gcc``) and links a new library with the same SONAME
(``cc -shared``). Tools: binutils, ``icu-devtools`` (icupkg, genccode), a C compiler.
``--keep-all`` rebuilds without removing anything (to rule the trim out when debugging).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Item trees of the package Qt Core never reads (see the module docstring).
DROPPED_TREES: tuple[str, ...] = ("brkitr", "curr", "lang", "rbnf", "region", "translit", "unit", "zone")
#: Of the collation tree only these stay: ucol_open falls back to the root collation.
KEPT_COLLATION: frozenset[str] = frozenset({"coll/root.res", "coll/res_index.res", "coll/ucadata.icu"})


def dropped_items(items: list[str]) -> list[str]:
    """The package items to remove, from ``icupkg -l`` output (one item name per line)."""
    out = []
    for item in items:
        tree = item.split("/", 1)[0] if "/" in item else ""
        if tree in DROPPED_TREES or (tree == "coll" and item not in KEPT_COLLATION):
            out.append(item)
    return out


def data_symbol(library: Path) -> tuple[str, int, int]:
    """(name, file offset, size) of the ``icudt<N>_dat`` symbol (its section maps file = address)."""
    nm = subprocess.run(["nm", "-S", "-D", "--defined-only", str(library)], check=True, capture_output=True, text=True)
    for line in nm.stdout.splitlines():
        match = re.fullmatch(r"([0-9a-f]+) ([0-9a-f]+) R (icudt\d+_dat)", line.strip())
        if match:
            address, size, name = int(match[1], 16), int(match[2], 16), match[3]
            break
    else:
        raise SystemExit(f"icu_trim: no icudt*_dat symbol in {library}")
    sections = subprocess.run(["readelf", "-SW", str(library)], check=True, capture_output=True, text=True)
    for line in sections.stdout.splitlines():
        fields = line.replace("[ ", "[").split()
        if len(fields) > 5 and fields[1] == ".rodata":
            section_address, section_offset = int(fields[3], 16), int(fields[4], 16)
            return name, address - section_address + section_offset, size
    raise SystemExit(f"icu_trim: no .rodata section in {library}")


def soname(library: Path) -> str:
    dynamic = subprocess.run(["readelf", "-d", str(library)], check=True, capture_output=True, text=True)
    match = re.search(r"Library soname: \[([^\]]+)\]", dynamic.stdout)
    return match[1] if match else library.name


def trim(library: Path, *, keep_all: bool = False) -> tuple[int, int]:
    """Rebuild ``library`` in place; (bytes before, bytes after)."""
    for tool in ("nm", "readelf", "icupkg", "genccode", "cc"):
        if shutil.which(tool) is None:
            raise SystemExit(f"icu_trim: {tool} is missing (apt-get install binutils icu-devtools gcc)")
    before = library.stat().st_size
    name, offset, size = data_symbol(library)
    entry = name.removesuffix("_dat")
    with tempfile.TemporaryDirectory(prefix="icu-trim-") as tmp_name:
        tmp = Path(tmp_name)
        package = tmp / f"{entry}l.dat"
        with library.open("rb") as handle:
            handle.seek(offset)
            package.write_bytes(handle.read(size))
        listing = subprocess.run(["icupkg", "-l", str(package)], check=True, capture_output=True, text=True)
        drop = [] if keep_all else dropped_items(listing.stdout.split())
        if drop:
            (tmp / "drop.txt").write_text("\n".join(drop) + "\n")
            subprocess.run(["icupkg", "-r", str(tmp / "drop.txt"), str(package)], check=True, cwd=tmp)
        subprocess.run(["genccode", "-a", "gcc", "-e", entry, "-d", str(tmp), str(package)], check=True)
        (assembly,) = tmp.glob("*.S")
        rebuilt = tmp / library.name
        link = ["cc", "-shared", "-nostdlib", f"-Wl,-soname,{soname(library)}", "-o", str(rebuilt), str(assembly)]
        subprocess.run(link, check=True)
        subprocess.run(["strip", "--strip-unneeded", str(rebuilt)], check=True)
        shutil.copyfile(rebuilt, library)
    after = library.stat().st_size
    print(f"icu_trim: {library.name}: {len(drop)} items removed, {before / 1e6:.1f} -> {after / 1e6:.1f} MB")
    return before, after


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("library", type=Path)
    parser.add_argument("--keep-all", action="store_true")
    args = parser.parse_args(argv)
    trim(args.library, keep_all=args.keep_all)
    return 0


if __name__ == "__main__":
    sys.exit(main())
