"""The log file: where it is, its permissions, rotation, and that no secret ever reaches it."""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import platformdirs
import pytest

from payout_desk.logging_setup import configure_logging, redact, unconfigure_logging

TEST_TOKEN = "tk_test_n4912345faza90aefk4c3awf"
LIVE_TOKEN = "tk_live_" + "Zz9Yy8Xx7Ww6Vv5"  # built at run time: no token-shaped literal in the source
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    root = logging.getLogger()
    saved_level = root.level
    path = configure_logging(tmp_path / "logs", level=logging.DEBUG)
    yield path
    unconfigure_logging()
    root.setLevel(saved_level)


def _flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()


def _all_log_text(directory: Path) -> str:
    _flush()
    return "".join(p.read_text(encoding="utf-8") for p in sorted(directory.iterdir()))


# --- redact() -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "secret"),
    [
        (f"token={TEST_TOKEN}", TEST_TOKEN),
        (f"using {LIVE_TOKEN}.", LIVE_TOKEN),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("{'Authorization': 'Token s3cr3t-value'}", "s3cr3t-value"),
        ('{"authorization": "opaque-secret"}', "opaque-secret"),
        ("[(b'Authorization', b'Bearer xyz123')]", "xyz123"),
        ("header bearer eyJhbGciOi.payload.sig sent", "eyJhbGciOi.payload.sig"),
    ],
)
def test_redact_removes_the_secret(raw: str, secret: str) -> None:
    redacted = redact(raw)
    assert secret not in redacted
    assert "[REDACTED]" in redacted


def test_redact_keeps_the_token_kind_and_the_rest_of_the_text() -> None:
    assert redact(f"sent with {TEST_TOKEN} ok") == "sent with tk_test_[REDACTED] ok"
    assert redact(f"({LIVE_TOKEN})") == "(tk_live_[REDACTED])"


def test_redact_leaves_ordinary_text_alone() -> None:
    text = "payout pay_a1b2c3d4 is succeeded: 10.00 EUR, unauthorized retry=2"
    assert redact(text) == text


# --- the file -------------------------------------------------------------------------------


def test_returns_the_file_in_the_given_directory(log_file: Path, tmp_path: Path) -> None:
    assert log_file == tmp_path / "logs" / "payout-desk.log"
    logging.getLogger("payout_desk.test").info("hello %s", "world")
    assert "hello world" in _all_log_text(log_file.parent)


def test_default_directory_is_the_platformdirs_user_log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platformdirs, "user_log_dir", lambda app, author: str(tmp_path / app))
    try:
        path = configure_logging()
    finally:
        unconfigure_logging()
    assert path == tmp_path / "payout-desk" / "payout-desk.log"
    assert path.is_file()


@posix_only
def test_directory_and_file_are_owner_only(log_file: Path) -> None:
    assert stat.S_IMODE(log_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600


@posix_only
def test_existing_loose_permissions_are_tightened(tmp_path: Path) -> None:
    directory = tmp_path / "loose"
    directory.mkdir(mode=0o755)
    (directory / "payout-desk.log").write_text("old\n", encoding="utf-8")
    (directory / "payout-desk.log").chmod(0o644)
    try:
        path = configure_logging(directory)
    finally:
        unconfigure_logging()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text(encoding="utf-8").startswith("old\n")  # appended, not truncated


@posix_only
def test_rotation_keeps_backups_and_every_file_owner_only(tmp_path: Path) -> None:
    directory = tmp_path / "rot"
    try:
        configure_logging(directory, max_bytes=2_000, backup_count=2)
        log = logging.getLogger("payout_desk.rotation")
        for i in range(200):
            log.info("line %03d %s", i, "x" * 60)
    finally:
        unconfigure_logging()
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["payout-desk.log", "payout-desk.log.1", "payout-desk.log.2"]
    for path in directory.iterdir():
        assert path.stat().st_size <= 2_000 + 200
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_reconfiguring_does_not_duplicate_lines(tmp_path: Path) -> None:
    try:
        configure_logging(tmp_path)
        path = configure_logging(tmp_path)
        logging.getLogger("payout_desk.twice").warning("only once")
        _flush()
        assert path.read_text(encoding="utf-8").count("only once") == 1
    finally:
        unconfigure_logging()


def test_console_output_is_redacted_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    try:
        configure_logging(tmp_path, console=True)
        logging.getLogger("payout_desk.console").warning("token %s", TEST_TOKEN)
    finally:
        unconfigure_logging()
    err = capsys.readouterr().err
    assert "tk_test_[REDACTED]" in err
    assert TEST_TOKEN not in err


# --- no secret reaches the file -------------------------------------------------------------


def test_token_in_the_message_never_reaches_the_file(log_file: Path) -> None:
    logging.getLogger("payout_desk.x").info(f"created with {TEST_TOKEN}")
    text = _all_log_text(log_file.parent)
    assert TEST_TOKEN not in text
    assert "created with tk_test_[REDACTED]" in text


def test_token_in_the_args_never_reaches_the_file(log_file: Path) -> None:
    log = logging.getLogger("payout_desk.x")
    log.info("token %s", LIVE_TOKEN)
    log.info("headers %r", {"Authorization": f"Bearer {TEST_TOKEN}"})
    log.info("%(auth)s", {"auth": "Authorization: Basic b3BhcXVl"})
    text = _all_log_text(log_file.parent)
    for secret in (LIVE_TOKEN, TEST_TOKEN, "b3BhcXVl"):
        assert secret not in text
    assert "token tk_live_[REDACTED]" in text


def _fail_with_token(token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    raise RuntimeError(f"request failed, headers={headers}")


def test_token_in_an_exception_traceback_never_reaches_the_file(log_file: Path) -> None:
    log = logging.getLogger("payout_desk.x")
    try:
        _fail_with_token(TEST_TOKEN)
    except RuntimeError:
        log.exception("submit failed")
    try:
        try:
            raise ValueError(LIVE_TOKEN)
        except ValueError as inner:
            raise KeyError("outer") from inner
    except KeyError:
        log.exception("chained")
    text = _all_log_text(log_file.parent)
    assert "Traceback (most recent call last)" in text
    assert "RuntimeError: request failed" in text
    assert "ValueError: tk_live_[REDACTED]" in text
    assert TEST_TOKEN not in text
    assert LIVE_TOKEN not in text


def test_token_in_stack_info_never_reaches_the_file(log_file: Path) -> None:
    log = logging.getLogger("payout_desk.x")
    log.info("here", stack_info=True)  # the stack shows: tk_test_inTheSourceLine9
    text = _all_log_text(log_file.parent)
    assert "Stack (most recent call last)" in text
    assert "the stack shows: tk_test_[REDACTED]" in text
    assert "inTheSourceLine9" not in text


def test_token_in_an_exc_info_tuple_never_reaches_the_file(log_file: Path) -> None:
    logging.getLogger("payout_desk.x").info("exc_info tuple", exc_info=_exc_info(LIVE_TOKEN))
    text = _all_log_text(log_file.parent)
    assert "PermissionError: revoked tk_live_[REDACTED]" in text
    assert LIVE_TOKEN not in text


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _exc_info(token: str) -> ExcInfo:
    try:
        raise PermissionError(f"revoked {token}")
    except PermissionError:
        info = sys.exc_info()
    assert info[0] is not None
    assert info[1] is not None
    return info[0], info[1], info[2]


def test_a_broken_format_string_still_does_not_leak(log_file: Path) -> None:
    logging.getLogger("payout_desk.x").info("no placeholder", TEST_TOKEN)
    text = _all_log_text(log_file.parent)
    assert TEST_TOKEN not in text
    assert "no placeholder" in text


def test_warnings_are_captured_and_redacted(log_file: Path) -> None:
    import warnings

    warnings.warn(f"deprecated use of {TEST_TOKEN}", UserWarning, stacklevel=1)
    text = _all_log_text(log_file.parent)
    assert "deprecated use of tk_test_[REDACTED]" in text
    assert TEST_TOKEN not in text
