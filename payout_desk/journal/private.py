"""Owner-only files: the data folder is 0700 and every file the app writes in it 0600.

POSIX permissions only; on Windows the user profile's ACLs already keep other users out.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

__all__ = ["private_dir", "private_folder", "restrict", "write_private"]

_POSIX = sys.platform != "win32"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) when missing and make it 0700 (mkdir's mode is filtered by the umask)."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if _POSIX and (path.stat().st_mode & 0o777) != 0o700:
        os.chmod(path, 0o700)
    return path


def private_folder(path: Path) -> Path:
    """``private_dir(path)``, then every regular file directly inside it 0600 (symlinks left alone:
    what they point at is not ours to change)."""
    private_dir(path)
    if _POSIX:
        for entry in os.scandir(path):
            if entry.is_file(follow_symlinks=False):
                restrict(Path(entry.path))
    return path


def restrict(path: Path) -> None:
    """chmod 0600 when the file exists and is looser (no-op when missing)."""
    if not _POSIX:
        return
    with contextlib.suppress(FileNotFoundError):
        if (path.stat().st_mode & 0o777) != 0o600:
            os.chmod(path, 0o600)


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a 0600 temporary file, fsync, rename)."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    try:
        if _POSIX:
            os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
