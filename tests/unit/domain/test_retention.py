"""The key retention rule (domain.retention)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payout_desk.domain.retention import DEFAULT_RETENTION_SECONDS, key_deadline, key_is_fresh

FIRST = datetime(2026, 12, 4, 17, 0, tzinfo=UTC)  # a Friday evening


@pytest.mark.parametrize(
    ("after", "retention", "fresh"),
    [
        (timedelta(0), DEFAULT_RETENTION_SECONDS, True),
        (timedelta(hours=21, minutes=35), DEFAULT_RETENTION_SECONDS, True),
        (timedelta(hours=21, minutes=36), DEFAULT_RETENTION_SECONDS, False),  # 24 h minus 10 %
        (timedelta(hours=60), DEFAULT_RETENTION_SECONDS, False),  # the laptop closed over the weekend
        (timedelta(seconds=-1), DEFAULT_RETENTION_SECONDS, False),  # a clock earlier than the first attempt
        (timedelta(seconds=2.6), 3.0, True),
        (timedelta(seconds=2.7), 3.0, False),
        (timedelta(0), None, False),  # unknown retention: every resend goes without the key
        (timedelta(0), 0.0, False),
    ],
)
def test_key_is_fresh(after: timedelta, retention: float | None, fresh: bool) -> None:
    assert key_is_fresh(FIRST, FIRST + after, retention) is fresh


def test_a_key_never_sent_is_fresh_whatever_the_retention() -> None:
    assert key_is_fresh(None, FIRST, None)
    assert key_is_fresh(None, FIRST - timedelta(days=9), 3.0)


@given(
    after=st.floats(min_value=-1e7, max_value=1e7, allow_nan=False),
    retention=st.floats(min_value=0.001, max_value=1e7, allow_nan=False),
)
def test_no_fresh_key_is_older_than_the_retention_minus_ten_percent(after: float, retention: float) -> None:
    now = FIRST + timedelta(seconds=after)
    if key_is_fresh(FIRST, now, retention):
        assert timedelta(0) <= now - FIRST < timedelta(seconds=retention * 0.9)
    assert key_deadline(FIRST, retention) <= FIRST + timedelta(seconds=retention)
