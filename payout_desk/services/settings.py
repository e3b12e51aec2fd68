"""The app's settings: typed, each declared once with its default, stored as JSON — never a token.

Like electrum's ``simple_config``, every setting is declared in one place (the fields of
:class:`AppSettings`, with their types and defaults); reading a file fills in defaults for what
is missing or unusable (logged, never fatal), and keys this version does not know are kept in
``extra`` and written back, so a newer or older Payout Desk loses nothing.

The file lives where the caller says (``app.py`` picks the platformdirs config dir). It is
written atomically (a 0600 temporary file in the same directory, fsync, ``os.replace``) and
kept owner-only (0600; the directory 0700 when created here). Tokens live in the OS keychain
(:mod:`payout_desk.services.secrets`): :func:`save_settings` refuses to write anything that
looks like one.

A *Team* profile (kind ``team``) holds the libpq settings of a team database
(:class:`~payout_desk.services.team_connection.TeamConnection`), never a password (that is in the keychain).
Team profiles are written under their own key ``team_profiles``, so an older Payout Desk, which does not know
them, keeps them verbatim (its unknown keys are kept) instead of dropping them as unusable profiles.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from payout_desk.domain.thresholds import default_retype_thresholds, retype_threshold
from payout_desk.provider.client import Timeouts
from payout_desk.services.poll import PollPolicy
from payout_desk.services.profiles import BUILTIN_PROFILE, MAX_RETENTION_HOURS, Profile, ProfileKind, default_profiles
from payout_desk.services.team_connection import TeamConnection

__all__ = [
    "BUILTIN_PROFILE",
    "MAX_RECENT_CURRENCIES",
    "MAX_RETENTION_HOURS",
    "SETTINGS_VERSION",
    "AppSettings",
    "Profile",
    "ProfileKind",
    "default_profiles",
    "load_settings",
    "save_settings",
]

log = logging.getLogger("payout_desk.services.settings")

SETTINGS_VERSION = 2
MAX_RECENT_CURRENCIES = 8
#: What version 1 wrote as its default profile (never chosen by anyone: see ``from_json``).
_V1_DEFAULT = ("Sandbox", "http://127.0.0.1:8765")
_TOKEN_SHAPE = re.compile(r"tk_(?:test|live)_[A-Za-z0-9]|bearer\s+\S", re.IGNORECASE)
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


@dataclass
class AppSettings:
    """Every setting, typed, with its default. Mutate, then :func:`save_settings`."""

    profiles: list[Profile] = field(default_factory=default_profiles)
    active_profile: str = BUILTIN_PROFILE
    #: Per currency: payouts at or above the amount are confirmed by retyping it; a currency
    #: missing here always asks (``domain.thresholds``).
    retype_thresholds: dict[str, Decimal] = field(default_factory=default_retype_thresholds)
    #: Most recent first, at most MAX_RECENT_CURRENCIES.
    recent_currencies: list[str] = field(default_factory=list)
    poll_initial_interval: float = 1.0
    poll_max_interval: float = 60.0
    poll_max_concurrent: int = 4
    poll_max_requests_per_second: float = 5.0
    resend_initial_interval: float = 5.0
    resend_max_interval: float = 300.0
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    request_deadline: float = 30.0
    #: Keys this version does not know, kept verbatim so saving loses nothing.
    extra: dict[str, Any] = field(default_factory=dict)

    def profile(self, name: str | None = None) -> Profile:
        """The named profile (default: the active one); KeyError if there is none."""
        wanted = self.active_profile if name is None else name
        for profile in self.profiles:
            if profile.name == wanted:
                return profile
        raise KeyError(wanted)

    def remember_currency(self, code: str) -> None:
        """Move ``code`` to the front of the recent currencies (max MAX_RECENT_CURRENCIES)."""
        code = code.strip().upper()
        if not _CURRENCY_CODE.match(code):
            return
        rest = [c for c in self.recent_currencies if c != code]
        self.recent_currencies = [code, *rest][:MAX_RECENT_CURRENCIES]

    def retype_threshold(self, code: str) -> Decimal:
        """The amount from which ``code`` payouts are typed twice (0: always)."""
        return retype_threshold(self.retype_thresholds, code)

    def poll_policy(self) -> PollPolicy:
        """The poller's numbers as a :class:`PollPolicy`."""
        return PollPolicy(
            initial_interval=self.poll_initial_interval,
            max_interval=self.poll_max_interval,
            max_concurrent=self.poll_max_concurrent,
            max_requests_per_second=self.poll_max_requests_per_second,
            resend_initial_interval=self.resend_initial_interval,
            resend_max_interval=self.resend_max_interval,
        )

    def timeouts(self) -> Timeouts:
        """The client's timeouts."""
        return Timeouts(connect=self.connect_timeout, read=self.read_timeout, deadline=self.request_deadline)

    @classmethod
    def load(cls, path: Path) -> AppSettings:
        """:func:`load_settings`."""
        return load_settings(path)

    def save(self, path: Path) -> None:
        """:func:`save_settings`."""
        save_settings(self, path)

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to the file (unknown keys from ``extra`` included)."""
        data: dict[str, Any] = dict(self.extra)
        data.pop("team_profiles", None)
        data["version"] = SETTINGS_VERSION
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if f.name == "profiles":
                teams = [p.to_json() for p in value if p.kind == "team"]
                if teams:
                    data["team_profiles"] = teams
                value = [p.to_json() for p in value if p.kind != "team"]
            elif isinstance(value, Decimal):
                value = str(value)
            elif isinstance(value, list):
                value = list(value)
            elif isinstance(value, dict):
                value = {k: str(v) for k, v in sorted(value.items())}
            data[f.name] = value
        return data

    @classmethod
    def from_json(cls, data: object) -> AppSettings:
        """Settings from a decoded JSON value; a missing or unusable value keeps its default."""
        settings = cls()
        if not isinstance(data, dict):
            log.warning("settings: not a JSON object; using defaults")
            return settings
        known = {f.name for f in fields(cls)} - {"extra"}
        settings.extra = {k: v for k, v in data.items() if k not in known and k != "version"}
        for name in known:
            if name not in data:
                continue
            try:
                setattr(settings, name, _convert(name, data[name], getattr(settings, name)))
            except (TypeError, ValueError, InvalidOperation) as exc:
                log.warning("settings: ignoring an unusable %s (%s); using the default", name, exc)
        if not settings.profiles:
            settings.profiles = default_profiles()
        _add_team_profiles(settings, settings.extra.pop("team_profiles", None))
        _upgrade(settings, data.get("version"))
        _upgrade_threshold(settings, data)
        if all(p.name != settings.active_profile for p in settings.profiles):
            settings.active_profile = settings.profiles[0].name
        return settings


def _add_team_profiles(settings: AppSettings, value: object) -> None:
    """Append the Team profiles read from ``team_profiles`` (an unusable one is skipped, logged)."""
    if value is None:
        return
    try:
        found = _convert("profiles", value, [])
    except TypeError as exc:
        log.warning("settings: ignoring unusable team profiles (%s)", exc)
        return
    assert isinstance(found, list)
    for profile in found:
        if profile.kind != "team":
            log.warning("settings: skipping a %s profile among the team profiles", profile.kind)
        elif any(p.name == profile.name for p in settings.profiles):
            log.warning("settings: skipping a second profile named %r", profile.name)
        else:
            settings.profiles.append(profile)


def _upgrade(settings: AppSettings, version: object) -> None:
    """Every file gets a built-in sandbox profile. A version-1 file whose active profile is still
    v1's untouched default ("Sandbox" at 127.0.0.1:8765) was written by that version on its own
    (after the first payout) and made every later start without flags fail to connect: it goes
    back to the built-in sandbox."""
    if not any(p.kind == "embedded" for p in settings.profiles):
        name = BUILTIN_PROFILE
        while any(p.name == name for p in settings.profiles):
            name += " (app)"
        settings.profiles.insert(0, Profile(name, "embedded", ""))
    if isinstance(version, int) and version >= 2:
        return
    active = next((p for p in settings.profiles if p.name == settings.active_profile), None)
    if active is not None and (active.name, active.base_url) == _V1_DEFAULT:
        builtin = next(p for p in settings.profiles if p.kind == "embedded")
        log.info("settings: version 1's default profile was active; using the %s", builtin.name)
        settings.active_profile = builtin.name


_OLD_DEFAULT_THRESHOLD = Decimal("10000")


def _upgrade_threshold(settings: AppSettings, data: dict[str, Any]) -> None:
    """A file from before per-currency thresholds has one number for every currency. Each currency's
    default is kept unless that number was stricter (lower): an upgrade never asks less often. The old
    default (10000, untouched) gives way to the per-currency defaults: that was the issue's complaint."""
    old = data.get("confirm_retype_threshold")
    if "retype_thresholds" in data or not isinstance(old, str | int) or isinstance(old, bool):
        return
    try:
        number = Decimal(str(old))
    except InvalidOperation:
        return
    settings.extra.pop("confirm_retype_threshold", None)
    if number.is_finite() and number > 0 and number != _OLD_DEFAULT_THRESHOLD:
        settings.retype_thresholds = {code: min(v, number) for code, v in settings.retype_thresholds.items()}


def _convert(name: str, value: object, default: object) -> object:
    """``value`` converted to the type of the setting ``name`` (whose default is ``default``)."""
    if name == "profiles":
        if not isinstance(value, list):
            raise TypeError("profiles must be a list")
        profiles: list[Profile] = []
        for item in value:
            try:
                if not isinstance(item, dict):
                    raise TypeError("a profile must be an object")
                hours = item.get("retention_hours", 24.0)
                if isinstance(hours, bool) or not isinstance(hours, int | float):
                    raise TypeError("retention_hours must be a number")
                team = TeamConnection.from_json(item.get("team", {})) if item["kind"] == "team" else None
                profile = Profile(str(item["name"]), item["kind"], str(item.get("base_url", "")), float(hours), team)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("settings: skipping an unusable profile (%s)", exc)
                continue
            if any(p.name == profile.name for p in profiles):
                log.warning("settings: skipping a second profile named %r", profile.name)
                continue
            profiles.append(profile)
        return profiles
    if name == "recent_currencies":
        if not isinstance(value, list):
            raise TypeError("recent_currencies must be a list")
        codes: list[str] = []
        for code in value:
            if isinstance(code, str) and _CURRENCY_CODE.match(code) and code not in codes:
                codes.append(code)
        return codes[:MAX_RECENT_CURRENCIES]
    if name == "retype_thresholds":
        if not isinstance(value, dict):
            raise TypeError("retype_thresholds must be an object of currency code to amount")
        thresholds: dict[str, Decimal] = {}
        for code, amount in value.items():
            try:
                number = Decimal(amount) if isinstance(amount, str) else None
            except InvalidOperation:
                number = None
            usable = number is not None and number.is_finite() and number > 0
            if not (isinstance(code, str) and _CURRENCY_CODE.match(code) and usable) or number is None:
                log.warning("settings: skipping an unusable retype threshold %r: %r", code, amount)
                continue
            thresholds[code] = number
        return thresholds
    if isinstance(default, Decimal):
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise TypeError(f"{name} must be a decimal string")
        number = Decimal(str(value))
        if not number.is_finite() or number < 0:
            raise ValueError(f"{name} must be a non-negative number")
        return number
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive whole number")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
            raise ValueError(f"{name} must be a positive number")
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be text")
        return value
    raise TypeError(f"no converter for {name}")


def load_settings(path: Path) -> AppSettings:
    """Read the settings file; defaults when it is missing or unreadable (never raises for that)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return AppSettings()
    except OSError as exc:
        log.warning("settings: cannot read %s (%s); using defaults", path, exc)
        return AppSettings()
    try:
        data = json.loads(text)
    except ValueError as exc:
        log.warning("settings: %s is not valid JSON (%s); using defaults", path, exc)
        return AppSettings()
    return AppSettings.from_json(data)


def save_settings(settings: AppSettings, path: Path) -> None:
    """Write ``settings`` to ``path`` atomically, owner-only (0600).

    Raises ValueError (and writes nothing) if any value looks like an API token.
    """
    text = json.dumps(settings.to_json(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    if _TOKEN_SHAPE.search(text):
        raise ValueError("refusing to write settings that contain something shaped like an API token")
    directory = path.parent
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        if os.name == "posix":
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if os.name == "posix":
        with contextlib.suppress(OSError):
            dir_fd = os.open(directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
