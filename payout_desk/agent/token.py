"""The provider token of ``payout-desk-agent``: from the environment (``PAYOUT_DESK_PROVIDER_TOKEN``) or from
``--token-file`` (owner-only), never from the database. It lives in this process's memory and the provider
client's headers only; no message here ever contains it, nor any part of it."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = ["TOKEN_ENV", "TokenError", "TokenSourcesError", "read_token"]

TOKEN_ENV: Final = "PAYOUT_DESK_PROVIDER_TOKEN"  # noqa: S105 (the variable's name, not a secret)
_MAX_BYTES: Final = 4096


class TokenError(Exception):
    """No usable token; the message names the source and the rule (never the token)."""


class TokenSourcesError(TokenError):
    """Both sources were given: a usage error (exit 2); the agent never picks one of two tokens silently."""


def _symlink_target(path: Path) -> str | None:
    """Where ``path`` points when it is a symbolic link itself; None otherwise."""
    try:
        return os.readlink(path) if path.is_symlink() else None
    except OSError:
        return None


def _not_a_link(path: Path, target: str) -> TokenError:
    return TokenError(
        f"--token-file must be the file itself, not a symbolic link: {path} → {target}. Give the path of the file "
        "it points to (the agent reads the token once, at start)."
    )


def _check(token: str, source: str) -> str:
    if not token:
        raise TokenError(f"{source} is empty: it must hold the provider's API token (tk_live_… or tk_test_…).")
    if len(token) > _MAX_BYTES or any(not ("!" <= ch <= "~") for ch in token):
        raise TokenError(f"{source} does not hold one API token: it has spaces, line breaks or other characters.")
    return token


def _from_file(path: Path) -> str:
    target = _symlink_target(path)
    if target is not None:
        raise _not_a_link(path, target)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        target = _symlink_target(path)  # it became one since
        if target is not None:
            raise _not_a_link(path, target) from None
        raise TokenError(f"--token-file {path}: cannot open it ({exc.strerror}).") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TokenError(f"--token-file {path}: not a regular file.")
        mode = stat.S_IMODE(info.st_mode)
        if os.name == "posix" and mode & 0o077:
            raise TokenError(
                f"--token-file {path}: readable or writable by group or others (mode {mode:04o}); "
                f"a token file must be its owner's alone (chmod 600 {path})."
            )
        if info.st_size > _MAX_BYTES + 2:
            raise TokenError(f"--token-file {path}: too large to be one API token.")
        data = os.read(fd, _MAX_BYTES + 3)
    finally:
        os.close(fd)
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise TokenError(f"--token-file {path}: not plain text; it must hold the API token alone.") from None
    return _check(text.strip(), f"--token-file {path}")


def read_token(token_file: Path | None, environ: Mapping[str, str] | None = None) -> str:
    """The token from ``token_file`` or from ``PAYOUT_DESK_PROVIDER_TOKEN`` (TokenSourcesError when both are given);
    TokenError otherwise."""
    env = os.environ if environ is None else environ
    value = env.get(TOKEN_ENV)
    if token_file is not None and value is not None:
        raise TokenSourcesError(
            f"both {TOKEN_ENV} and --token-file {token_file} are given: give one (unset the variable or drop "
            "--token-file), so that the token in use is the one you rotated."
        )
    if token_file is not None:
        return _from_file(token_file)
    if value is None:
        raise TokenError(
            f"No provider token: set {TOKEN_ENV} or pass --token-file FILE (a file only its owner can read, "
            "chmod 600). The token is never read from the database."
        )
    return _check(value.strip(), f"the environment variable {TOKEN_ENV}")
