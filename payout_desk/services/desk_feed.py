"""A team desk's feed: a :class:`~payout_desk.journal.postgres.feed.FeedListener` (LISTEN, wake-ups only) and a
cursor. Every wake-up reads the events after the cursor and hands them on in order; after a lost connection
(the listener's or the journal's own) the desk is told it is offline, and once the listener is back its first
wake-up catches up from the cursor, so nothing that happened meanwhile is missed. No polling of anything: a
failed read is tried again after :attr:`retry_seconds` on the event loop (never a sleep)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from payout_desk.journal import JournalError
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.feed import FeedListener

__all__ = ["DeskFeed"]

log = logging.getLogger(__name__)


class DeskFeed:
    """Follows the team journal's events from the newest one at :meth:`start`."""

    retry_seconds = 1.0

    def __init__(
        self,
        journal: AsyncPgJournal,
        on_events: Callable[[list[Any]], Awaitable[None]],
        on_state: Callable[[bool], None],
    ) -> None:
        self._journal = journal
        self._on_events = on_events
        self._on_state = on_state
        self.cursor = 0
        self._listener: FeedListener | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._listening = True
        self._reading = True
        self._tasks: set[asyncio.Future[Any]] = set()

    @property
    def online(self) -> bool:
        """Both the listening connection and the reads work."""
        return self._listening and self._reading

    async def start(self) -> None:
        """Take the newest event id as the cursor, then listen."""
        if self._task is not None:
            return
        self.cursor = await self._journal.last_event_id()
        loop = asyncio.get_running_loop()
        self._listener = FeedListener(
            self._journal.conninfo,
            lambda: loop.call_soon_threadsafe(self._wake.set),
            on_state=lambda ok: loop.call_soon_threadsafe(self._listener_state, ok),
        )
        self._listener.start()
        self._task = loop.create_task(self._run(), name="team-feed")

    async def stop(self) -> None:
        """Stop listening and reading (idempotent)."""
        task, self._task = self._task, None
        for pending in [task, *self._tasks]:
            if pending is not None:
                pending.cancel()
        for pending in [task, *self._tasks]:
            if pending is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending
        listener, self._listener = self._listener, None
        if listener is not None:
            await asyncio.get_running_loop().run_in_executor(None, listener.stop)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run a small job (a hint) on the loop; cancelled by :meth:`stop`."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _set(self, *, listening: bool | None = None, reading: bool | None = None) -> None:
        before = self.online
        if listening is not None:
            self._listening = listening
        if reading is not None:
            self._reading = reading
        if self.online != before:
            log.warning("team database %s", "back: catching up from the cursor" if self.online else "lost")
            self._on_state(self.online)

    def _listener_state(self, ok: bool) -> None:
        self._set(listening=ok)
        if ok:
            self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                while events := await self._journal.events_after(self.cursor):
                    await self._on_events(events)
                    self.cursor = events[-1].event_id
            except JournalError as exc:
                log.info("team feed: reading after %s failed (%s); trying again", self.cursor, exc)
                self._set(reading=False)
                asyncio.get_running_loop().call_later(self.retry_seconds, self._wake.set)
                continue
            self._set(reading=True)
