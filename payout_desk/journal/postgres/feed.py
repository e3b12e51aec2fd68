"""The change feed's wake-up: a thread holding its own autocommit connection that LISTENs on
``payout_desk_events`` (or another ``channel``: the agent's poll hints) and calls ``on_wake`` for every
notification and after every (re)connect; ``on_payload``, when given, also gets each notification's payload.

A notification carries only an event id and is never replayed, so it is a wake-up, nothing more: the
reader keeps a cursor and reads ``event_id > cursor`` each time (``PgJournal.events_after``). psycopg is
used synchronously (``notifies(timeout=…)``) because its asyncio mode refuses qasync's Windows loop.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Final

import psycopg

from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres.store import connect

__all__ = ["CHANNEL", "FeedListener", "check_listen"]

CHANNEL: Final = "payout_desk_events"
log = logging.getLogger(__name__)


class FeedListener:
    """Calls ``on_wake()`` (from its own thread) when events may have been added; reconnects on failure."""

    def __init__(
        self,
        conninfo: str,
        on_wake: Callable[[], object],
        *,
        poll: float = 0.5,
        retry: float = 1.0,
        on_state: Callable[[bool], object] | None = None,
        channel: str = CHANNEL,
        on_payload: Callable[[str], object] | None = None,
    ) -> None:
        """``on_state(True)`` after every (re)connect, ``on_state(False)`` when the connection is lost (or
        a connect fails after one was made): a desk says so and catches up from its cursor once back."""
        if not channel.isidentifier():
            raise ValueError(f"not a channel name: {channel!r}")
        self._conninfo = conninfo
        self._on_wake = on_wake
        self._on_state = on_state
        self._channel = channel
        self._on_payload = on_payload
        self._poll = poll
        self._retry = retry
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"payout-journal-{channel}", daemon=True)
        self.connections = 0  # how many times it (re)connected: for tests and diagnostics

    def start(self) -> None:
        """Start listening (returns at once; the first wake-up comes once LISTEN is in place)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread (within one ``poll`` interval)."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with connect(self._conninfo) as conn:
                    conn.execute(f"LISTEN {self._channel}")
                    self.connections += 1
                    if self._on_state is not None:
                        self._on_state(True)
                    self._on_wake()  # after every (re)connect: read whatever was missed
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=self._poll):
                            if self._on_payload is not None:
                                self._on_payload(note.payload)
                            self._on_wake()
            except (psycopg.Error, JournalError) as exc:
                log.warning("team journal feed: connection lost (%s); reconnecting", exc)
                if self._on_state is not None:
                    self._on_state(False)
                self._stopping.wait(self._retry)


def check_listen(conninfo: str, timeout: float = 5.0) -> float:
    """Seconds a notification took from NOTIFY to this login's LISTEN (a self-test: the desk's feed works).

    LISTENs on the feed's channel (as a desk does) and on a channel of its own, then notifies only the latter,
    so no desk or agent is woken. A JournalError says why not (the LISTEN refused, or nothing came in time)."""
    own = f"payout_desk_selftest_{os.getpid()}"
    try:
        with connect(conninfo) as conn:
            conn.execute(f"LISTEN {CHANNEL}")
            conn.execute(f"LISTEN {own}")
            started = time.monotonic()
            conn.execute(f"NOTIFY {own}, 'self-test'")
            for note in conn.notifies(timeout=timeout):
                if note.channel == own:
                    return time.monotonic() - started
    except psycopg.Error as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise JournalError(f"LISTEN on the change feed failed: {detail}") from exc
    raise JournalError(f"the change feed's notification did not arrive within {timeout:g} s")
