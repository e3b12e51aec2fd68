"""Which provider connection a payout belongs to: its identity, fixed at confirmation. Pure.

A payout is resent, polled and recovered only by a desk whose active connection has the same
identity, so a payout confirmed on one provider (or one merchant account) never goes to another.

The identity is ``environment | profile | endpoint | account``:

* ``environment``: ``sandbox`` or ``live``.
* ``profile``: the profile's name (it is also the keychain entry of the profile's token, so it is
  the profile's id); renaming a profile therefore needs the audited re-bind.
* ``endpoint``: ``embedded`` for the built-in sandbox (never its port, which changes when taken),
  otherwise the normalised base URL.
* ``account``: ``merchant:<id>`` for a sandbox whose merchant is known (a token is minted at each
  start for the same merchant), otherwise ``token:<fingerprint>``: an HMAC-SHA256 of the token
  under a key kept in the journal — never the token.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

from payout_desk.domain.status import AUTOMATIC_STATUSES

__all__ = ["EMBEDDED_ENDPOINT", "ConnectionIdentity", "describe_key", "token_fingerprint", "waiting_note"]

EMBEDDED_ENDPOINT: Final = "embedded"
_SEPARATOR: Final = "|"


def token_fingerprint(token: str, key: bytes) -> str:
    """A keyed hash of ``token`` (HMAC-SHA256, first 32 hex digits): equal tokens give equal
    fingerprints under one key; the token cannot be read back from it."""
    if not key:
        raise ValueError("a fingerprint needs a key")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class ConnectionIdentity:
    """The identity of one provider connection (see the module notes)."""

    environment: str
    profile: str
    endpoint: str
    account: str

    def __post_init__(self) -> None:
        if self.environment not in ("sandbox", "live"):
            raise ValueError(f"environment must be 'sandbox' or 'live', not {self.environment!r}")
        for name in ("endpoint", "account"):
            if _SEPARATOR in getattr(self, name):
                raise ValueError(f"the connection's {name} cannot contain {_SEPARATOR!r}")

    @property
    def key(self) -> str:
        """The text stored with every payout (``payouts.connection_id``)."""
        # The profile (free text, may contain "|") goes last, so parsing splits at most 3 times.
        return _SEPARATOR.join((self.environment, self.endpoint, self.account, self.profile))

    @classmethod
    def parse(cls, key: str) -> ConnectionIdentity:
        """The identity stored as ``key``; ValueError if it is not one."""
        parts = key.split(_SEPARATOR, 3)
        if len(parts) != 4:
            raise ValueError(f"not a connection identity: {key!r}")
        environment, endpoint, account, profile = parts
        return cls(environment, profile, endpoint, account)

    def same_place(self, other: ConnectionIdentity) -> bool:
        """Same environment, profile and endpoint; only the account (token) may differ."""
        return (self.environment, self.profile, self.endpoint) == (other.environment, other.profile, other.endpoint)

    def describe(self) -> str:
        """For people: "profile “Live” (live, https://api.example.com)"."""
        where = "built-in sandbox" if self.endpoint == EMBEDDED_ENDPOINT else self.endpoint
        return f"profile “{self.profile}” ({self.environment}, {where})"


def describe_key(key: str | None) -> str:
    """``ConnectionIdentity.describe`` for a stored key; a legacy payout (no key) says so."""
    if not key:
        return "a connection of an earlier version (not recorded)"
    try:
        return ConnectionIdentity.parse(key).describe()
    except ValueError:
        return key


def waiting_note(connection_id: str | None, profile: str, status: str, active: str | None) -> str | None:
    """ "waiting for profile X" for an open payout of another connection than ``active``; None
    when it is the active connection's, final, or nothing is active."""
    if active is None or connection_id == active or status not in AUTOMATIC_STATUSES:
        return None
    name = profile
    if connection_id:
        with contextlib.suppress(ValueError):
            name = ConnectionIdentity.parse(connection_id).profile
    return f"waiting for profile {name}"
