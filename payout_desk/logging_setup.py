"""The app's log: a rotating, owner-only file in the user log dir, with secrets redacted.

:func:`configure_logging` is called once at start-up (by ``app.main``; the frozen app too). Every
record that reaches its handlers first goes through :class:`RedactingFilter`, which rewrites the
message, its arguments, the exception text and the stack text so that nothing token-shaped is
written: ``tk_test_…`` / ``tk_live_…`` tokens, ``Bearer …`` credentials and the value of any
``Authorization`` header. The formatter redacts the final line once more, as a second net for
attributes a custom format string might add.

:func:`redact` is public: other code (error dialogs, diagnostics export) uses the same rules.
No Qt here.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path

__all__ = [
    "APP_AUTHOR",
    "APP_NAME",
    "LOG_FILE_NAME",
    "RedactingFilter",
    "RedactingFormatter",
    "configure_logging",
    "default_log_dir",
    "redact",
    "unconfigure_logging",
]

APP_NAME = "payout-desk"
APP_AUTHOR = "PayoutDesk"
LOG_FILE_NAME = "payout-desk.log"
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s [%(threadName)s] %(message)s"
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_BACKUP_COUNT = 5
REDACTED = "[REDACTED]"

_DIR_MODE = 0o700
_FILE_MODE = 0o600
# Marks the handlers this module installed, so a second configure_logging replaces them.
_OWNED_ATTR = "_payout_desk_handler"

# Order matters: the header rule runs first and swallows the whole value (scheme included).
_AUTH_HEADER = re.compile(
    r"""(?P<key>authorization(?:['"]?\s*[:=]\s*|['"]\s*,\s*)b?['"]?)"""
    r"""(?P<value>[^'"\r\n,;}\]]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>\bbearer\s+)(?P<value>[^\s'\",;}\]]+)", re.IGNORECASE)
_TOKEN = re.compile(r"\btk_(?P<kind>test|live)_[A-Za-z0-9]+")


def redact(text: str) -> str:
    """``text`` with every token-shaped secret replaced by ``[REDACTED]``.

    A token keeps its kind (``tk_live_[REDACTED]``): which kind is in use is not a secret and
    helps support.
    """
    text = _AUTH_HEADER.sub(lambda m: m.group("key") + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group("key") + REDACTED, text)
    return _TOKEN.sub(lambda m: f"tk_{m.group('kind')}_{REDACTED}", text)


class RedactingFilter(logging.Filter):
    """Rewrites a record in place so that no handler after it sees a secret.

    The message is merged with its arguments first (then ``args`` is cleared), so a token passed
    as ``log.info("token %s", token)`` is caught as well as one inside the format string. The
    exception and stack text are formatted here and stored redacted in ``exc_text`` /
    ``stack_info``, which the standard formatters reuse instead of formatting again.
    """

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string or __str__ must not leak the secret either
            message = f"{record.msg!s} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose output is redacted once more, whatever the format string pulls in."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _OwnerOnlyRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler whose files (the first and every one after a rollover) are 0600."""

    def _open(self) -> io.TextIOWrapper:
        append = "a" in self.mode
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        fd = os.open(self.baseFilename, flags, _FILE_MODE)
        try:
            _chmod(Path(self.baseFilename), _FILE_MODE)
            if append:
                return open(fd, "a", encoding=self.encoding, errors=self.errors)
            return open(fd, "w", encoding=self.encoding, errors=self.errors)
        except BaseException:
            os.close(fd)
            raise


def _chmod(path: Path, mode: int) -> None:
    """``chmod`` where the OS has POSIX permissions (Windows: ACLs of the user profile apply)."""
    if os.name == "posix":
        path.chmod(mode)


def default_log_dir() -> Path:
    """The per-user log directory (``~/.local/state/payout-desk/log`` on Linux)."""
    import platformdirs  # not needed (nor imported) when a data dir is given

    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def unconfigure_logging() -> None:
    """Remove and close the handlers a previous :func:`configure_logging` installed."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _OWNED_ATTR, False):
            root.removeHandler(handler)
            handler.close()
    logging.captureWarnings(False)


def configure_logging(
    log_dir: Path | None = None,
    *,
    level: int = logging.INFO,
    console: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUP_COUNT,
) -> Path:
    """Send the root logger to a rotating file in ``log_dir`` and return the file's path.

    ``log_dir`` defaults to :func:`default_log_dir`; it is created 0700, the file 0600. With
    ``console`` the same (redacted) lines also go to stderr. Calling it again replaces the
    handlers it installed before, so tests and re-configuration do not duplicate lines.
    """
    directory = log_dir if log_dir is not None else default_log_dir()
    directory.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    _chmod(directory, _DIR_MODE)
    log_file = directory / LOG_FILE_NAME

    unconfigure_logging()
    formatter = RedactingFormatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [
        _OwnerOnlyRotatingFileHandler(log_file, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
    ]
    if console:
        handlers.append(logging.StreamHandler(sys.stderr))
    root = logging.getLogger()
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(formatter)
        setattr(handler, _OWNED_ATTR, True)
        root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
    return log_file
