"""The test harness: offscreen Qt, QtWebEngine flags, one QApplication, isolated data dirs and keychain,
and the qasync pattern for driving coroutines from pytest-qt tests (see ../shared/DESIGN.md)."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

# Before anything imports Qt: headless, and Chromium's sandbox off when running as root.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if hasattr(os, "geteuid") and os.geteuid() == 0:
    os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")
os.environ.setdefault("QT_LOGGING_RULES", "qt.webenginecontext.debug=false")

import keyring
import PySide6.QtWebEngineWidgets  # noqa: F401  (must precede the QApplication)
import qasync

from payout_desk.app.pyside_guard import lighten_feature_import_hook
from tests.fixtures.keyring_memory import MemoryKeyring

lighten_feature_import_hook()  # as the app does: PySide's import hook no longer caches every module's source

pytest_plugins = ["tests.fixtures.sandbox", "tests.fixtures.postgres"]

T = TypeVar("T")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME and XDG dirs, so nothing writes to the real user's folders."""
    home = tmp_path / "home"
    for sub in ("", ".config", ".local/share", ".local/state", ".cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    return home


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets an empty in-memory keychain; the machine's real one is never touched."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty data directory for the app (`--data-dir`)."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def qt_session_loop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    """One qasync loop over the session's QApplication, driven by Qt's own event processing."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)  # marked running only while a Qt test runs (see qt_loop)
    yield loop
    # A name lookup (asyncio's getaddrinfo) starts qasync's default executor, QThreads that run until shut
    # down; PySide deletes its Python-owned QObjects at exit, and a running QThread deleted aborts the run.
    executor = getattr(loop, "_QEventLoop__default_executor", None)
    if executor is not None:
        executor.shutdown(wait=True)


@pytest.fixture
def qt_loop(qt_session_loop: qasync.QEventLoop) -> Iterator[qasync.QEventLoop]:
    """The qasync loop, current and running for this test only. Afterwards the thread has no running
    loop again, so pytest-asyncio tests that follow can start their own."""
    asyncio.set_event_loop(qt_session_loop)
    asyncio.events._set_running_loop(qt_session_loop)
    yield qt_session_loop
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture(autouse=True)
def _qt_tests_get_the_qt_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests under tests/gui and tests/e2e drive widgets whose coroutines run on the qasync loop.

    Afterwards their garbage is collected here, on the GUI thread: left to an automatic collection it
    could be destroyed in whatever thread allocates next (a later test's sandbox or journal worker),
    and a Qt wrapper destroyed off the GUI thread is a segfault (``payout_desk.ui.pyside_guard``)."""
    parts = Path(str(request.node.path)).parts
    qt = "gui" in parts or "e2e" in parts
    if qt:
        request.getfixturevalue("qt_loop")
    yield
    if qt:
        gc.collect()


@pytest.fixture
def run_async(qt_loop: qasync.QEventLoop, qtbot: Any) -> Callable[..., Any]:
    """Run a coroutine on the Qt event loop and wait for it by processing Qt events (never a second
    `run_until_complete`, which segfaults once QtWebEngine has been used)."""

    def run(awaitable: Awaitable[T], timeout: float = 20.0) -> T:
        future = asyncio.ensure_future(awaitable, loop=qt_loop)
        qtbot.waitUntil(future.done, timeout=int(timeout * 1000))
        return future.result()

    return run
