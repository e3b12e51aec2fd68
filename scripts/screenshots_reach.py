"""Screenshots of the window without a connection and of its menus: ``python scripts/screenshots_reach.py
OUTDIR`` (run by ``make screenshots`` after ``scripts/screenshots.py``).

Each scene is the real app offscreen on its own temporary data folder whose journal holds payouts sent
earlier; it grabs:

- ``disconnected-unreachable.png``: the provider cannot be reached (a sandbox address where nothing listens),
- ``disconnected-no-token.png``: a Live profile with no token,
- ``disconnected-keychain-locked.png``: the keychain is locked,
- ``menus.png``: the File, Payout, View and Help menus side by side.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

LIVE_CONNECTION = "live|https://api.acme-payments.example|token:5f1c0e|Acme Live"
PAYOUTS = (  # amount, currency, description, recipient, final status (None: pending)
    ("1250.00", "EUR", "Refund order 1042", "Ada Lovelace", "succeeded"),
    ("98000", "JPY", "Supplier invoice 2024-118", "Kaito Tanaka", "succeeded"),
    ("310.500", "BHD", "Travel expenses March", "Layla Haddad", "failed"),
    ("75.20", "GBP", "Marketplace payout week 12", "Grace Hopper", None),
)


class EmptyKeychain(KeyringBackend):
    """A working keychain that holds no token (this machine's own may not be reachable offscreen)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("screenshots store nothing")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("nothing stored")


class LockedKeychain(KeyringBackend):
    """A keychain that is there but locked (what the Secret Service answers for a locked collection)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordDeleteError("the collection is locked")


def seed(data_dir: Path) -> None:
    from payout_desk.domain.payout import PayoutDraft, PayoutRequest, validate_draft
    from payout_desk.journal import Journal

    data_dir.mkdir(parents=True, exist_ok=True)
    with Journal.open(data_dir / "journal.sqlite3") as journal:
        for n, (amount, code, description, name, final) in enumerate(PAYOUTS):
            request = validate_draft(PayoutDraft(amount, code, description, recipient_name=name,
                                                 external_id=f"PO-2024-{1040 + n}"))  # fmt: skip
            assert isinstance(request, PayoutRequest)
            record = journal.record_confirmed(
                request, idempotency_key=f"7c2e4d1a-5b3f-4e8a-9d6c-1f0b2a3c4d5{n}", environment="live",
                profile="Acme Live", actor="finance", connection_id=LIVE_CONNECTION,
            )  # fmt: skip
            journal.record_created(record.local_id, payment_id=f"pay_7Hq2{n}Lm", checkin_url=None,
                                   status="pending", actor="finance")  # fmt: skip
            if final:
                journal.record_status(record.local_id, status=final, failure_reason="account_closed"
                                      if final == "failed" else None, source="poll", actor="finance")  # fmt: skip


def live_settings(data_dir: Path) -> None:
    settings = {"version": 2, "active_profile": "Acme Live", "profiles": [
        {"name": "Built-in sandbox", "kind": "embedded", "base_url": ""},
        {"name": "Acme Live", "kind": "live", "base_url": "https://api.acme-payments.example"}]}  # fmt: skip
    (data_dir / "settings.json").write_text(json.dumps(settings), encoding="utf-8")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_for(condition: Any, seconds: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError("screenshot scene did not settle")
        await asyncio.sleep(0.1)


async def close(window: Any) -> None:
    finished = asyncio.Event()
    window.shutdownFinished.connect(finished.set)
    window.close()
    await asyncio.wait_for(finished.wait(), 30)


def save(widget: Any, path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    print(f"wrote {path}")


async def disconnected(out: Path, root: Path, name: str, args: list[str], *, live: bool) -> None:
    from payout_desk.app import launch

    data_dir = root / name
    seed(data_dir)
    if live:
        live_settings(data_dir)
    window: Any = launch([*args, "--data-dir", str(data_dir)])
    try:
        window.resize(1280, 800)
        await wait_for(lambda: window.connector.problem is not None and window.history is not None)
        await wait_for(lambda: window.history.model.rowCount() == len(PAYOUTS))
        window.history.select_row(2)
        await wait_for(lambda: window.history.details.timeline.count() > 0)
        await asyncio.sleep(0.4)
        save(window, out / f"disconnected-{name}.png")
    finally:
        await close(window)


async def menus(out: Path, root: Path) -> None:
    from PySide6.QtGui import QColor, QImage, QPainter

    from payout_desk.app import launch

    window: Any = launch(["--sandbox", "--data-dir", str(root / "menus")])
    try:
        await wait_for(lambda: window.context.connection is not None and window.history is not None)
        from payout_desk.domain.payout import PayoutDraft, validate_draft

        await window.context.desk.submit(validate_draft(PayoutDraft("75.20", "GBP", "Marketplace payout week 12")))
        await wait_for(lambda: window.history.model.rowCount() == 1)
        window.history.select_row(0)  # a pending payout: its commands are enabled
        shots = []
        for menu in (window.menus.file_menu, window.menus.payout_menu, window.menus.view_menu, window.menus.help_menu):
            menu.adjustSize()
            shots.append((menu.title().replace("&", ""), menu.grab()))
        gap, title_height = 24, 28
        width = sum(s.width() for _, s in shots) + gap * (len(shots) + 1)
        height = max(s.height() for _, s in shots) + title_height + gap
        image = QImage(width, height, QImage.Format.Format_ARGB32)
        image.fill(QColor("#f4f4f4"))
        painter = QPainter(image)
        x = gap
        for title, shot in shots:
            painter.drawText(x, 18, title)
            painter.drawPixmap(x, title_height, shot)
            x += shot.width() + gap
        painter.end()
        image.save(str(out / "menus.png"))
        print(f"wrote {out / 'menus.png'}")
    finally:
        await close(window)


async def scenes(out: Path, root: Path) -> None:
    import keyring

    await disconnected(out, root, "unreachable", ["--sandbox-url", f"http://127.0.0.1:{free_port()}"], live=False)
    previous = keyring.get_keyring()
    try:
        keyring.set_keyring(EmptyKeychain())  # type: ignore[no-untyped-call]
        await disconnected(out, root, "no-token", [], live=True)
        keyring.set_keyring(LockedKeychain())  # type: ignore[no-untyped-call]
        await disconnected(out, root, "keychain-locked", [], live=True)
    finally:
        keyring.set_keyring(previous)
    await menus(out, root)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python scripts/screenshots_reach.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from payout_desk.app import create_qt_application

    app = create_qt_application([sys.argv[0]])
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory(prefix="payout-desk-shots-") as tmp, loop:
        loop.run_until_complete(scenes(out, Path(tmp)))  # the one and only run of the loop
    return 0


if __name__ == "__main__":
    sys.exit(main())
