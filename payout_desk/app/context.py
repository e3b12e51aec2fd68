"""Start-up wiring: where the files live, which provider to talk to, and the desk's life cycle.

:class:`AppContext` is built synchronously (cheap: no I/O) and connected asynchronously after
the window is shown: embedded sandbox start, token mint or keychain read, journal open, recover.
Blocking calls (the sandbox's thread start, the keychain, settings file) run in a worker thread
via a small thread pool; HTTP runs on the qasync loop; the journal on its own worker thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

APP_DIR_NAME = "payout-desk"
#: Which sandbox merchant this data dir's payouts belong to (per sandbox; no secrets).
SANDBOX_MERCHANTS_FILE = "sandbox-merchants.json"
#: Blocking start-up calls (sandbox thread start, keychain, settings file) run here, off the GUI thread.
_BLOCKING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="payout-desk-startup")
#: Slow background jobs (the daily backup) run here, apart from start-up's own calls.
_SLOW = ThreadPoolExecutor(max_workers=1, thread_name_prefix="payout-desk-backup")
APP_AUTHOR = "PayoutDesk"


@dataclass(frozen=True)
class LaunchOptions:
    """What the command line asked for."""

    sandbox: bool = False
    sandbox_url: str | None = None
    data_dir: Path | None = None


@dataclass(frozen=True)
class AppPaths:
    """Every file the app writes. ``--data-dir`` puts all of them inside that one directory."""

    data_dir: Path
    config_dir: Path
    log_dir: Path

    @property
    def journal(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def settings(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def sandbox_state(self) -> Path:
        return self.data_dir / "sandbox.sqlite3"

    @classmethod
    def resolve(cls, data_dir: Path | None) -> AppPaths:
        if data_dir is not None:
            root = data_dir.expanduser().resolve()
            return cls(root, root, root / "logs")
        import platformdirs  # only for the user's own folders (not with --data-dir)

        return cls(
            Path(platformdirs.user_data_dir(APP_DIR_NAME, APP_AUTHOR)),
            Path(platformdirs.user_config_dir(APP_DIR_NAME, APP_AUTHOR)),
            Path(platformdirs.user_log_dir(APP_DIR_NAME, APP_AUTHOR)),
        )


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

    @property
    def token_mismatch(self) -> bool:
        """The token's kind contradicts the profile (a tk_live_ token on a sandbox, or the reverse)."""
        expected = "live" if self.environment == "live" else "test"
        return self.token_kind is not None and self.token_kind != expected


def token_kind(token: str) -> str | None:
    if token.startswith("tk_test_"):
        return "test"
    if token.startswith("tk_live_"):
        return "live"
    return None


class NotConfiguredError(Exception):
    """The active profile cannot connect yet (e.g. a Live profile without a token)."""


@dataclass
class AppContext:
    """Owns the sandbox (when embedded), the client, the journal and the desk."""

    options: LaunchOptions
    paths: AppPaths
    settings: Any = None  # services.settings.AppSettings once loaded
    connection: Connection | None = None
    desk: Any = None  # services.desk.PayoutDesk
    sandbox: Any = None  # sandbox.embedded.EmbeddedSandbox
    _journal: Any = None
    _client: Any = None
    _closed: bool = field(default=False, repr=False)

    # -- settings ----------------------------------------------------------------------------
    async def preload(self) -> None:
        """Import the heavy service modules (httpx, uvicorn, starlette …) on a worker thread, so
        that the GUI thread never stalls on them."""
        await _off_thread(_import_services, self.options.sandbox or not self.options.sandbox_url)

    async def load_settings(self) -> Any:
        from payout_desk.services.settings import AppSettings, load_settings

        path = self.paths.settings
        self.settings = await _off_thread(lambda: load_settings(path) if path.exists() else AppSettings())
        return self.settings

    async def save_settings(self) -> None:
        from payout_desk.services.settings import save_settings

        if self.settings is not None:
            await _off_thread(save_settings, self.settings, self.paths.settings)

    # -- connecting --------------------------------------------------------------------------
    async def connect(self, listener: Any = None) -> Connection:
        """Resolve the provider, open the journal, build the desk, subscribe ``listener``, recover."""
        await self.preload()
        if self.settings is None:
            await self.load_settings()
        from payout_desk.journal.async_journal import AsyncJournal
        from payout_desk.journal.backup import daily_backup_if_due
        from payout_desk.journal.identity import checked_journal_path, remember_journal
        from payout_desk.journal.private import private_folder
        from payout_desk.provider.client import PayoutsClient
        from payout_desk.services.desk import PayoutDesk

        # The journal first: its lock refuses a second window on the same data folder before anything
        # else (the embedded sandbox and its state file included) is started.
        await _off_thread(private_folder, self.paths.data_dir)  # 0700 and 0600, also when left looser before
        if self._journal is None:
            # A journal seen before that is now missing, empty or unreadable is refused here, untouched
            # (JournalDamagedError); the window offers a backup or a new journal (ui/frame/journal_recovery.py).
            path = await _off_thread(checked_journal_path, self.paths.journal, self.journal_registry)
            self._journal = await AsyncJournal.open(path)
            await _off_thread(remember_journal, self._journal.path, self.journal_registry)
            self._background(daily_backup_if_due, self._journal.path)
        base_url, token, connection, account = await self._resolve_provider()
        self._client = PayoutsClient(base_url, token, timeouts=self.settings.timeouts())
        identity = await self._identity(connection, account, token)
        connection.identity = identity.key
        connection.retention = await self._retention(connection)
        self.desk = PayoutDesk(
            self._journal,
            self._client,
            environment=connection.environment,
            profile=connection.profile,
            actor=_actor(),
            poll=self.settings.poll_policy(),
            identity=identity,
            retention=connection.retention,
        )
        if listener is not None:
            listener(self.desk)
        await self.desk.start()
        self.connection = connection
        log.info(
            "connected to %s (%s, profile %s, token kind %s)",
            connection.base_url,
            connection.environment,
            connection.profile,
            connection.token_kind,
        )
        return connection

    async def _identity(self, connection: Connection, account: str | None, token: str) -> Any:
        """The connection's identity (``domain.identity``): ``embedded`` or the normalised URL, and
        the sandbox merchant, or else a keyed fingerprint of the token (never the token)."""
        from payout_desk.domain.identity import EMBEDDED_ENDPOINT, ConnectionIdentity, token_fingerprint
        from payout_desk.provider.urls import normalize_base_url

        if account is None:
            account = "token:" + token_fingerprint(token, await self._journal.fingerprint_key())
        endpoint = EMBEDDED_ENDPOINT if connection.embedded else normalize_base_url(connection.base_url)
        return ConnectionIdentity(connection.environment, connection.profile, endpoint, account)

    async def _retention(self, connection: Connection) -> float | None:
        """A sandbox says how long it keeps keys (``GET /_sandbox/``, loopback only): unknown (None)
        when it does not answer, e.g. a remote one. Live: the profile's setting (default 24 h)."""
        if connection.environment == "sandbox":
            from payout_desk.sandbox.client import AsyncSandboxControl

            try:
                value = (await AsyncSandboxControl(connection.base_url).info()).get("idempotencyTtlSeconds")
            except Exception:
                log.warning("the sandbox did not say how long it keeps keys; resends go without the key", exc_info=True)
                return None
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
        try:
            return float(self.settings.profile(connection.profile).retention_hours) * 3600.0
        except KeyError:
            return None

    async def _resolve_provider(self) -> tuple[str, str, Connection, str | None]:
        """(base URL, token, connection, account): the account is ``merchant:<id>`` for a sandbox
        whose merchant is known, None when the token's fingerprint must stand for it."""
        opts = self.options
        if opts.sandbox_url:
            url = opts.sandbox_url.rstrip("/")
            token, merchant = await self._mint(url, key=url)
            return url, token, Connection("sandbox", "Sandbox", url, token_kind(token)), merchant
        if opts.sandbox:
            return await self._start_embedded(self._builtin_name())
        try:
            profile = self.settings.profile()
        except KeyError:
            profile = None
        if profile is None or not profile.is_configured or profile.kind == "embedded":
            return await self._start_embedded(profile.name if profile is not None else self._builtin_name())
        stored = await self._keychain_token(profile.name)
        if profile.kind == "live":
            if not stored:
                raise NotConfiguredError(
                    f"The Live profile “{profile.name}” has no token. Open Settings (Ctrl+,) to add it."
                )
            live = Connection("live", profile.name, profile.base_url, token_kind(stored))
            return profile.base_url, stored, live, None
        if stored:
            return (
                profile.base_url,
                stored,
                Connection("sandbox", profile.name, profile.base_url, token_kind(stored)),
                None,
            )
        token, merchant = await self._mint(profile.base_url, key=profile.base_url)
        return (
            profile.base_url,
            token,
            Connection("sandbox", profile.name, profile.base_url, token_kind(token)),
            merchant,
        )

    def _builtin_name(self) -> str:
        from payout_desk.services.settings import BUILTIN_PROFILE

        profiles = getattr(self.settings, "profiles", [])
        return next((p.name for p in profiles if p.kind == "embedded"), BUILTIN_PROFILE)

    async def _start_embedded(self, profile: str) -> tuple[str, str, Connection, str | None]:
        from payout_desk.sandbox.embedded import EmbeddedSandbox

        sandbox = EmbeddedSandbox(state_path=self.paths.sandbox_state)
        self.sandbox = sandbox
        await _off_thread(sandbox.start)
        url = str(sandbox.base_url).rstrip("/")
        token, merchant = await self._mint(url, key="embedded")
        return url, token, Connection("sandbox", profile, url, token_kind(token), embedded=True), merchant

    async def _mint(self, base_url: str, *, key: str) -> tuple[str, str | None]:
        """A fresh test token from the sandbox's control surface, for the same sandbox merchant as
        last time (remembered per sandbox in the data dir), so the payouts in this journal stay
        visible to the new token after a restart. A merchant id is not a secret; a token is never
        written to disk."""
        from payout_desk.sandbox.client import AsyncSandboxControl

        path = self.paths.data_dir / SANDBOX_MERCHANTS_FILE
        known = await _off_thread(_read_json, path)
        merchant = known.get(key) if isinstance(known.get(key), str) else None
        record = await AsyncSandboxControl(base_url).mint_token_record(True, merchant_id=merchant)
        minted = record.get("merchantId")
        if minted != merchant:
            known[key] = minted
            await _off_thread(_write_json, path, known)
        return str(record["token"]), (f"merchant:{minted}" if isinstance(minted, str) and minted else None)

    async def _keychain_token(self, profile: str) -> str | None:
        from payout_desk.services.secrets import TokenStore

        def read() -> str | None:
            try:
                return TokenStore().get(profile)
            except Exception:  # a broken keychain must not stop the window; said in the log
                log.warning("could not read the token of profile %s from the keychain", profile, exc_info=True)
                return None

        return await _off_thread(read)

    @property
    def journal_path(self) -> Path:
        """The journal's real file (symlinks resolved; JournalLinkedError for a hard-linked one).
        Touches the disk: read it off the GUI thread."""
        from payout_desk.journal.lock import real_journal_path

        return real_journal_path(self.paths.journal)

    @property
    def journal_registry(self) -> Any:
        """What the app remembers about its journals (a journal.identity.JournalRegistry beside the settings)."""
        from payout_desk.journal.identity import REGISTRY_FILE, JournalRegistry

        return JournalRegistry(self.paths.config_dir / REGISTRY_FILE)

    def _background(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run a slow blocking job (a backup) on its own thread; a failure is logged, never raised."""

        def done(future: asyncio.Future[Any]) -> None:
            if not future.cancelled() and future.exception() is not None:
                log.error("background journal job %s failed", fn.__name__, exc_info=future.exception())

        asyncio.get_running_loop().run_in_executor(_SLOW, fn, *args).add_done_callback(done)

    # -- closing -----------------------------------------------------------------------------
    async def release(self) -> None:
        """Close everything as :meth:`close` does, but allow :meth:`connect` again (after a restore)."""
        await self.close()
        self._closed = False
        self.desk = self._journal = self._client = self.sandbox = self.connection = None

    async def close(self) -> None:
        """Stop polling, close the journal and the client, stop the embedded sandbox. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for name, step in (
            ("desk", self.desk.stop if self.desk is not None else None),
            ("journal", self._close_journal if self._journal is not None else None),
            ("client", self._client.aclose if self._client is not None else None),
        ):
            if step is None:
                continue
            try:
                await step()
            except Exception:
                log.exception("error while closing the %s", name)
        if self.sandbox is not None:
            try:
                await _off_thread(self.sandbox.stop)
            except Exception:
                log.exception("error while stopping the embedded sandbox")

    async def _close_journal(self) -> None:
        from payout_desk.journal.identity import remember_journal

        path = self._journal.path
        await self._journal.close()
        await _off_thread(remember_journal, path, self.journal_registry)  # the record count it closed with


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from payout_desk.journal.private import write_private

    write_private(path, (json.dumps(data, indent=2, sort_keys=True) + "\n").encode())  # 0600, atomic


def _actor() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no login name (some containers): still journal who did it, generically
        return "unknown"


async def _off_thread(fn: Callable[..., T], *args: Any) -> T:
    """Run a blocking call on the start-up worker threads and await it."""
    return await asyncio.get_running_loop().run_in_executor(_BLOCKING, fn, *args)


def _import_services(with_sandbox: bool) -> None:
    import importlib

    names = [
        "payout_desk.services.settings",
        "payout_desk.services.desk",
        "payout_desk.journal.async_journal",
        "payout_desk.provider.client",
        "payout_desk.sandbox.client",
    ]
    if with_sandbox:
        names.append("payout_desk.sandbox.embedded")
    for name in names:
        importlib.import_module(name)
