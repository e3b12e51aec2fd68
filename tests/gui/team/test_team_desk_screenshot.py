"""The README's team desk screenshot (docs/screenshots/team-desk.png, 1360×800; also one at 1024×640) on a real
team database: a preparer's desk with the Approvals tab and the Created by column, payouts in the approval states,
the totals with what was never sent apart, and the notice of an approver's rejection. Not an assertion of pixels:
run with ``PAYOUT_DESK_SHOTS=<dir>`` and look at the PNGs (team-desk-waiting.png: the status bar right after a
confirmation; team-confirm.png: the confirmation's approvals line)."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from PySide6.QtWidgets import QLabel

from payout_desk.domain.approvals import body_hash
from payout_desk.journal.postgres import approvals
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.approvals_setup import confirm, person, send
from tests.integration.postgres.team_setup import set_provider
from tests.unit.journal.helpers import request

SHOTS = os.environ.get("PAYOUT_DESK_SHOTS", "")
PROVIDER = "http://127.0.0.1:9"

pytestmark = pytest.mark.skipif(not SHOTS, reason="set PAYOUT_DESK_SHOTS=<dir> to take the team desk's screenshots")


def run(qtbot: Any, awaitable: Any) -> Any:
    future = asyncio.ensure_future(awaitable)
    qtbot.waitUntil(future.done, timeout=10000)
    return future.result()


def test_team_desk_screenshot(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    identity = set_provider(team_db, PROVIDER)
    with psycopg.connect(team_db.as_person("ada_admin", "admin"), autocommit=True) as conn:
        approvals.set_rule(conn, "EUR", Decimal("10000"), 1, None)
    for login, role in (("dora", "preparer"), ("abe", "approver"), ("agent_a", "agent")):
        team_db.as_person(login, role)
    team_db.as_person("pia", "preparer")
    ada = {"recipient_id": None, "recipient_name": "Ada Lovelace"}
    globex = {"recipient_id": None, "recipient_name": "Globex"}
    paid, _ = confirm(team_db, identity, "1200.00", ref="INV-071", description="Invoice 2026-071", **ada)
    run(qtbot, send(team_db, identity, paid, "succeeded"))
    on_way, _ = confirm(team_db, identity, "250.00", by="dora", ref="INV-090", description="Invoice 2026-090", **ada)
    run(qtbot, send(team_db, identity, on_way, None, checkin_url=f"{PROVIDER}/checkin/pay_{on_way}"))
    confirm(team_db, identity, "15000.00", ref="INV-118", description="Invoice 2026-118", **globex)
    withdrawn, _ = confirm(team_db, identity, "20000.00", ref="INV-119", description="Invoice 2026-119", **globex)
    with person(team_db, "pia") as conn:
        approvals.withdraw(conn, withdrawn)
    theirs, body = confirm(team_db, identity, "14950.00", by="dora", ref="INV-120", description="Invoice 2026-120",
                           **globex)  # fmt: skip
    window = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    try:
        window.resize(1024, 640)
        qtbot.waitUntil(lambda: window.approvals is not None and window.history is not None, timeout=10000)
        rejected, _ = confirm(team_db, identity, "12500.00", ref="INV-121", description="Invoice 2026-121", **globex)
        notes: list[str] = []
        window.notifier.notified.connect(lambda _title, message: notes.append(message))
        with person(team_db, "abe") as conn:
            approvals.reject(conn, rejected, "Wrong IBAN on the invoice")
            approvals.approve(conn, theirs, body_hash(body))
        qtbot.waitUntil(lambda: len(notes) == 1, timeout=10000)
        totals = window.findChild(QLabel, "totalsLabel")
        qtbot.waitUntil(lambda: "not sent:" in totals.text(), timeout=10000)
        row = window.history.model.row_of(rejected)
        assert row is not None
        window.history.select_row(row)
        qtbot.wait(400)
        out = Path(SHOTS)
        out.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(out / "team-desk-1024.png"))  # Status and Amount whole at 1024×640
        window.resize(1360, 800)  # the README's: Created by in view too
        qtbot.wait(400)
        assert window.grab().save(str(out / "team-desk.png"))
        window.resize(1024, 640)

        # right after a confirmation: the status bar says how many approvals, until when — not cut at 1024 px
        payout = request(amount="16000.00", external_id="INV-122", recipient_id=None, recipient_name="Globex")
        with qtbot.waitSignal(window.flow.confirmOpened, timeout=10000) as opened:
            window.flow.open_confirm(payout)
        dialog = opened.args[0]
        assert dialog.grab().save(str(out / "team-confirm.png"))
        dialog.reject()
        record = run(qtbot, window.flow.submit(payout))
        qtbot.waitUntil(lambda: "until" in window.statusBar().currentMessage(), timeout=10000)
        assert record.status == "awaiting_approval"
        qtbot.wait(200)
        assert window.grab().save(str(out / "team-desk-waiting.png"))
    finally:
        close_desk(qtbot, window)
