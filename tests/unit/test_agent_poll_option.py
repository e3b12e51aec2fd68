"""The agent's hidden ``--poll-every-seconds``: its own polls no closer than that (tests and benchmarks show what
webhooks alone do with it); not in ``--help``; without it, the desk's cadence."""

from __future__ import annotations

import pytest

from payout_desk.agent.cli import _config, build_parser
from payout_desk.services.poll import PollPolicy

BASE = ["--db", "dbname=team", "--provider-url", "http://127.0.0.1:9"]


def test_the_option_spaces_every_scheduled_poll_and_is_not_in_the_help() -> None:
    assert "--poll-every-seconds" not in build_parser().format_help()
    assert _config(build_parser().parse_args(BASE)).policy == PollPolicy()
    policy = _config(build_parser().parse_args([*BASE, "--poll-every-seconds", "3600"])).policy
    assert (policy.initial_interval, policy.max_interval, policy.burst_interval, policy.watch_interval) == (
        3600, 3600, 3600, 3600,
    )  # fmt: skip
    assert policy.resend_initial_interval == PollPolicy().resend_initial_interval  # resends are not polls
    quick = _config(build_parser().parse_args([*BASE, "--poll-every-seconds", "0.5"])).policy
    assert quick == PollPolicy()  # never more often than the desk's own cadence


def test_a_wrong_value_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args([*BASE, "--poll-every-seconds", "0"])
    assert stopped.value.code == 2
