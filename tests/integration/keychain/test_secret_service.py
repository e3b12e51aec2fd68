"""TokenStore against a real Secret Service: gnome-keyring on a private D-Bus session, in a temp HOME.

Every keychain run is a CHILD process (``keychain_child.py``) under ``dbus-run-session``, which starts
its own ``gnome-keyring-daemon --unlock --components=secrets`` with the keyring password on stdin; the
in-memory keyring that ``tests/conftest.py`` installs for every test lives in this (parent) process
and plays no part. Each test gets a fresh HOME/XDG_* tree, and a second ``dbus-run-session`` on the
same HOME is a new bus and a new daemon reading the same (encrypted) keyring file.

Needs ``dbus-run-session`` and ``gnome-keyring-daemon`` (Debian: ``gnome-keyring dbus-x11``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(120)

CHILD = Path(__file__).with_name("keychain_child.py")
REPO = Path(__file__).resolve().parents[3]
PROFILE = "Sandbox"
TOKEN = "tk_test_KeychainIntegration7f3c9a1e5b2d"  # distinctive: a hit on disk cannot be a coincidence
PASSWORD = "correct horse battery staple"
SECRET_SERVICE_BACKEND = "keyring.backends.SecretService.Keyring"

#: Variables that would point a child at the real user's session, keychain or files.
_SCRUBBED = (
    "DBUS_SESSION_BUS_ADDRESS", "DBUS_STARTER_ADDRESS", "DBUS_STARTER_BUS_TYPE", "DISPLAY",
    "WAYLAND_DISPLAY", "GNOME_KEYRING_CONTROL", "SSH_AUTH_SOCK", "PYTHON_KEYRING_BACKEND",
    "KEYRING_PROPERTY_KEYRING_COLLECTION", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP",
)  # fmt: skip


def _missing_tools() -> list[str]:
    return [tool for tool in ("dbus-run-session", "gnome-keyring-daemon") if shutil.which(tool) is None]


@dataclass
class Box:
    """A throwaway user: HOME and XDG dirs, a private runtime dir, and the environment for children."""

    root: Path
    home: Path
    runtime: Path
    env: dict[str, str]

    def run(self, ops: list[str], *, dbus: bool = True, password: str | None = PASSWORD,
            token: str | None = TOKEN) -> list[dict[str, Any]]:  # fmt: skip
        """Run the child (under a new dbus-run-session unless ``dbus`` is False); its per-op results."""
        command = [sys.executable, str(CHILD)]
        if dbus:
            command = ["dbus-run-session", "--", *command]
        request = {"profile": PROFILE, "token": token, "password": password, "ops": ops}
        proc = subprocess.run(
            command, input=json.dumps(request), capture_output=True, text=True,
            cwd=self.home, env=self.env, timeout=60, check=False,
        )  # fmt: skip
        assert TOKEN not in proc.stdout, "the child printed the token"
        assert TOKEN not in proc.stderr, "the child logged the token"
        assert proc.returncode == 0, f"child failed ({proc.returncode}):\n{proc.stderr}"
        results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
        assert [r["op"] for r in results] == ops
        return results

    def files(self) -> list[Path]:
        """Every regular file the children could have written: HOME, the runtime dir, TMPDIR."""
        return sorted(p for p in self.root.rglob("*") if p.is_file() and not p.is_symlink())


@contextlib.contextmanager
def _fresh_box() -> Iterator[Box]:
    missing = _missing_tools()
    if missing:
        pytest.skip(
            f"a real Secret Service needs {' and '.join(missing)} (Debian: apt-get install gnome-keyring dbus-x11)"
        )
    # A short path of our own: gnome-keyring puts its control socket in XDG_RUNTIME_DIR (108-byte limit).
    root = Path(tempfile.mkdtemp(prefix="pd-kc-"))
    try:
        home = root / "home"
        runtime = root / "run"
        tmp = root / "tmp"
        for sub in (".config", ".local/share", ".local/state", ".cache"):
            (home / sub).mkdir(parents=True)
        runtime.mkdir(mode=0o700)
        tmp.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED and not k.startswith("XDG_")}
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_STATE_HOME=str(home / ".local/state"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_RUNTIME_DIR=str(runtime),
            TMPDIR=str(tmp),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            PYTHONDONTWRITEBYTECODE="1",
        )
        yield Box(root, home, runtime, env)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def box() -> Iterator[Box]:
    """A fresh throwaway user for one test."""
    with _fresh_box() as fresh:
        yield fresh


@dataclass
class LockedRuns:
    """What a session whose keyring stays locked saw (op results), and the next unlocked session."""

    locked: list[dict[str, Any]]
    relocked: list[dict[str, Any]]


@pytest.fixture(scope="module")
def locked_runs() -> Iterator[LockedRuns]:
    """Store a token, then start a session with the WRONG password: gnome-keyring starts, the login
    keyring stays locked, and unlocking it would need a prompt (gcr-prompter), which has no display
    here and fails. Then the right password again. Shared by the tests below: each locked run costs
    seconds (the failing prompter), so it is done once."""
    with _fresh_box() as fresh:
        fresh.run(["start_keyring", "set"])
        locked = fresh.run(
            ["start_keyring", "get", "describe", "set", "describe", "get", "lookup"], password="wrong password"
        )
        relocked = fresh.run(["start_keyring", "get_fresh", "lookup"])
        yield LockedRuns(locked, relocked)


def _by_op(results: list[dict[str, Any]], op: str) -> list[dict[str, Any]]:
    return [r for r in results if r["op"] == op]


def test_set_and_read_back_in_the_same_session(box: Box) -> None:
    results = box.run(["start_keyring", "describe", "set", "describe", "get", "get_fresh", "lookup"])
    before, after = _by_op(results, "describe")
    for described in (before, after):
        assert described["backend"] == SECRET_SERVICE_BACKEND
        assert described["is_persistent"] is True
        assert "system keychain" in described["backend_description"]
        assert TOKEN not in described["repr"]
    assert _by_op(results, "set")[0]["is_persistent"] is True
    assert _by_op(results, "get")[0]["result"] == "match"
    assert _by_op(results, "get_fresh")[0]["result"] == "match"  # a new store: from the keychain, not memory
    lookup = _by_op(results, "lookup")[0]
    assert lookup["collection_locked"] is False
    assert lookup["secrets"] == ["match"], lookup  # exactly one item: service=payout-desk, username=Sandbox


def test_token_survives_a_new_session_and_daemon(box: Box) -> None:
    first = box.run(["start_keyring", "set", "get_fresh"])
    assert first[-1]["result"] == "match"
    second = box.run(["start_keyring", "describe", "get_fresh", "lookup"])
    assert second[0]["bus"] != first[0]["bus"]  # a new bus, hence a new daemon: only the file carries over
    assert second[1]["backend"] == SECRET_SERVICE_BACKEND
    assert second[1]["is_persistent"] is True
    assert second[2]["result"] == "match"
    assert second[3]["secrets"] == ["match"]


def test_token_is_in_no_file_in_clear_text(box: Box) -> None:
    results = box.run(["start_keyring", "set", "save_settings", "get_fresh"])
    assert results[-1]["result"] == "match"
    settings = Path(_by_op(results, "save_settings")[0]["path"])
    assert settings.is_relative_to(box.home)
    assert settings.is_file()
    keyrings = list((box.home / ".local/share/keyrings").glob("*.keyring"))
    assert keyrings, "gnome-keyring wrote no keyring file under HOME: the scan below would prove nothing"
    assert all(p.stat().st_size > 0 for p in keyrings)

    needles = {TOKEN.encode(enc) for enc in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le")}
    files = box.files()
    assert settings in files
    leaks = [str(p) for p in files if any(n in p.read_bytes() for n in needles)]
    assert leaks == [], f"the token is in clear text in {leaks}"


def test_delete_removes_the_token(box: Box) -> None:
    results = box.run(["start_keyring", "set", "get_fresh", "delete", "get", "get_fresh", "lookup", "delete"])
    assert results[2]["result"] == "match"
    assert results[4]["result"] == "none"
    assert results[5]["result"] == "none"
    assert results[6]["items"] == 0
    # ...and it stays deleted for the next session, which reads the keyring file afresh
    later = box.run(["start_keyring", "get_fresh", "lookup"])
    assert later[1]["result"] == "none"
    assert later[2]["items"] == 0


def test_without_dbus_tokens_stay_in_memory_and_nothing_is_written(box: Box) -> None:
    before = box.files()
    results = box.run(["describe", "set", "describe", "get", "get_fresh"], dbus=False, password=None)
    first, second = _by_op(results, "describe")
    for described in (first, second):
        assert described["backend"] != SECRET_SERVICE_BACKEND
        assert described["is_persistent"] is False
        text = described["backend_description"]
        assert "No secure system keychain" in text
        assert "in memory for this session only" in text
        assert TOKEN not in described["repr"]
    assert _by_op(results, "get")[0]["result"] == "match"  # the same store keeps it in memory
    assert _by_op(results, "get_fresh")[0]["result"] == "none"  # nothing persisted anywhere
    assert box.files() == before == []


def test_locked_keyring_falls_back_to_memory_without_hanging(locked_runs: LockedRuns) -> None:
    _, read, _, write, described, reread, lookup = locked_runs.locked
    assert read["result"] == "none"  # unreadable: no exception, no hang
    assert write["is_persistent"] is False
    assert described["is_persistent"] is False
    assert "refused" in described["backend_description"]
    assert "locked" in described["backend_description"]
    assert reread["result"] == "match"  # from memory, for this session
    assert lookup["collection_locked"] is True
    assert lookup["items"] == 1  # the stored item is still there, only locked
    # The right password again: the original token is intact, the refused one was never written.
    assert locked_runs.relocked[1]["result"] == "match"
    assert locked_runs.relocked[2]["secrets"] == ["match"]


def test_locked_keyring_is_reported_after_a_read(locked_runs: LockedRuns) -> None:
    _, read, described, *_ = locked_runs.locked
    assert read["result"] == "none"
    # The keychain is there but locked: the settings dialog should not say the token is stored in it.
    assert described["is_persistent"] is False
    assert "locked" in described["backend_description"]


def test_a_locked_keychain_is_named_as_such(box: Box) -> None:
    """A real gnome-keyring, its collection locked after the token was stored: the read fails without
    a prompt loop, the store says the keychain refused the read, and start-up names a locked keychain."""
    results = box.run(["start_keyring", "set", "lock", "get_locked"])
    assert results[2]["locked"] is True
    locked = results[3]
    assert locked["result"] == "none"
    assert locked["read_failed"] is True
    assert locked["reason"] == "keychain_locked"
