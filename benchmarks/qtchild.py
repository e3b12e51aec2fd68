"""Shared set-up of the Qt benchmark children: the app's own Qt start (``main()``'s order) and waits.

``start_qt()`` does what ``payout_desk.app.main`` does before the loop runs: ``prepare_qt_environment()``,
one QApplication that does not quit on its last window (QtWebEngine is not imported: the app loads it
with its first checkin dialog), one qasync loop. ``run_once(loop, coro)`` runs it exactly once
(DESIGN.md: quitting it twice segfaults).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

__all__ = ["close_window", "run_once", "start_qt", "wait_for", "wait_signal"]


def start_qt() -> tuple[Any, Any]:
    """(QApplication, qasync.QEventLoop) set up exactly as the app does; QtWebEngine is not loaded until
    something opens a checkin dialog, as in the app."""
    from payout_desk.app import create_qt_application

    app = create_qt_application(sys.argv[:1])
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    return app, loop


def run_once(loop: Any, coro: Coroutine[Any, Any, Any]) -> Any:
    with loop:
        return loop.run_until_complete(coro)


async def wait_for(condition: Callable[[], bool], within: float, step: float = 0.001) -> bool:
    """Poll ``condition`` on the running loop until true or ``within`` s pass (bounded); whether it came true."""
    deadline = time.perf_counter() + within
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(step)
    return True


async def wait_signal(signal: Any, within: float, predicate: Callable[..., bool] | None = None) -> tuple[Any, ...]:
    """Wait for ``signal`` (optionally one whose arguments satisfy ``predicate``); its arguments."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def slot(*args: Any) -> None:
        if not future.done() and (predicate is None or predicate(*args)):
            future.set_result(args)

    signal.connect(slot)
    try:
        return await asyncio.wait_for(future, within)
    finally:
        with contextlib.suppress(RuntimeError, TypeError):
            signal.disconnect(slot)


async def close_window(window: Any, within: float = 30.0) -> None:
    """Close the app's main window and wait (bounded) for its ``shutdownFinished``."""
    finished: list[bool] = []
    window.shutdownFinished.connect(lambda: finished.append(True))
    window.close()
    await wait_for(lambda: bool(finished), within, step=0.01)
