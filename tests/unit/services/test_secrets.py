"""TokenStore: the OS keychain when there is a real one, memory only otherwise — never a file."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring.errors import KeyringLocked

from payout_desk.services.secrets import SERVICE_NAME, TokenStore, is_acceptable_backend
from tests.fixtures.keyring_memory import MemoryKeyring

TOKEN = "tk_test_Keyring0Secret0Token0123"


def test_real_keychain_is_persistent(test_keyring: MemoryKeyring) -> None:
    store = TokenStore()
    assert store.is_persistent
    assert "system keychain" in store.backend_description
    store.set("Sandbox", TOKEN)
    assert test_keyring.secrets == {(SERVICE_NAME, "Sandbox"): TOKEN}
    assert store.get("Sandbox") == TOKEN
    assert TokenStore().get("Sandbox") == TOKEN  # a new store (a restart) finds it
    assert TOKEN not in repr(store)
    store.delete("Sandbox")
    store.delete("Sandbox")  # no error the second time
    assert store.get("Sandbox") is None


def _plaintext_file_backend() -> KeyringBackend:
    """Stands in for keyrings.alt.file.PlaintextKeyring (keyrings.alt is not installed here)."""

    class PlaintextKeyring(MemoryKeyring):
        pass

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    return PlaintextKeyring()


@pytest.mark.parametrize("make", [fail.Keyring, null.Keyring, _plaintext_file_backend])
def test_insecure_backends_keep_tokens_in_memory_only(
    make: type[KeyringBackend], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    backend = make()
    assert not is_acceptable_backend(backend)
    store = TokenStore(backend)
    assert not store.is_persistent
    assert "memory for this session only" in store.backend_description
    store.set("Live", TOKEN)
    assert store.get("Live") == TOKEN
    if isinstance(backend, MemoryKeyring):
        assert backend.secrets == {}  # nothing reached the file backend
    written = [f for f in tmp_path.rglob("*") if f.is_file() and TOKEN.encode() in f.read_bytes()]
    assert written == []
    assert TokenStore(backend).get("Live") is None  # gone after a "restart"
    store.delete("Live")
    assert store.get("Live") is None


def test_locked_keychain_falls_back_to_memory(caplog: pytest.LogCaptureFixture) -> None:
    class Locked(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise KeyringLocked("locked")

    store = TokenStore(Locked())
    assert store.is_persistent
    store.set("Sandbox", TOKEN)
    assert store.get("Sandbox") == TOKEN
    assert not store.is_persistent
    assert "refused" in store.backend_description
    assert TOKEN not in caplog.text


def test_chainer_is_acceptable_only_if_all_chained_are() -> None:
    class ChainerBackend:
        def __init__(self, backends: list[KeyringBackend]) -> None:
            self.backends = backends

    assert is_acceptable_backend(ChainerBackend([MemoryKeyring()]))
    assert not is_acceptable_backend(ChainerBackend([]))
    assert not is_acceptable_backend(ChainerBackend([MemoryKeyring(), _plaintext_file_backend()]))


def test_default_backend_is_keyrings_choice(test_keyring: MemoryKeyring) -> None:
    assert keyring.get_keyring() is test_keyring
    store = TokenStore()
    store.set("P", TOKEN)
    assert test_keyring.get_password(SERVICE_NAME, "P") == TOKEN
