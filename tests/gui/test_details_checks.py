"""The details pane's "Status checks" line: when a polled payout was last checked and when next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from payout_desk.services.poll import PollTimes
from payout_desk.ui.history.columns import describe_checks

NOW = datetime(2026, 12, 6, 3, 30, 0, tzinfo=UTC)


def _clock(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def test_last_and_next_with_why() -> None:
    last, nxt = NOW - timedelta(seconds=4), NOW + timedelta(seconds=1)
    text = describe_checks(PollTimes(last, nxt, "watched"), NOW)
    assert text == f"Last {_clock(last)} (4 s ago); next {_clock(nxt)} (in 1 s), at least every 5 s while selected"
    caught = describe_checks(PollTimes(last, nxt, "caught"), NOW)
    assert caught.endswith("every second for two minutes after the checkin")


def test_not_yet_being_asked_and_queued() -> None:
    nxt = NOW + timedelta(seconds=30)
    assert describe_checks(PollTimes(None, nxt, "recent"), NOW) == f"Not checked yet; next {_clock(nxt)} (in 30 s)"
    last = NOW - timedelta(seconds=90)
    assert describe_checks(PollTimes(last, None, "background"), NOW).endswith("; being checked now")
    queued = describe_checks(PollTimes(last, NOW - timedelta(seconds=3), "background"), NOW)
    assert queued == f"Last {_clock(last)} (90 s ago); next as soon as its turn comes"
