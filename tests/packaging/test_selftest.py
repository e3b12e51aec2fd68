"""``payout-desk --self-test`` (payout_desk.selftest), run here against the real embedded sandbox."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from payout_desk import selftest
from payout_desk.sandbox.client import AsyncSandboxControl


def test_self_test_passes_and_cleans_up(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    out = io.StringIO()
    assert selftest.run_self_test(data_dir, out=out) == 0
    text = out.getvalue()
    for step in range(1, selftest.TOTAL_STEPS + 1):
        assert f"self-test [{step}/{selftest.TOTAL_STEPS}]" in text
    assert "self-test PASSED" in text
    assert "reached succeeded" in text
    assert "tk_test_[REDACTED]" in text
    assert list(data_dir.iterdir()) == []  # the temporary journal is gone


def test_self_test_fails_when_the_payout_does_not_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = AsyncSandboxControl.complete

    async def decline(self: AsyncSandboxControl, payment_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return await original(self, payment_id, "failed", "declined_by_recipient")

    monkeypatch.setattr(AsyncSandboxControl, "complete", decline)
    out = io.StringIO()
    assert selftest.run_self_test(tmp_path / "data", out=out) == 1
    assert "self-test FAILED" in out.getvalue()
    assert "'failed', not 'succeeded'" in out.getvalue()
