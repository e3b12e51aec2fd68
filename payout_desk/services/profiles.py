"""Connection profiles: the built-in sandbox, a sandbox or live provider, or a team database (kind ``team``).
Saved by :mod:`payout_desk.services.settings`, which re-exports everything here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from payout_desk.provider.urls import normalize_base_url
from payout_desk.services.team_connection import TeamConnection

__all__ = ["BUILTIN_PROFILE", "MAX_RETENTION_HOURS", "Profile", "ProfileKind", "default_profiles"]

ProfileKind = Literal["embedded", "sandbox", "live", "team"]
_KINDS: Final = ("embedded", "sandbox", "live", "team")
#: The default profile: the sandbox built into the app (started on any free port at each start).
BUILTIN_PROFILE = "Built-in sandbox"
#: SPEC: the provider keeps Idempotency-Keys "at least 24 hours"; a longer setting is cut to this.
MAX_RETENTION_HOURS: Final = 24.0


@dataclass
class Profile:
    """A provider connection: a name (also the keychain user name for its token), its kind and
    base URL. A live profile must use https; a sandbox one may use http on loopback. An empty
    base URL means "not configured yet". The ``embedded`` kind is the built-in sandbox: no URL
    (its port is picked at each start), a token minted at each start. There is deliberately no
    token field. The ``team`` kind is a team database instead of a provider: ``team`` holds its libpq
    settings (no base URL, no token, no password)."""

    name: str
    kind: ProfileKind
    base_url: str
    #: How long the provider keeps Idempotency-Keys (SPEC: at least 24 h). A desk on a sandbox
    #: reads the sandbox's own value instead; see ``domain.retention``.
    retention_hours: float = 24.0
    #: A Team profile's database connection (None for every other kind).
    team: TeamConnection | None = None

    def __post_init__(self) -> None:
        if isinstance(self.retention_hours, bool) or not float(self.retention_hours) > 0:
            raise ValueError("the key retention must be a number of hours above 0")
        # Never longer than the provider promises: a key it may have forgotten could pay twice.
        self.retention_hours = min(float(self.retention_hours), MAX_RETENTION_HOURS)
        self.name = self.name.strip()
        if not self.name:
            raise ValueError("a profile needs a name")
        if self.kind not in _KINDS:
            raise ValueError(f"unknown profile kind {self.kind!r}")
        if self.kind == "team":
            self.base_url = ""
            if self.team is None:
                self.team = TeamConnection()
            if not isinstance(self.team, TeamConnection):
                raise TypeError("a Team profile's connection must be a TeamConnection")
            return
        self.team = None
        if self.kind == "embedded":
            self.base_url = ""
        elif self.base_url.strip():
            self.base_url = normalize_base_url(self.base_url)  # InsecureBaseUrlError (ValueError)
            if self.kind == "live" and not self.base_url.startswith("https://"):
                raise ValueError("a live profile must use an https:// address")
        else:
            self.base_url = ""

    @property
    def is_configured(self) -> bool:
        """True when the profile can connect: the built-in sandbox, a base URL, or a team database and login."""
        if self.team is not None:
            return bool(self.team.dbname and self.team.user)
        return self.kind == "embedded" or bool(self.base_url)

    @property
    def environment(self) -> str:
        """``live`` or ``sandbox`` (the built-in one is a sandbox). A team's provider is named in its database,
        unknown here: a Team profile counts as live (real money) until the team desk reads it."""
        return "live" if self.kind in ("live", "team") else "sandbox"

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to the settings file."""
        data: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "base_url": self.base_url,
            "retention_hours": self.retention_hours,
        }
        if self.team is not None:
            data["team"] = self.team.to_json()
        return data


def default_profiles() -> list[Profile]:
    """The built-in sandbox (the default) and a Sandbox profile on the local emulator's default port.
    No empty Live profile: Settings' "Add Live profile" makes one when it is needed."""
    return [
        Profile(BUILTIN_PROFILE, "embedded", ""),
        Profile("Sandbox", "sandbox", "http://127.0.0.1:8765"),
    ]
