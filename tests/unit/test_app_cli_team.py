"""``--team`` with ``--sandbox``/``--sandbox-url`` is a usage error (audit F18): before, --team won silently."""

from __future__ import annotations

import pytest

from payout_desk.app.cli import main, parse_args


@pytest.mark.parametrize(
    ("extra", "named"),
    [(["--sandbox"], "--sandbox"), (["--sandbox-url", "http://127.0.0.1:8000"], "--sandbox-url")],
)
def test_team_with_a_sandbox_exits_2_saying_why(
    extra: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for run in (main, parse_args):
        with pytest.raises(SystemExit) as caught:
            run(["--team", "dbname=team user=vera", *extra, "--self-test"])
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert f"--team cannot be combined with {named}" in err
        assert "usage: payout-desk" in err


def test_team_alone_and_sandbox_alone_still_parse() -> None:
    assert parse_args(["--team", "dbname=team user=vera"]).team == "dbname=team user=vera"
    assert parse_args(["--sandbox", "--sandbox-url", "http://127.0.0.1:8000"]).sandbox is True
