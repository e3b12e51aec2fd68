"""Which provider the active profile talks to, and why not when it cannot: the start-up resolution of
:class:`~payout_desk.app.context.AppContext`, apart from its life cycle.

:func:`resolve_provider` gives ``(base URL, token, Connection, account)`` or raises
:class:`~payout_desk.services.connection.NotConnected` naming what is missing — no token, a token
that must be typed once per start (no usable keychain), a locked keychain, a provider that cannot be
reached — so the window can say so and offer the one action that fixes it. Blocking calls
(keychain, sandbox thread start, files) run off the GUI thread.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from payout_desk.provider.models import token_kind
from payout_desk.services.availability import NotConnected

if TYPE_CHECKING:
    from payout_desk.app.context import AppContext

log = logging.getLogger(__name__)

#: Which sandbox merchant this data dir's payouts belong to (per sandbox; no secrets).
SANDBOX_MERCHANTS_FILE = "sandbox-merchants.json"


@dataclass
class Connection:
    """Which provider the desk talks to, as the banner shows it."""

    environment: str  # "sandbox" or "live"
    profile: str
    base_url: str
    token_kind: str | None = None  # "test", "live" or None (unknown shape)
    embedded: bool = False
    #: ``domain.identity.ConnectionIdentity.key``: what the payouts confirmed here are bound to.
    identity: str = ""
    #: The provider's key retention in seconds (None: unknown, resends go without the key).
    retention: float | None = None
    #: A team desk (``--team``): its database and login for the banner (never the password); None otherwise.
    team: str | None = None

    @property
    def token_mismatch(self) -> bool:
        """The token's kind contradicts the profile (a tk_live_ token on a sandbox, or the reverse)."""
        expected = "live" if self.environment == "live" else "test"
        return self.token_kind is not None and self.token_kind != expected


Resolved = tuple[str, str, Connection, str | None]  # base URL, token, Connection, account


async def resolve_provider(ctx: AppContext) -> Resolved:
    """(base URL, token, connection, account): the account is ``merchant:<id>`` for a sandbox
    whose merchant is known, None when the token's fingerprint must stand for it."""
    opts = ctx.options
    if ctx.follow_options and opts.sandbox_url:
        url = opts.sandbox_url.rstrip("/")
        token, merchant = await _mint_or_unreachable(ctx, url, key=url, profile="Sandbox")
        return url, token, Connection("sandbox", "Sandbox", url, token_kind(token)), merchant
    if ctx.follow_options and opts.sandbox:
        return await start_embedded(ctx, builtin_name(ctx))
    try:
        profile = ctx.settings.profile()
    except KeyError:
        profile = None
    if profile is None or profile.kind == "embedded":
        return await start_embedded(ctx, profile.name if profile is not None else builtin_name(ctx))
    if not profile.is_configured:
        raise NotConnected(
            "no_token",
            f"The profile “{profile.name}” has no provider address yet. Open Settings to add its address and token.",
            profile=profile.name,
        )
    tokens = await ctx.token_store()
    stored = await ctx.off_thread(tokens.get, profile.name)
    if not stored and profile.kind == "live":
        raise missing_token_problem(profile.name, tokens)
    if stored:
        environment = "live" if profile.kind == "live" else "sandbox"
        await _probe(profile.name, profile.base_url, stored)
        return profile.base_url, stored, Connection(environment, profile.name, profile.base_url,
                                                    token_kind(stored)), None  # fmt: skip
    token, merchant = await _mint_or_unreachable(ctx, profile.base_url, key=profile.base_url, profile=profile.name)
    connection = Connection("sandbox", profile.name, profile.base_url, token_kind(token))
    return profile.base_url, token, connection, merchant


def missing_token_problem(profile: str, tokens: Any) -> NotConnected:
    if getattr(tokens, "read_failed", False):
        return NotConnected(
            "keychain_locked",
            f"The system keychain is locked (or could not be read), so the token of “{profile}” cannot be read. "
            "Unlock the keychain, then choose Try again.",
            profile=profile,
        )
    if not tokens.is_persistent:
        return NotConnected(
            "token_needed",
            f"There is no system keychain on this computer, so the token of “{profile}” is asked once per "
            "start and kept in memory only. Enter it to connect.",
            profile=profile,
        )
    return NotConnected(
        "no_token",
        f"The Live profile “{profile}” has no token. Open Settings to add it.",
        profile=profile,
    )


async def _probe(profile: str, base_url: str, token: str) -> None:
    """Is the provider there? (One quick check; creates nothing.)"""
    from payout_desk.provider.models import ConnectionStatus
    from payout_desk.services.connection import run_connection_test
    from payout_desk.services.settings import Profile

    check = await run_connection_test(Profile(profile, "sandbox", base_url), token)  # only its address is read
    if check.status in (ConnectionStatus.UNREACHABLE, ConnectionStatus.TLS_ERROR):
        raise NotConnected(
            "unreachable",
            f"The provider at {base_url} cannot be reached. Check the network; Payout Desk tries "
            "again by itself, or choose Try again.",
            profile=profile,
        )
    # A refused token still connects: the banner warns of a token of the wrong kind and the payout's own
    # record says what the provider answered (the token is fixed in Settings, then resent with its key).


def builtin_name(ctx: AppContext) -> str:
    from payout_desk.services.settings import BUILTIN_PROFILE

    profiles = getattr(ctx.settings, "profiles", [])
    return next((p.name for p in profiles if p.kind == "embedded"), BUILTIN_PROFILE)


async def start_embedded(ctx: AppContext, profile: str) -> Resolved:
    """The built-in sandbox (started once, kept across reconnects) and a fresh test token."""
    from payout_desk.sandbox.embedded import EmbeddedSandbox

    if ctx.sandbox is None:
        sandbox = EmbeddedSandbox(state_path=ctx.paths.sandbox_state)
        ctx.sandbox = sandbox
        await ctx.off_thread(sandbox.start)
    url = str(ctx.sandbox.base_url).rstrip("/")
    token, merchant = await mint(ctx, url, key="embedded")
    return url, token, Connection("sandbox", profile, url, token_kind(token), embedded=True), merchant


async def _mint_or_unreachable(ctx: AppContext, base_url: str, *, key: str, profile: str) -> tuple[str, str | None]:
    import httpx

    try:
        return await mint(ctx, base_url, key=key)
    except (httpx.TransportError, OSError) as exc:
        log.warning("sandbox at %s unreachable: %s", base_url, type(exc).__name__)
        raise NotConnected(
            "unreachable",
            f"The sandbox at {base_url} cannot be reached. Start it, or check the address; "
            "Payout Desk tries again by itself, or choose Try again.",
            profile=profile,
        ) from exc


async def mint(ctx: AppContext, base_url: str, *, key: str) -> tuple[str, str | None]:
    """A fresh test token from the sandbox's control surface, for the same sandbox merchant as
    last time (remembered per sandbox in the data dir), so the payouts in this journal stay
    visible to the new token after a restart. A merchant id is not a secret; a token is never
    written to disk."""
    from payout_desk.sandbox.client import AsyncSandboxControl

    path = ctx.paths.data_dir / SANDBOX_MERCHANTS_FILE
    known = await ctx.off_thread(_read_json, path)
    merchant = known.get(key) if isinstance(known.get(key), str) else None
    record = await AsyncSandboxControl(base_url).mint_token_record(True, merchant_id=merchant)
    minted = record.get("merchantId")
    if minted != merchant:
        known[key] = minted
        await ctx.off_thread(_write_json, path, known)
    return str(record["token"]), (f"merchant:{minted}" if isinstance(minted, str) and minted else None)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from payout_desk.journal.private import write_private

    write_private(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())  # 0600, atomic
