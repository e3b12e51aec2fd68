"""The agent's token sources (audit F23): a symbolic link is refused in words that say so, and the environment
variable and --token-file given together are a usage error (exit 2), never a silent choice. Real files in a
temporary folder; the agent's own command line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from payout_desk.agent import cli
from payout_desk.agent.token import TOKEN_ENV, TokenError, TokenSourcesError, read_token

TOKEN = "tk_test_0123456789abcdef"


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """The agent's main() sets the root logger up; put it back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def _token_file(folder: Path) -> Path:
    path = folder / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


def test_the_file_itself_is_read(tmp_path: Path) -> None:
    assert read_token(_token_file(tmp_path), {}) == TOKEN


def test_a_symbolic_link_is_refused_naming_both_ends(tmp_path: Path) -> None:
    real = _token_file(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(real)
    with pytest.raises(TokenError) as refused:
        read_token(link, {})
    assert str(refused.value).startswith(
        f"--token-file must be the file itself, not a symbolic link: {link} → {real}. Give the path of the file"
    )
    assert TOKEN not in str(refused.value)


def test_both_sources_are_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(TokenSourcesError, match=f"both {TOKEN_ENV} and --token-file .* give one"):
        read_token(_token_file(tmp_path), {TOKEN_ENV: "tk_test_other"})


def test_the_agent_exits_2_when_both_are_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "tk_test_bad")
    argv = ["--db", "host=/nonexistent dbname=x", "--provider-url", "http://127.0.0.1:9", "--self-test"]
    assert cli.main([*argv, "--token-file", str(_token_file(tmp_path))]) == 2
    err = capfd.readouterr().err
    assert f"payout-desk-agent: both {TOKEN_ENV} and --token-file" in err
    assert "tk_test_bad" not in err
    assert TOKEN not in err
    monkeypatch.delenv(TOKEN_ENV)
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "token")
    assert cli.main([*argv, "--token-file", str(link)]) == 1
    assert "--token-file must be the file itself, not a symbolic link" in capfd.readouterr().err
