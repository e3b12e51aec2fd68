"""Start-up wiring: where the files live, which provider to talk to, and the desk's life cycle.

:class:`AppContext` is built synchronously (cheap: no I/O) and connected asynchronously after
the window is shown: embedded sandbox start, token mint or keychain read, journal open, recover.
Blocking calls (the sandbox's thread start, the keychain, settings file) run in a worker thread
via a small thread pool; HTTP runs on the qasync loop; the journal on its own worker thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from payout_desk.app.provider_choice import Connection
from payout_desk.provider.models import token_kind

__all__ = ["AppContext", "AppPaths", "Connection", "LaunchOptions", "token_kind"]

T = TypeVar("T")

log = logging.getLogger(__name__)

APP_DIR_NAME = "payout-desk"
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
    #: ``--team CONNINFO``: a desk on the team's database (no provider token; ``app.team``).
    team: str | None = None


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
class AppContext:
    """Owns the sandbox (when embedded), the client, the journal and the desk."""

    options: LaunchOptions
    paths: AppPaths
    settings: Any = None  # services.settings.AppSettings once loaded
    connection: Connection | None = None
    desk: Any = None  # services.desk.PayoutDesk
    sandbox: Any = None  # sandbox.embedded.EmbeddedSandbox
    records: Any = None  # services.records.Records once the journal is open
    tokens: Any = None  # services.secrets.TokenStore, one per run
    #: The command line's --sandbox/--sandbox-url apply until a profile is chosen in Settings.
    follow_options: bool = True
    team_login: str = ""  # a team desk's login, its app roles and its database (app.team)
    team_roles: frozenset[str] = frozenset()
    team_database: str = ""
    _journal: Any = None
    _client: Any = None
    _closed: bool = field(default=False, repr=False)

    # -- settings ----------------------------------------------------------------------------
    async def preload(self) -> None:
        """Import the heavy service modules (httpx, uvicorn, starlette …) on a worker thread, so
        that the GUI thread never stalls on them."""
        await _off_thread(_import_services, self.options.sandbox or not (self.options.sandbox_url or self.options.team))

    async def load_settings(self) -> Any:
        from payout_desk.services.settings import AppSettings, load_settings

        path = self.paths.settings
        self.settings = await _off_thread(lambda: load_settings(path) if path.exists() else AppSettings())
        return self.settings

    async def save_settings(self) -> None:
        from payout_desk.services.settings import save_settings

        if self.settings is not None:
            await _off_thread(save_settings, self.settings, self.paths.settings)

    # -- the journal (history needs nothing else) ------------------------------------------
    async def open_journal(self) -> Any:
        """Open the journal (its lock refuses a second instance: ``JournalInUseError``) and return
        the :class:`~payout_desk.services.records.Records` the history reads, with no provider."""
        if self.records is not None:
            return self.records
        await self.preload()
        if self.settings is None:
            await self.load_settings()
        from payout_desk.journal.private import private_folder
        from payout_desk.services.records import Records

        # The journal first: its lock refuses a second window on the same data folder before anything
        # else (the embedded sandbox and its state file included) is started.
        await _off_thread(private_folder, self.paths.data_dir)  # 0700 and 0600, also when left looser before
        if self._journal is None and not self.options.team and not (self.options.sandbox or self.options.sandbox_url):
            from payout_desk.app.team import team_profile_conninfo

            conninfo = await team_profile_conninfo(self)  # the active profile is a Team profile: its database
            if conninfo is not None:
                self.options = replace(self.options, team=conninfo)
        if self._journal is None and self.options.team:
            from payout_desk.app.team import open_team_journal

            self._journal = await open_team_journal(self, self.options.team)
        elif self._journal is None:
            self._journal = await self.open_local_journal()
        self.records = Records(self._journal)
        return self.records

    async def open_local_journal(self) -> Any:
        """This computer's journal, opened (not yet in use: :meth:`open_journal` or a switch adopts it)."""
        from payout_desk.journal.async_journal import AsyncJournal
        from payout_desk.journal.backup import daily_backup_if_due
        from payout_desk.journal.identity import checked_journal_path, remember_journal

        # A journal seen before that is now missing, empty or unreadable is refused here, untouched
        # (JournalDamagedError); the window offers a backup or a new journal (ui/frame/journal_recovery.py).
        path = await _off_thread(checked_journal_path, self.paths.journal, self.journal_registry)
        journal = await AsyncJournal.open(path)
        await _off_thread(remember_journal, journal.path, self.journal_registry)
        self._background(daily_backup_if_due, journal.path)
        return journal

    async def next_journal(self) -> Any:
        """The journal the active profile asks for, opened beside the one in use, or None (the same); see
        ``app.journal_switch``."""
        from payout_desk.app.journal_switch import open_next_journal

        return await open_next_journal(self)

    async def adopt_journal(self, journal: Any) -> Any:
        """Stop the desk, close the journal in use and use ``journal`` (from :meth:`next_journal`): its Records."""
        from payout_desk.app.journal_switch import adopt_journal

        return await adopt_journal(self, journal)

    async def token_store(self) -> Any:
        """The one :class:`~payout_desk.services.secrets.TokenStore` of this run: a token kept in
        memory (no usable keychain) is found again by every reconnect and by Settings."""
        if self.tokens is None:
            from payout_desk.services.secrets import TokenStore

            self.tokens = await self.off_thread(TokenStore)
        return self.tokens

    # -- connecting --------------------------------------------------------------------------
    async def connect(self, listener: Any = None) -> Connection:
        """Open the journal (if not yet), resolve the provider, build the desk, subscribe ``listener``,
        recover. Raises ``services.connection.NotConnected`` saying what is missing."""
        await self.open_journal()
        if self.options.team:
            from payout_desk.app.team import connect_team

            return await connect_team(self, listener)
        from payout_desk.app.provider_choice import resolve_provider
        from payout_desk.provider.client import PayoutsClient
        from payout_desk.services.desk import PayoutDesk

        base_url, token, connection, account = await resolve_provider(self)
        assert isinstance(connection, Connection)
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
        self.records.attach(self.desk)
        log.info(
            "connected to %s (%s, profile %s, token kind %s)",
            connection.base_url,
            connection.environment,
            connection.profile,
            connection.token_kind,
        )
        return connection

    async def disconnect(self) -> None:
        """Stop the desk and close its client; the journal (and the history) stay open. A later
        :meth:`connect` makes the same choice again (Try again), unless :meth:`follow_settings` was called."""
        desk, client = self.desk, self._client
        self.desk = self._client = self.connection = None
        if self.records is not None:
            self.records.attach(None)
        if desk is not None:
            await desk.stop()
        if client is not None:
            await client.aclose()
        if self.sandbox is not None and not self._active_is_embedded():
            sandbox, self.sandbox = self.sandbox, None
            await self.off_thread(sandbox.stop)

    def follow_settings(self) -> None:
        """A profile was chosen in Settings: from now on it decides, not ``--sandbox``/``--sandbox-url``."""
        self.follow_options = False

    def _active_is_embedded(self) -> bool:
        if self.follow_options and (self.options.sandbox or self.options.sandbox_url):
            return bool(self.options.sandbox)
        try:
            return bool(self.settings.profile().kind == "embedded")
        except (KeyError, AttributeError):
            return True

    def expected_profile(self) -> str:
        """The profile a connect will use, for the banner before it is connected."""
        if self.options.team:
            return "Team"
        if self.follow_options and (self.options.sandbox or self.options.sandbox_url):
            return "Sandbox"
        try:
            return str(self.settings.profile().name)
        except (KeyError, AttributeError):
            return ""

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

    async def off_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call on the start-up worker threads and await it."""
        return await _off_thread(fn, *args)

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
        self.desk = self._journal = self._client = self.sandbox = self.connection = self.records = None

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

        if self.options.team:  # the team's database: nothing of it is remembered on this computer
            await self._journal.close()
            return
        path = self._journal.path
        await self._journal.close()
        await _off_thread(remember_journal, path, self.journal_registry)  # the record count it closed with


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
