"""Background coroutines started from widgets: kept referenced until done, failures logged."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["spawn_logged"]

log = logging.getLogger(__name__)


def spawn_logged(tasks: set[asyncio.Future[Any]], coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Future[Any]:
    """Schedule ``coro`` on the running loop, keep it in ``tasks`` until it ends, log its failure as ``what``."""
    task = asyncio.ensure_future(coro)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    task.add_done_callback(functools.partial(_log_failure, what))
    return task


def _log_failure(what: str, task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("%s task failed", what, exc_info=task.exception())
