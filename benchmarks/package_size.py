"""The built package's size against issue 17's targets: the folder (``du -sb``) and the download.

Reads what ``make package`` left in ``dist/`` (``PAYOUT_DESK_DIST`` moves it, as for ``build.sh``);
it does not build (PyInstaller takes minutes of both cores). Without a build the figures say so.
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.harness import Figure, Options

NAME = "package"
APP_ID = "payout-desk"


def folder_bytes(folder: Path) -> int:
    """Bytes of every regular file under ``folder`` (symlinks not followed), as ``du -sb`` counts."""
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def run(opts: Options) -> list[Figure]:
    dist = Path(os.environ.get("PAYOUT_DESK_DIST", "dist"))
    folder = dist / APP_ID
    archives = sorted(dist.glob(f"{APP_ID}-*-linux-*.tar.*"), key=lambda p: p.stat().st_mtime)
    if not folder.is_dir() or not archives:
        note = f"no build in {dist}/: run `make package` first"
        return [
            Figure(NAME, "folder on disk", None, "MB", target_max=380.0, note=note),
            Figure(NAME, "download (archive)", None, "MB", target_max=120.0, note=note),
        ]
    archive = archives[-1]
    return [
        Figure(NAME, "folder on disk", folder_bytes(folder) / 1e6, "MB", runs=1, target_max=380.0,
               note=f"{folder} (du -sb); was 424.8 MB before issue 17"),
        Figure(NAME, "download (archive)", archive.stat().st_size / 1e6, "MB", runs=1, target_max=120.0,
               note=f"{archive.name}; was 175.2 MB (.tar.gz) before issue 17"),
    ]
