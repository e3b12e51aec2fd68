"""The benchmark harness's pure parts: statistics, targets, the table and the JSON (no Qt, no timing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.harness import Figure, format_table, max_in_window, median, percentile, results_payload, write_json


def test_median_odd_even_and_unsorted() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([7.0]) == 7.0
    with pytest.raises(ValueError):
        median([])


def test_percentile_interpolates_like_numpy_linear() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0) == 1.0
    assert percentile(values, 100) == 100.0
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([5.0], 99) == 5.0
    with pytest.raises(ValueError):
        percentile([], 50)
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_max_in_window_counts_any_one_second_window() -> None:
    assert max_in_window([]) == 0
    assert max_in_window([0.0, 0.2, 0.4, 0.6, 0.8, 1.0]) == 5  # [0, 1) holds five; 1.0 starts the next
    assert max_in_window([0.0, 0.5, 0.99, 1.2, 1.3, 1.4]) == 5  # [0.5, 1.5)
    assert max_in_window([3.0, 1.0, 2.0]) == 1  # unsorted input


def test_figure_absolute_and_ratio_targets() -> None:
    fast = Figure("history", "search", 80.0, "ms", runs=5, target_max=100.0)
    slow = Figure("history", "search", 120.0, "ms", runs=5, target_max=100.0)
    assert fast.ok is True
    assert slow.ok is False
    assert fast.target == "≤ 100 ms"
    ratio = Figure("startup", "exposed", 900.0, "ms", baseline=400.0, baseline_name="bare", target_ratio=2.0)
    assert ratio.ratio == pytest.approx(2.25)
    assert ratio.ok is False
    assert ratio.target == "≤ 2× bare"
    info = Figure("polling", "mean rate", 4.0, "req/s")
    assert info.ok is None
    assert info.target == ""
    missing = Figure("polling", "lag", None, "ms", target_max=16.0)
    assert missing.ok is False


def test_table_lists_every_figure_with_verdict_and_notes() -> None:
    figures = [
        Figure("history", "search", 82.5, "ms", runs=5, target_max=100.0),
        Figure(
            "startup",
            "exposed",
            900.0,
            "ms",
            runs=5,
            baseline=400.0,
            baseline_name="bare",
            target_ratio=2.0,
            note="slow import",
        ),
        Figure("polling", "lag p99", None, "ms", target_max=16.0),
    ]
    table = format_table(figures)
    lines = table.splitlines()
    assert lines[0].startswith("| benchmark")
    assert "✅ met" in lines[2]
    assert "82.5 ms" in lines[2]
    assert "❌ missed" in lines[3]
    assert "2.25×" in lines[3]
    assert "400 (bare)" in lines[3]
    assert "not measured" in lines[4]
    assert "- startup / exposed: slow import" in table


def test_payload_round_trips_through_json(tmp_path: Path) -> None:
    figures = [Figure("commit", "median", 3.5, "ms", runs=500, samples=[3.0, 4.0])]
    payload = results_payload(figures, {"cpu": "test"}, {"quick": True})
    target = tmp_path / "results" / "latest.json"
    write_json(target, payload)
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["machine"] == {"cpu": "test"}
    assert data["figures"][0]["value"] == 3.5
    assert data["figures"][0]["ok"] is None
    assert data["table"] == format_table(figures)


def test_package_size_counts_files_not_links_and_says_when_there_is_no_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import package_size
    from benchmarks.harness import Options

    monkeypatch.setenv("PAYOUT_DESK_DIST", str(tmp_path))
    opts = Options(quick=True, rows=10, runs=1, verbose=False)
    assert [f.value for f in package_size.run(opts)] == [None, None]
    folder = tmp_path / "payout-desk" / "_internal"
    folder.mkdir(parents=True)
    (folder / "lib.so").write_bytes(b"x" * 3000)
    (folder / "link.so").symlink_to(folder / "lib.so")
    (tmp_path / "payout-desk-0.1.0-linux-x86_64.tar.xz").write_bytes(b"y" * 1000)
    folder_figure, download = package_size.run(opts)
    assert folder_figure.value == 3000 / 1e6
    assert download.value == 1000 / 1e6
