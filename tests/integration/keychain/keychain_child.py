"""The child process of the keychain tests: runs TokenStore against whatever keychain this process has.

    dbus-run-session -- python keychain_child.py      (a JSON request on stdin, a JSON report on stdout)
    python keychain_child.py                           (the same, with no D-Bus session at all)

The request is ``{"profile": str, "token": str | null, "password": str | null, "ops": [str, ...]}``;
the token and the keyring password come on stdin, never in argv (``ps`` would show them). Ops, in order:

``start_keyring``  start ``gnome-keyring-daemon --foreground --unlock --components=secrets`` with the
                   password on its stdin, and wait (D-Bus ``NameOwnerChanged``, no sleeping) until it
                   owns ``org.freedesktop.secrets``; stopped and reaped when the child ends.
``describe``       backend class, ``is_persistent``, ``backend_description`` of the store.
``set``            ``store.set(profile, token)``.
``get``            ``store.get(profile)`` on the same store (memory included).
``get_fresh``      ``TokenStore().get(profile)`` on a new store: only what the keychain holds.
``delete``         ``store.delete(profile)``.
``lookup``         the Secret Service items with attributes service=payout-desk, username=profile,
                   read with secretstorage directly (not through TokenStore).
``save_settings``  ``save_settings(AppSettings(), AppPaths.resolve(None).settings)``: the app's own file.
``lock``           lock the default collection (as a screen lock does).
``get_locked``     a new store's ``get`` on the locked keychain: result, ``read_failed`` and the reason the
                   app's start-up gives for it (``provider_choice.missing_token_problem``).

A ``get`` reports ``"match"``, ``"none"`` or ``"other"`` — the token itself never goes to stdout or
stderr, so the parent can check that it appears in neither.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

SECRETS_NAME = "org.freedesktop.secrets"
DAEMON_TIMEOUT = 20.0


def _compare(value: str | None, token: str | None) -> str:
    if value is None:
        return "none"
    return "match" if value == token else "other"


def start_keyring(password: str) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start an unlocked gnome-keyring (secrets component) on this session bus; return once it serves."""
    from jeepney import MatchRule, message_bus  # type: ignore[import-untyped]
    from jeepney.io.blocking import open_dbus_connection  # type: ignore[import-untyped]

    with open_dbus_connection(bus="SESSION") as conn:
        rule = MatchRule(
            type="signal",
            sender="org.freedesktop.DBus",
            interface="org.freedesktop.DBus",
            member="NameOwnerChanged",
            path="/org/freedesktop/DBus",
        )
        rule.add_arg_condition(0, SECRETS_NAME)
        conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=DAEMON_TIMEOUT)
        with conn.filter(rule) as queue:
            daemon = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            assert daemon.stdin is not None
            daemon.stdin.write(password.encode() + b"\n")
            daemon.stdin.close()
            owned = conn.send_and_get_reply(message_bus.NameHasOwner(SECRETS_NAME), timeout=DAEMON_TIMEOUT)
            if not owned.body[0]:
                conn.recv_until_filtered(queue, timeout=DAEMON_TIMEOUT)  # TimeoutError if it never comes
            owner = conn.send_and_get_reply(message_bus.GetNameOwner(SECRETS_NAME), timeout=DAEMON_TIMEOUT)
            owner_pid = conn.send_and_get_reply(
                message_bus.GetConnectionUnixProcessID(owner.body[0]), timeout=DAEMON_TIMEOUT
            )
    info = {
        "bus": os.environ.get("DBUS_SESSION_BUS_ADDRESS", ""),
        "daemon_pid": daemon.pid,
        "owner_pid": owner_pid.body[0],
    }
    return daemon, info


def lookup(profile: str, token: str | None) -> dict[str, Any]:
    """The keychain's own view of the token, without TokenStore or keyring in between."""
    import secretstorage

    from payout_desk.services.secrets import SERVICE_NAME

    conn = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(conn)
        locked = collection.is_locked()
        items = list(collection.search_items({"service": SERVICE_NAME, "username": profile}))
        return {
            "collection": collection.get_label(),
            "collection_locked": locked,
            "items": len(items),
            # a locked item's secret cannot be read (that would need the unlock prompt)
            "secrets": [_compare(item.get_secret().decode(), token) for item in items if not item.is_locked()],
        }
    finally:
        conn.close()


def lock_default_collection() -> bool:
    """Lock the default collection, as the session does when the screen locks; True once locked."""
    import secretstorage

    conn = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(conn)
        collection.lock()
        return bool(collection.is_locked())
    finally:
        conn.close()


def main() -> int:
    request = json.loads(sys.stdin.read())
    profile: str = request["profile"]
    token: str | None = request.get("token")
    password: str | None = request.get("password")

    import keyring

    from payout_desk.services.secrets import TokenStore

    daemon: subprocess.Popen[bytes] | None = None
    results: list[dict[str, Any]] = []
    store: TokenStore | None = None
    try:
        for op in request["ops"]:
            entry: dict[str, Any] = {"op": op}
            if op == "start_keyring":
                assert password is not None, "start_keyring needs a password"
                daemon, info = start_keyring(password)
                entry.update(info)
            elif op == "describe":
                store = store or TokenStore()
                backend = type(keyring.get_keyring())
                entry.update(
                    backend=f"{backend.__module__}.{backend.__name__}",
                    is_persistent=store.is_persistent,
                    backend_description=store.backend_description,
                    repr=repr(store),
                )
            elif op == "set":
                assert token is not None, "set needs a token"
                store = store or TokenStore()
                store.set(profile, token)
                entry["is_persistent"] = store.is_persistent
            elif op == "get":
                store = store or TokenStore()
                entry["result"] = _compare(store.get(profile), token)
            elif op == "get_fresh":
                entry["result"] = _compare(TokenStore().get(profile), token)
            elif op == "delete":
                store = store or TokenStore()
                store.delete(profile)
            elif op == "lookup":
                entry.update(lookup(profile, token))
            elif op == "lock":
                entry["locked"] = lock_default_collection()
            elif op == "get_locked":
                from payout_desk.app.provider_choice import missing_token_problem

                fresh = TokenStore()
                entry["result"] = _compare(fresh.get(profile), token)
                entry["read_failed"] = fresh.read_failed
                entry["reason"] = missing_token_problem(profile, fresh).reason
            elif op == "save_settings":
                # imported here: settings pulls in httpx (~0.8 s), which the other runs do not need
                from payout_desk.app.context import AppPaths
                from payout_desk.services.settings import AppSettings, save_settings

                path = AppPaths.resolve(None).settings
                settings = AppSettings()
                settings.active_profile = profile if any(p.name == profile for p in settings.profiles) else "Sandbox"
                save_settings(settings, path)
                entry["path"] = str(path)
            else:
                raise ValueError(f"unknown op {op!r}")
            results.append(entry)
    finally:
        if daemon is not None:
            daemon.terminate()
            daemon.wait(timeout=DAEMON_TIMEOUT)
    json.dump({"results": results}, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
