"""Settings: declared once with defaults, JSON round-trip, atomic 0600 writes, never a token."""

from __future__ import annotations

import json
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from payout_desk.services.poll import PollPolicy
from payout_desk.services.settings import AppSettings, Profile, load_settings, save_settings


def test_defaults() -> None:
    settings = AppSettings()
    assert [(p.name, p.kind) for p in settings.profiles] == [
        ("Built-in sandbox", "embedded"),
        ("Sandbox", "sandbox"),
    ]  # no empty Live profile by default: Settings' "Add Live profile" makes one when it is needed
    assert settings.active_profile == "Built-in sandbox"  # every start without flags works
    assert settings.profile().is_configured
    assert settings.profile("Sandbox").base_url.startswith("http://127.0.0.1")
    assert settings.retype_threshold("EUR") == Decimal("10000")
    assert settings.retype_threshold("JPY") == Decimal("1500000")  # about the same money, not the same number
    for code in ("BHD", "KWD", "JOD", "OMR"):
        assert Decimal(0) < settings.retype_threshold(code) < Decimal("10000")
    assert settings.retype_threshold("PEN") == 0  # no threshold: always asks
    assert settings.recent_currencies == []
    assert settings.poll_policy() == PollPolicy()
    assert settings.timeouts().deadline == 30.0


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.json") == AppSettings()


def test_round_trip_atomic_and_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "settings.json"
    settings = AppSettings()
    settings.profiles.append(Profile("Live EU", "live", "https://api.provider.example/"))
    settings.active_profile = "Live EU"
    settings.retype_thresholds["EUR"] = Decimal("2500.50")
    del settings.retype_thresholds["USD"]
    for code in ["EUR", "USD", "JPY"]:
        settings.remember_currency(code)
    settings.poll_max_requests_per_second = 3.0
    settings.extra["ui.window_geometry"] = "abc"
    save_settings(settings, path)
    loaded = load_settings(path)
    assert loaded == settings
    assert loaded.profile().base_url == "https://api.provider.example"
    assert loaded.retype_threshold("EUR") == Decimal("2500.50")
    assert loaded.retype_threshold("USD") == 0  # removed: always asks
    assert loaded.recent_currencies == ["JPY", "USD", "EUR"]
    assert loaded.extra == {"ui.window_geometry": "abc"}
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["retype_thresholds"]["EUR"] == "2500.50"  # a decimal string, never a float
    assert raw["version"] == 2
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp file left
    save_settings(loaded, path)  # overwriting works (os.replace)
    assert load_settings(path) == settings


def test_recent_currencies_most_recent_first_max_8() -> None:
    settings = AppSettings()
    for code in ["AAA", "EUR", "USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "eur", "nope", "EU"]:
        settings.remember_currency(code)
    assert settings.recent_currencies == ["EUR", "PLN", "DKK", "NOK", "SEK", "JPY", "CHF", "GBP"]


def test_unusable_values_fall_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "profiles": [
                    {"name": "Live", "kind": "live", "base_url": "http://insecure.example"},
                    {"name": "Mine", "kind": "sandbox", "base_url": "http://localhost:9000"},
                    {"name": "Mine", "kind": "sandbox", "base_url": "http://localhost:9001"},
                    "junk",
                    {"kind": "live"},
                ],
                "active_profile": "Live",
                "retype_thresholds": {"EUR": 12.5, "USD": "-3", "usd": "5", "GBP": "7000"},
                "recent_currencies": ["EUR", 5, "EUR", "usd"],
                "poll_max_concurrent": -1,
                "poll_initial_interval": "fast",
                "from_the_future": {"x": 1},
            }
        ),
        encoding="utf-8",
    )
    loaded = load_settings(path)
    assert [(p.name, p.base_url) for p in loaded.profiles] == [
        ("Built-in sandbox", ""),
        ("Mine", "http://localhost:9000"),
    ]
    assert loaded.active_profile == "Built-in sandbox"  # "Live" was dropped: the safe default, never a guess
    assert loaded.retype_thresholds == {"GBP": Decimal("7000")}  # a float is not accepted for money
    assert loaded.retype_threshold("EUR") == 0  # so EUR always asks: never a guess
    assert loaded.recent_currencies == ["EUR"]
    assert loaded.poll_max_concurrent == 4
    assert loaded.poll_initial_interval == 1.0
    assert loaded.extra == {"from_the_future": {"x": 1}}


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", "null"])
def test_corrupt_file_gives_defaults(tmp_path: Path, text: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(text, encoding="utf-8")
    assert load_settings(path) == AppSettings()


def test_live_profile_must_be_https() -> None:
    with pytest.raises(ValueError):
        Profile("Live", "live", "http://127.0.0.1:8765")
    with pytest.raises(ValueError):
        Profile("Sandbox", "sandbox", "http://sandbox.example")
    with pytest.raises(ValueError):
        Profile("", "sandbox", "http://127.0.0.1")
    assert not Profile("Live", "live", "").is_configured


def test_settings_never_hold_a_token(tmp_path: Path) -> None:
    token = "tk_live_fake-token-for-settings"
    path = tmp_path / "settings.json"
    settings = AppSettings()
    save_settings(settings, path)
    assert token not in path.read_text(encoding="utf-8")
    assert "token" not in path.read_text(encoding="utf-8").lower()
    assert "tk_" not in repr(settings)
    assert "token" not in repr(settings.profile()).lower()
    settings.extra["oops"] = token  # someone pastes a token in the wrong place
    with pytest.raises(ValueError) as info:
        save_settings(settings, path)
    assert token not in str(info.value)
    assert token not in path.read_text(encoding="utf-8")  # the old file is untouched
    with pytest.raises(ValueError):
        save_settings(AppSettings(profiles=[Profile("tk_test_abc123", "sandbox", "")]), path)


def test_version_1_default_profile_goes_back_to_the_built_in_sandbox(tmp_path: Path) -> None:
    """Version 1 saved its default "Sandbox" (127.0.0.1:8765) after the first payout, so every
    later start without flags tried that port and failed; such a file now starts the built-in one."""
    path = tmp_path / "settings.json"
    v1 = {
        "version": 1,
        "active_profile": "Sandbox",
        "profiles": [
            {"name": "Sandbox", "kind": "sandbox", "base_url": "http://127.0.0.1:8765"},
            {"name": "Live", "kind": "live", "base_url": ""},
        ],
        "recent_currencies": ["EUR"],
    }
    path.write_text(json.dumps(v1), encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.active_profile == "Built-in sandbox"
    assert loaded.profile().kind == "embedded"
    assert [p.name for p in loaded.profiles] == ["Built-in sandbox", "Sandbox", "Live"]
    # a profile a person chose and saved with version 2 stays chosen
    loaded.active_profile = "Sandbox"
    save_settings(loaded, path)
    assert load_settings(path).active_profile == "Sandbox"


def test_a_profile_keeps_its_key_retention(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = AppSettings()
    settings.profiles.append(Profile("Acme Live", "live", "https://api.provider.example", 12))
    save_settings(settings, path)
    loaded = load_settings(path)
    assert loaded.profile("Acme Live").retention_hours == 12.0
    assert loaded.profile("Sandbox").retention_hours == 24.0  # the SPEC's "at least 24 hours"
    with pytest.raises(ValueError, match="retention"):
        Profile("Bad", "live", "https://api.provider.example", 0)


def test_a_retention_longer_than_the_provider_promises_is_cut_to_24_hours(tmp_path: Path) -> None:
    """Keys kept past what the SPEC promises ("at least 24 hours") could be forgotten by the provider:
    a resend with a forgotten key pays twice. A longer setting (typed, or in an older file) is 24 h."""
    assert Profile("Acme Live", "live", "https://api.provider.example", 48).retention_hours == 24.0
    path = tmp_path / "settings.json"
    settings = AppSettings()
    settings.profiles.append(Profile("Acme Live", "live", "https://api.provider.example", 24))
    data = settings.to_json()
    for profile in data["profiles"]:
        if profile["name"] == "Acme Live":
            profile["retention_hours"] = 8760  # a year, as the field once allowed
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_settings(path).profile("Acme Live").retention_hours == 24.0


def test_an_older_single_threshold_is_never_made_less_strict(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "confirm_retype_threshold": "5000"}), encoding="utf-8")
    loaded = load_settings(path)
    assert loaded.retype_threshold("EUR") == Decimal("5000")  # stricter than the new default: kept
    assert loaded.retype_threshold("JPY") == Decimal("5000")  # as the old single number asked
    assert loaded.retype_threshold("BHD") == Decimal("4000")  # the new default is stricter still
    assert "confirm_retype_threshold" not in loaded.extra
    path.write_text(json.dumps({"version": 2, "confirm_retype_threshold": "10000"}), encoding="utf-8")
    assert load_settings(path).retype_thresholds == AppSettings().retype_thresholds
