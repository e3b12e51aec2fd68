"""Poll hints from a team desk to the agents (contract 3: ``hint_poll`` through
``journal.postgres.watch.send_poll_hint``, which agent-watch adds). Until that module is in this build the hint
is a no-op, so a desk works without it; a hint that fails is logged and changes nothing (a hint only asks an
agent to look sooner: its poller is the backstop)."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["hint_function", "send_hint"]

log = logging.getLogger(__name__)


class ConnectionRunner(Protocol):
    async def on_connection(self, fn: Callable[..., Any], *args: object) -> Any: ...


def hint_function() -> Callable[..., Any] | None:
    """``send_poll_hint(conn, local_id, reason)`` when agent-watch's module is in this build, else None."""
    try:
        module = importlib.import_module("payout_desk.journal.postgres.watch")
    except ImportError:
        return None
    found = getattr(module, "send_poll_hint", None)
    return found if callable(found) else None


async def send_hint(journal: ConnectionRunner, local_id: int, reason: str) -> bool:
    """Ask the agents to poll ``local_id`` soon; True when the hint was sent."""
    send = hint_function()
    if send is None:
        return False
    try:
        await journal.on_connection(send, local_id, reason)
    except Exception as exc:
        log.info("poll hint for payout %s (%s) not sent: %s", local_id, reason, exc)
        return False
    return True
