"""Where API tokens live: the OS keychain through ``keyring`` — or, failing that, memory only.

Service name ``payout-desk``, user name = the profile's name. A Team profile's database password is kept the
same way under the service ``payout-desk-team`` (:data:`TEAM_SERVICE_NAME`, :meth:`TokenStore.for_service`),
user name = login@host:port/database. A backend is acceptable only when
it is a real keychain (Secret Service, macOS Keychain, Windows Credential Locker, KWallet …).
The ``fail`` and ``null`` backends and every ``keyrings.alt`` backend (plaintext or "encrypted"
files) are not: with one of those — or when the keychain refuses a write — the token is kept in
this process's memory for this session only and never written to any file. ``is_persistent``
and ``backend_description`` say so plainly, for the settings dialog.

No method ever puts a token in a log line, an exception or a ``repr()``.
"""

from __future__ import annotations

import logging
from typing import Any

import keyring
import keyring.backend
import keyring.errors

__all__ = ["SERVICE_NAME", "TEAM_SERVICE_NAME", "TokenStore", "is_acceptable_backend"]

log = logging.getLogger("payout_desk.services.secrets")

SERVICE_NAME = "payout-desk"
#: Team profiles' database passwords (a service of their own: no profile name can collide with one).
TEAM_SERVICE_NAME = "payout-desk-team"

_REFUSED_CLASSES = {
    ("keyring.backends.fail", "Keyring"),
    ("keyring.backends.null", "Keyring"),
}


def _is_refused(backend: Any) -> bool:
    cls = type(backend)
    module = cls.__module__ or ""
    if (module, cls.__name__) in _REFUSED_CLASSES:
        return True
    if module == "keyrings.alt" or module.startswith("keyrings.alt."):
        return True
    return cls.__name__ in {"PlaintextKeyring", "EncryptedKeyring", "UncryptedFileKeyring"}


def is_acceptable_backend(backend: Any) -> bool:
    """True for a real keychain; False for fail/null/keyrings.alt (file) backends.

    A chainer backend is acceptable only if it chains at least one backend and all are."""
    if type(backend).__name__ == "ChainerBackend":
        chained = list(getattr(backend, "backends", []) or [])
        return bool(chained) and all(not _is_refused(b) for b in chained)
    return not _is_refused(backend)


def _describe(backend: Any) -> str:
    cls = type(backend)
    name = getattr(backend, "name", None) or f"{cls.__module__}.{cls.__name__}"
    return str(name)


class TokenStore:
    """API tokens per profile: in the OS keychain when there is a real one, else memory only."""

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None, *, service: str = SERVICE_NAME) -> None:
        """``backend`` defaults to ``keyring.get_keyring()`` (what keyring chose for this OS); ``service`` is the
        keychain's service name of every entry of this store."""
        self._backend = backend if backend is not None else keyring.get_keyring()
        self._service = service
        self._siblings: dict[str, TokenStore] = {}
        self._acceptable = is_acceptable_backend(self._backend)
        self._memory: dict[str, str] = {}
        self._write_failed = False
        self._read_failed = False  # the keychain exists but refused a read (locked): say so, don't claim it stores
        if not self._acceptable:
            log.warning(
                "no usable OS keychain (%s): API tokens are kept in memory for this session only",
                _describe(self._backend),
            )

    def for_service(self, service: str) -> TokenStore:
        """The store of another keychain service on the same backend (one per service, so a secret kept in
        memory for lack of a keychain is found again)."""
        if service == self._service:
            return self
        if service not in self._siblings:
            self._siblings[service] = TokenStore(self._backend, service=service)
        return self._siblings[service]

    def __repr__(self) -> str:
        return f"TokenStore(backend={_describe(self._backend)!r}, persistent={self.is_persistent})"

    @property
    def is_persistent(self) -> bool:
        """True when tokens are saved in a real OS keychain and survive a restart."""
        return self._acceptable and not self._write_failed and not self._read_failed

    @property
    def read_failed(self) -> bool:
        """True when a real keychain refused the last read (it is locked): unlock it and try again."""
        return self._acceptable and self._read_failed

    @property
    def backend_description(self) -> str:
        """A sentence for the settings dialog: where tokens are kept."""
        name = _describe(self._backend)
        if not self._acceptable:
            return (
                f"No secure system keychain is available ({name}). API tokens are kept in memory "
                "for this session only and must be entered again after a restart."
            )
        if self._read_failed and not self._write_failed:
            return (
                f"The system keychain ({name}) could not be read (is it locked?). Unlock it and restart "
                "Payout Desk; a token entered now is kept in memory for this session only."
            )
        if self._write_failed:
            return (
                f"The system keychain ({name}) refused to store the token (is it locked?). It is kept "
                "in memory for this session only and must be entered again after a restart."
            )
        return f"API tokens are stored in the system keychain ({name})."

    def get(self, profile: str) -> str | None:
        """The token for ``profile``, or None."""
        if profile in self._memory:
            return self._memory[profile]
        if not self._acceptable:
            return None
        try:
            token = self._backend.get_password(self._service, profile)
        except Exception as exc:  # any backend failure means "not stored there"
            log.warning("keychain read failed for profile %r: %s", profile, type(exc).__name__)
            self._read_failed = True
            return None
        self._read_failed = False
        return token

    def set(self, profile: str, token: str) -> None:
        """Store ``token`` for ``profile`` (keychain, or memory when there is none)."""
        if not token:
            raise ValueError("the token is empty")
        if self._acceptable:
            try:
                self._backend.set_password(self._service, profile, token)
            except Exception as exc:  # any backend failure means "not stored there"
                log.warning(
                    "keychain write failed for profile %r (%s); token kept in memory for this session",
                    profile,
                    type(exc).__name__,
                )
                self._write_failed = True
            else:
                self._memory.pop(profile, None)
                self._write_failed = self._read_failed = False
                return
        self._memory[profile] = token

    def delete(self, profile: str) -> None:
        """Forget the token for ``profile`` (no error if there was none)."""
        self._memory.pop(profile, None)
        if not self._acceptable:
            return
        try:
            self._backend.delete_password(self._service, profile)
        except keyring.errors.PasswordDeleteError:
            pass
        except Exception as exc:  # any backend failure means "not stored there"
            log.warning("keychain delete failed for profile %r: %s", profile, type(exc).__name__)
