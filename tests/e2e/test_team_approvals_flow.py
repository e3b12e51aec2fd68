"""Issue 21 end to end: the whole approval flow of a 15,000.00 EUR payout, with two desks as two people (the
preparer pia and the approver abe), the agent with ``--listen``, the sandbox in its own process delivering its
webhooks to that agent, and a real PostgreSQL.

The rule and the retype threshold come from the real ``payout-desk-admin`` run by the team's admin. The payout
waits (``awaiting approval`` on both desks, nothing at the provider, never claimed by the agent); its preparer
cannot approve it (no enabled button, and the database refuses in words); the approver's queue shows it live
with its warnings; a wrong retype and Enter approve nothing; the approval makes the agent create it once; the
preparer's desk opens its checkin page from the agent's ``created`` event; the sandbox's webhook with the final
status reaches the agent (2xx, kept, the poller woken) and the payout is ``succeeded`` on both desks; the timeline
shows who approved it and k of N.

The status event says ``source: poll`` whether the poller's GET was woken by the webhook or came from the burst
after the checkin: this test shows the webhook delivered and kept, not which of the two woke the GET (in runs
here the GET that recorded ``succeeded`` came a few ms after the webhook)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QPushButton, QTableWidget, QTabWidget

from payout_desk.domain.approvals import ApprovalRefusedError
from payout_desk.ui.approvals.panel import COL_WARNINGS, COLUMNS
from payout_desk.ui.history.details_pane import WhatRole, WhoRole
from tests.e2e.helpers import complete_checkin, fill_form, row_status, submit_and_confirm
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.agent import conftest as agent_rig
from tests.integration.agent.conftest import Rig
from tests.integration.agent.test_webhook import listening_agent
from tests.integration.postgres.team_setup import confirm

rig = agent_rig.rig  # the agent's rig: the sandbox in its own process, the team whose provider it is
LIVE_MS = 15000
FINAL_MS = 30000
AMOUNT = "15000.00"
IBAN = "DE89370400440532013000"


def admin_cli(conninfo: str, *argv: str) -> str:
    """Run the installed ``payout-desk-admin`` console script; its standard output (it must succeed)."""
    script = Path(sys.executable).with_name("payout-desk-admin")
    done = subprocess.run([str(script), "--db", conninfo, *argv], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout


def payout_row(team_db: TeamDb, local_id: int) -> tuple[Any, ...]:
    """(status, lease_generation, lease_holder, approvals_required) of one payout, read as the DBA."""
    with psycopg.connect(team_db.admin) as conn:
        row = conn.execute(
            "SELECT status, lease_generation, lease_holder, approvals_required FROM payout_desk.payouts"
            " WHERE local_id = %s",
            (local_id,),
        ).fetchone()
    assert row is not None
    return tuple(row)


def approvals_of(team_db: TeamDb, local_id: int) -> list[tuple[Any, ...]]:
    with psycopg.connect(team_db.admin) as conn:
        return conn.execute(
            "SELECT approver, approved FROM payout_desk.approvals WHERE local_id = %s ORDER BY at", (local_id,)
        ).fetchall()


def run_on_loop(qtbot: Any, awaitable: Any) -> Any:
    """Await ``awaitable`` on the Qt loop (the desk's own), processing events; its result or its exception."""
    future = asyncio.ensure_future(awaitable)
    qtbot.waitUntil(future.done, timeout=10000)
    return future.result()


def confirm_with_retype(qtbot: Any, window: Any, amount: str) -> Any:
    """Submit the filled form, type the amount again in the confirmation, confirm; the record journaled."""
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=5000) as opened:
        qtbot.mouseClick(window.findChild(QPushButton, "submitButton"), Qt.MouseButton.LeftButton)
    dialog = opened.args[0]
    retype = dialog.findChild(QLineEdit, "retypeAmountEdit")
    assert retype is not None  # 15,000.00 EUR is at or above the retype threshold on the preparer's desk too
    qtbot.keyClicks(retype, amount)
    button = dialog.findChild(QPushButton, "confirmButton")
    qtbot.waitUntil(button.isEnabled, timeout=3000)
    with qtbot.waitSignal(window.flow.submitted, timeout=FINAL_MS) as submitted:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return submitted.args[0]


def queue_loaded(window: Any) -> bool:
    """The desk's queue has been read once (it says how many wait)."""
    return not window.approvals.count_label.text().startswith("Loading")


def queue_rows(window: Any) -> int:
    table = window.findChild(QTableWidget, "approvalsTable")
    assert table is not None
    return int(table.rowCount())


def test_a_15000_eur_payout_waits_is_approved_by_another_person_sent_once_and_succeeds_on_both_desks(
    qtbot: Any, rig: Rig, tmp_path: Path
) -> None:
    team_db: TeamDb = rig.team_db
    # The team's admin sets the rule and the retype threshold with the real command line.
    admin = team_db.as_person("ada_admin", "admin")
    said = admin_cli(admin, "set-rule", "--currency", "EUR", "--from", "10000", "--approvers", "1")
    assert "EUR from 10000.00: 1 approver (was no approval)" in said
    said = admin_cli(admin, "set-retype-threshold", "--currency", "EUR", "12000")
    assert said == "EUR: the amount is typed twice from 12000.00 on\n"
    assert "EUR: from 10000.00 on, 1 approver" in admin_cli(admin, "rules")

    agent, _url, token = listening_agent(rig)  # the sandbox's webhooks for this token go to this agent
    # Its poller takes the team's poll lock, sits out one rate window, then listens for hints (a webhook's
    # wake-up among them): a hint sent before that is not heard (the regular schedule polls the payout later).
    agent.output.expect(r"poller: following \d+ open payouts")
    # pia prepares and is an approver too: only the rule "not its preparer" stops her approving her own.
    pia = open_desk(qtbot, team_db.as_person("pia", "preparer", "approver"), tmp_path / "pia")
    abe = open_desk(qtbot, team_db.as_person("abe", "approver"), tmp_path / "abe")
    try:
        for window in (pia, abe):
            qtbot.waitUntil(lambda w=window: w.approvals is not None and queue_loaded(w), timeout=LIVE_MS)
            assert window.findChild(QTabWidget, "mainTabs").indexOf(window.approvals) >= 0
        assert queue_rows(abe) == 0

        # -- an earlier payout to the same recipient, below the rule: sent at once, the recipient's history ------
        fill_form(qtbot, pia, "1200.00", description="Invoice 2026-071", name="Ada Lovelace")
        earlier = submit_and_confirm(qtbot, pia)  # no approval needed: the agent's created event opens its page
        complete_checkin(qtbot, earlier, IBAN)
        qtbot.waitUntil(lambda: row_status(abe, earlier.local_id) == "succeeded", timeout=FINAL_MS)
        assert queue_rows(abe) == 0

        # -- the preparer confirms 15,000.00 EUR: it waits ---------------------------------------------------
        fill_form(qtbot, pia, AMOUNT, description="Invoice 2026-118", name="Ada Lovelace")
        opened: list[Any] = []
        loads: list[bool] = []

        def on_checkin(dialog: Any) -> None:
            dialog.page.loadFinished.connect(loads.append)
            opened.append(dialog)

        pia.flow.checkinOpened.connect(on_checkin)
        record = confirm_with_retype(qtbot, pia, AMOUNT)
        local_id = int(record.local_id)
        assert record.status == "awaiting_approval"
        assert pia.statusBar().currentMessage() == (
            f"Payout #{local_id} saved in the team journal; it waits for approval; once approved, the team's agent"
            " sends it. Its checkin page opens here as soon as the provider has it."
        )
        assert (record.amount, record.currency) == (Decimal(AMOUNT), "EUR")
        for window in (pia, abe):
            qtbot.waitUntil(lambda w=window: row_status(w, local_id) == "awaiting_approval", timeout=LIVE_MS)
        assert payout_row(team_db, local_id) == ("awaiting_approval", 0, None, 1)  # its approvals fixed with it

        # -- the approver's queue shows it live (no refresh), with the count on the tab --------------------
        qtbot.waitUntil(lambda: queue_rows(abe) == 1 and len(abe.approvals.items) == 1, timeout=LIVE_MS)
        tabs = abe.findChild(QTabWidget, "mainTabs")
        assert tabs.tabText(tabs.indexOf(abe.approvals)) == "&Approvals (1)"
        table = abe.findChild(QTableWidget, "approvalsTable")
        shown = ("#", "Amount", "Currency", "Recipient", "Prepared by", "Approvals")
        assert [table.item(0, COLUMNS.index(c)).text() for c in shown] == [
            f"#{local_id}",
            "15,000.00",
            "EUR",
            "Ada Lovelace",
            "pia",
            "0 of 1",
        ]
        assert table.item(0, COL_WARNINGS).text().startswith("Far above usual")  # the serious warning, in the row

        # -- the agent claims nothing: a small payout confirmed later is claimed and sent, so the agent has
        # looked for work since; the big one was never claimed ------------------------------------------------
        (sentinel,) = confirm(team_db, rig.identity, 1, first=24)  # 24.00 EUR to Anna Müller: below the rule
        qtbot.waitUntil(lambda: payout_row(team_db, sentinel)[0] == "pending", timeout=FINAL_MS)
        assert payout_row(team_db, local_id) == ("awaiting_approval", 0, None, 1)
        at_provider = sorted(p["amount"] for p in rig.control.payments())
        assert at_provider == ["1200.00", "24.00"]  # nothing of the waiting payout

        # -- the preparer cannot approve: no enabled button, and the database refuses ------------------------
        qtbot.waitUntil(lambda: len(pia.approvals.items) == 1, timeout=LIVE_MS)
        mine = pia.approvals.items[0]
        assert mine.request.local_id == local_id
        assert pia.approvals.selected() is mine
        assert not pia.approvals.findChild(QPushButton, "approveButton").isEnabled()
        assert not pia.approvals.findChild(QPushButton, "rejectButton").isEnabled()
        assert pia.approvals.findChild(QPushButton, "withdrawButton").isEnabled()  # hers: she may take it back
        assert pia.approvals.open_approve() is None
        assert pia.approvals.findChild(QLabel, "approvalsCount").text().startswith("0 payouts wait for your")
        with pytest.raises(ApprovalRefusedError, match=rf"^You prepared payout {local_id}: someone else must approve"):
            run_on_loop(qtbot, pia.approvals.service.approve(mine.request))  # as pia, on her desk's connection
        assert approvals_of(team_db, local_id) == []

        # -- the approver opens it: warnings, the retype, Enter never approves --------------------------------
        assert abe.approvals.findChild(QLabel, "approvalsCount").text().startswith("1 payout waits for your")
        approve_button = abe.approvals.findChild(QPushButton, "approveButton")
        assert approve_button.isEnabled()
        qtbot.mouseClick(approve_button, Qt.MouseButton.LeftButton)
        dialog = abe.approvals.dialog
        assert dialog is not None
        qtbot.waitUntil(dialog.isVisible, timeout=3000)
        accepted: list[bool] = []
        dialog.accepted.connect(lambda: accepted.append(True))
        warnings = dialog.findChild(QLabel, "approvalWarnings")
        assert "Far above usual: €15,000.00 is 12.5× the largest payout to this recipient" in warnings.text()
        assert "1 earlier payout to this recipient in EUR in the last 365 days, always €1,200.00" in warnings.text()
        assert dialog.findChild(QLabel, "approvalAmount").text() == "€15,000.00"
        approve_confirm = dialog.findChild(QPushButton, "approveConfirmButton")
        retype = dialog.findChild(QLineEdit, "approvalRetypeEdit")
        assert retype is not None  # 15,000.00 ≥ the team's 12,000.00
        assert not approve_confirm.isEnabled()
        qtbot.keyClicks(retype, "1500.00")  # a slip of a zero: refused
        assert not approve_confirm.isEnabled()
        assert dialog.findChild(QLabel, "approvalRetypeError").text()
        qtbot.mouseClick(approve_confirm, Qt.MouseButton.LeftButton)
        qtbot.keyClick(retype, Qt.Key.Key_Return)
        assert dialog.isVisible()
        retype.clear()
        qtbot.keyClicks(retype, AMOUNT)
        assert approve_confirm.isEnabled()
        assert dialog.findChild(QLabel, "approvalRetypeError").text() == ""
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # Enter, in the retype field and on the dialog
            qtbot.keyClick(retype, key)
            qtbot.keyClick(dialog, key)
        QApplication.processEvents()
        assert dialog.isVisible()
        assert accepted == []
        assert approvals_of(team_db, local_id) == []
        assert payout_row(team_db, local_id)[0] == "awaiting_approval"

        qtbot.mouseClick(approve_confirm, Qt.MouseButton.LeftButton)  # the explicit approval
        assert accepted == [True]

        # -- the agent creates it once; the preparer's desk opens its checkin page -------------------------
        qtbot.waitUntil(lambda: bool(opened) and bool(loads), timeout=FINAL_MS)
        pia.flow.checkinOpened.disconnect(on_checkin)
        assert loads[0] is True, "the checkin page did not load"
        checkin = opened[0]
        assert checkin.local_id == local_id
        assert approvals_of(team_db, local_id) == [("abe", True)]
        qtbot.waitUntil(lambda: not abe.approvals.items and queue_rows(abe) == 0, timeout=LIVE_MS)
        assert tabs.tabText(tabs.indexOf(abe.approvals)) == "&Approvals (0)"
        qtbot.waitUntil(lambda: "Approved by abe" in pia.approvals.notice.text(), timeout=LIVE_MS)
        assert pia.approvals.notice.text().endswith(
            f"Your payout #{local_id}: Approved by abe (1 of 1 approval); ready to send."
        )
        big = [p for p in rig.control.payments() if p["amount"] == AMOUNT]
        assert len(big) == 1
        assert (big[0]["currency"], big[0]["status"]) == ("EUR", "pending")
        complete_checkin(qtbot, checkin, IBAN)
        qtbot.waitUntil(lambda: not shiboken6.isValid(checkin) or not checkin.isVisible(), timeout=5000)

        # -- the webhook: delivered to the agent, kept; succeeded on both desks -----------------------------
        for window in (pia, abe):
            qtbot.waitUntil(lambda w=window: row_status(w, local_id) == "succeeded", timeout=FINAL_MS)
        payment_id = big[0]["id"]
        qtbot.waitUntil(lambda: any(delivered_final(d, payment_id) for d in rig.control.webhooks()), timeout=FINAL_MS)
        agent.output.expect(rf"webhook \S+ for payout {local_id}: kept", timeout=FINAL_MS / 1000)
        with psycopg.connect(team_db.admin) as conn:
            kept = conn.execute(
                "SELECT count(*) FROM payout_desk.webhooks WHERE payment_id = %s AND local_id = %s",
                (payment_id, local_id),
            ).fetchone()
        assert kept is not None
        assert kept[0] >= 1
        status, generation, _holder, _required = payout_row(team_db, local_id)
        assert (status, generation) == ("succeeded", 1)  # claimed once: after its approval
        payments = [p for p in rig.control.payments() if p["amount"] == AMOUNT]
        assert len(payments) == 1  # exactly once at the provider
        assert payments[0]["status"] == "succeeded"
        assert len(rig.control.payments()) == 3  # and the earlier one and the sentinel: nothing else
        # What was approved is what was sent: the body hash confirmed, approved and sent is one, with the key
        # journaled at confirmation.
        with psycopg.connect(team_db.admin) as conn:
            said = dict(
                conn.execute(
                    "SELECT kind, detail FROM payout_desk.events WHERE local_id = %s"
                    " AND kind IN ('confirmed', 'approval_granted', 'attempt')",
                    (local_id,),
                ).fetchall()
            )
        assert said["confirmed"]["body_sha256"] == said["approval_granted"]["body_sha256"]
        assert said["attempt"]["body_sha256"] == said["confirmed"]["body_sha256"]
        assert payments[0]["idempotencyKey"] == said["confirmed"]["idempotency_key"]

        # -- the timeline on a desk shows the approval: who, k of N -----------------------------------------
        history = pia.history
        row = history.model.row_of(local_id)
        assert row is not None
        with qtbot.waitSignal(history.details.eventsLoaded, timeout=LIVE_MS):
            history.select_row(row)
        timeline = history.details.timeline
        lines = [(timeline.item(i).data(WhatRole), timeline.item(i).data(WhoRole)) for i in range(timeline.count())]
        assert ("Approved by abe (1 of 1 approval); ready to send", "abe") in lines
        whats = [what for what, _who in lines]
        assert whats[0] == (f"Confirmed and recorded ({rig.identity.environment}, profile {rig.identity.profile})"
                            "; waits for 1 approval")  # fmt: skip
        assert whats.index("Approved by abe (1 of 1 approval); ready to send") < next(
            i for i, what in enumerate(whats) if what.startswith("Created at the provider")
        )
        assert agent.stop() == 0
        assert token not in agent.output.text()
    finally:
        close_desk(qtbot, pia)
        close_desk(qtbot, abe)


def delivered_final(delivery: dict[str, Any], payment_id: str) -> bool:
    """A webhook delivery for ``payment_id`` with its final status, answered 2xx by the agent."""
    body = json.loads(delivery["body"])
    return body.get("id") == payment_id and body.get("status") == "succeeded" and 200 <= delivery["status"] < 300
