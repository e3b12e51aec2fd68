"""Settings: the Team profile kind — saved as libpq settings under its own key (an older Payout Desk keeps it),
never a password; old files still load; the team passwords' keychain service beside the tokens'."""

from __future__ import annotations

import json
import logging
from dataclasses import fields
from pathlib import Path

import pytest

from payout_desk.services.secrets import TEAM_SERVICE_NAME, TokenStore
from payout_desk.services.settings import AppSettings, Profile, load_settings, save_settings
from payout_desk.services.team_connection import TeamConnection
from tests.fixtures.keyring_memory import MemoryKeyring

TEAM = TeamConnection(host="db.example.com", port=5432, dbname="payouts", user="ada", sslrootcert="/etc/ssl/ca.pem")


def test_a_team_profile_round_trips_as_libpq_settings(tmp_path: Path) -> None:
    settings = AppSettings()
    settings.profiles.append(Profile("Finance team", "team", "https://ignored.example", team=TEAM))
    settings.active_profile = "Finance team"
    path = tmp_path / "settings.json"
    save_settings(settings, path)
    data = json.loads(path.read_text())
    assert all(p["kind"] != "team" for p in data["profiles"])  # an older version reads these only
    (saved,) = data["team_profiles"]
    assert saved["team"] == {
        "host": "db.example.com", "port": 5432, "dbname": "payouts", "user": "ada", "sslmode": "verify-full",
        "sslrootcert": "/etc/ssl/ca.pem", "application_name": "Payout Desk", "connect_timeout": 10,
    }  # fmt: skip
    assert saved["base_url"] == ""
    assert "password" not in path.read_text()
    loaded = load_settings(path)
    assert loaded == settings
    profile = loaded.profile()
    assert (profile.kind, profile.team, profile.is_configured, profile.environment) == ("team", TEAM, True, "live")


def test_team_profiles_are_under_a_key_an_older_version_keeps_verbatim() -> None:
    settings = AppSettings()
    settings.profiles.append(Profile("Finance team", "team", "", team=TEAM))
    data = settings.to_json()
    # an older Payout Desk skips a profile of an unknown kind (and loses it on saving), but keeps unknown keys
    # in `extra` and writes them back: so the team profiles live under a key that is no setting of its own
    assert "team_profiles" not in {f.name for f in fields(AppSettings)}
    assert [p["kind"] for p in data["profiles"]] == ["embedded", "sandbox"]
    assert [p["name"] for p in data["team_profiles"]] == ["Finance team"]
    assert AppSettings.from_json(data).extra == {}  # read back as profiles, not as an unknown key


def test_old_files_still_load(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 2, "active_profile": "Sandbox", "profiles": [
        {"name": "Sandbox", "kind": "sandbox", "base_url": "http://127.0.0.1:8765"}]}))  # fmt: skip
    loaded = load_settings(path)
    assert [p.kind for p in loaded.profiles] == ["embedded", "sandbox"]
    assert all(p.team is None for p in loaded.profiles)
    assert "team_profiles" not in loaded.to_json()


def test_unusable_team_profiles_are_skipped_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    loaded = AppSettings.from_json({"team_profiles": [
        {"name": "Pw", "kind": "team", "team": {"host": "db", "dbname": "p", "user": "a", "password": "hunter2"}},
        {"name": "Odd", "kind": "team", "team": {"host": "db", "service": "x"}},
        {"name": "Sandbox", "kind": "team", "team": {"dbname": "p", "user": "a"}},
        {"name": "Not team", "kind": "live", "base_url": "https://api.example"},
        {"name": "Good", "kind": "team", "team": {"host": "/run/postgresql", "dbname": "p", "user": "a"}},
    ]})  # fmt: skip
    assert [p.name for p in loaded.profiles if p.kind == "team"] == ["Good"]
    assert "Not team" not in [p.name for p in loaded.profiles]
    assert "hunter2" not in caplog.text
    assert "passwords live in the keychain" in caplog.text
    assert AppSettings.from_json({"team_profiles": "nope"}).profiles == AppSettings().profiles


def test_only_a_team_profile_has_a_team_connection() -> None:
    assert Profile("Live", "live", "https://api.example", team=TEAM).team is None
    assert Profile("T", "team", "").team == TeamConnection()
    assert not Profile("T", "team", "").is_configured  # no database or login yet


def test_team_passwords_have_their_own_keychain_service(test_keyring: MemoryKeyring) -> None:
    tokens = TokenStore()
    passwords = tokens.for_service(TEAM_SERVICE_NAME)
    assert tokens.for_service(TEAM_SERVICE_NAME) is passwords
    assert tokens.for_service("payout-desk") is tokens
    passwords.set("Finance team", "pw-1")
    assert tokens.get("Finance team") is None  # a provider profile of that name is another entry
    assert test_keyring.get_password(TEAM_SERVICE_NAME, "Finance team") == "pw-1"
    passwords.delete("Finance team")
    assert passwords.get("Finance team") is None
