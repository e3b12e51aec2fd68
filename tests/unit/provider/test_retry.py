"""The retry schedule (equal jitter, capped) and Retry-After parsing (seconds, HTTP-date, cap)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from payout_desk.provider.retry import RetryPolicy, backoff_delay, parse_retry_after, retry_delay

POLICY = RetryPolicy(max_attempts=8, base_delay=0.5, max_delay=8.0, retry_after_cap=30.0)
NOW = datetime(2025, 5, 27, 14, 25, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("retry", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (40, 8.0), (10_000, 8.0)]
)
def test_backoff_is_exponential_with_equal_jitter_and_capped(retry: int, ceiling: float) -> None:
    assert backoff_delay(retry, POLICY, rand=lambda: 0.0) == pytest.approx(ceiling / 2)
    assert backoff_delay(retry, POLICY, rand=lambda: 1.0) == pytest.approx(ceiling)
    rng = random.Random(retry)
    for _ in range(200):
        delay = backoff_delay(retry, POLICY, rand=rng.random)
        assert ceiling / 2 <= delay <= ceiling


def test_backoff_rejects_retry_zero() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0, POLICY)


def test_policy_validates() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_delay=-1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("2", 2.0),
        (" 7 ", 7.0),
        ("2.5", 2.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("3600", 30.0),
        ("Tue, 27 May 2025 14:25:10 GMT", 10.0),
        ("Tue, 27 May 2025 15:25:00 GMT", 30.0),  # an hour away: capped
        ("Tue, 27 May 2025 14:20:00 GMT", 0.0),  # in the past: now
        (None, None),
        ("", None),
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, cap=30.0, now=lambda: NOW) == expected


def test_retry_delay_prefers_capped_retry_after() -> None:
    assert retry_delay(1, POLICY, 2.0, rand=lambda: 0.0) == 2.0
    assert retry_delay(1, POLICY, 99.0, rand=lambda: 0.0) == 30.0
    assert retry_delay(3, POLICY, None, rand=lambda: 1.0) == 2.0
