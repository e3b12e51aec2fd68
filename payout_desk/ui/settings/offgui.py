"""Settings' blocking work off the GUI thread: keychain calls and the settings write on one plain Python thread
(one at a time), and a Team profile's Test connection on threads of its own (a connect may take its timeout)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final

__all__ = ["off_gui", "off_gui_connect"]

_IO: Final = ThreadPoolExecutor(max_workers=1, thread_name_prefix="settings-io")
_CONNECT: Final = ThreadPoolExecutor(max_workers=2, thread_name_prefix="settings-connect")


async def off_gui(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on the settings I/O thread."""
    return await asyncio.get_running_loop().run_in_executor(_IO, fn, *args)


async def off_gui_connect(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on a connection-test thread (never holding up the keychain's thread)."""
    return await asyncio.get_running_loop().run_in_executor(_CONNECT, fn, *args)
