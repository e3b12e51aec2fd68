"""The preparer's team desk is told what became of their payouts waiting for approval (audit F17): the confirmation
says before Confirm how many approvals the team's rules ask; after Confirm the status bar says it waits for N
approvals until its expiry; each approval (k of N), the last one ("the agent sends it"), a rejection (who and the
reason) reach the desk's notifier; the checkin page opens when the agent's created event comes, even for a payout
confirmed before another one. While the team database is lost the status bar does not say "Connected" (F29).

Real PostgreSQL, the desks opened by ``launch``; the approvers decide through the database functions and the
agent's writes are its own journal calls (the provider is never called: its address is a closed port)."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from payout_desk.domain.approvals import body_hash
from payout_desk.domain.identity import ConnectionIdentity
from payout_desk.journal.postgres import approvals
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.approvals_setup import person, send
from tests.integration.postgres.team_setup import set_provider
from tests.unit.journal.helpers import request

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk
REASON = "Wrong IBAN on the invoice"


def run(qtbot: Any, awaitable: Any) -> Any:
    future = asyncio.ensure_future(awaitable)
    qtbot.waitUntil(future.done, timeout=10000)
    return future.result()


def confirm_in_dialog(qtbot: Any, window: Any, amount: str, ref: str) -> tuple[Any, str]:
    """Open the confirmation for ``amount`` EUR, read its approvals line, confirm; (the record, that line)."""
    payout = request(amount=amount, external_id=ref, recipient_id=None, recipient_name="Globex")
    with qtbot.waitSignal(window.flow.confirmOpened, timeout=10000) as opened:
        window.flow.open_confirm(payout)
    dialog = opened.args[0]
    line = dialog.findChild(QLabel, "confirmApprovals")
    assert line is not None
    text = line.text()
    retype = dialog.findChild(QLineEdit, "retypeAmountEdit")
    if retype is not None:
        qtbot.keyClicks(retype, amount)
    button = dialog.findChild(QPushButton, "confirmButton")
    assert button.isEnabled()
    with qtbot.waitSignal(window.flow.submitted, timeout=10000) as submitted:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return submitted.args[0], text


def team_asking(team_db: TeamDb, approvers: int) -> ConnectionIdentity:
    """The team's provider set, EUR from 10,000.00 asking ``approvers`` approvals, approver abe and the agent."""
    identity = set_provider(team_db, PROVIDER)
    with psycopg.connect(team_db.as_person("ada_admin", "admin"), autocommit=True) as conn:
        approvals.set_rule(conn, "EUR", Decimal("10000"), approvers, None)
    team_db.as_person("abe", "approver")
    team_db.as_person("agent_a", "agent")
    return identity


def decide(team_db: TeamDb, login: str, local_id: int, *, reason: str | None = None) -> None:
    with person(team_db, login) as conn:
        if reason is not None:
            approvals.reject(conn, local_id, reason)
            return
        (body,) = conn.execute(
            "SELECT request_body FROM payout_desk.payouts WHERE local_id = %s", (local_id,)
        ).fetchone()
        approvals.approve(conn, local_id, body_hash(body))


def test_the_preparer_is_told_of_each_approval_the_rejection_and_the_checkin_opens(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    identity = team_asking(team_db, 2)
    team_db.as_person("cy", "approver")
    window = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    notes: list[tuple[str, str]] = []
    window.notifier.notified.connect(lambda title, message: notes.append((title, message)))
    opened: list[Any] = []
    window.flow.checkinOpened.connect(opened.append)
    try:
        first, line = confirm_in_dialog(qtbot, window, "15000.00", "GLOBEX-A")
        assert line.startswith("Waits for 2 approvals (someone other than you) before it is sent")
        assert first.status == "awaiting_approval"
        qtbot.waitUntil(
            lambda: (
                window.statusBar()
                .currentMessage()
                .startswith(f"Payout #{first.local_id} saved; it waits for 2 approvals until ")
            ),
            timeout=5000,
        )
        assert window.statusBar().currentMessage().endswith(", then the agent sends it.")
        second, _ = confirm_in_dialog(qtbot, window, "12000.00", "GLOBEX-B")  # confirmed after the first
        assert second.status == "awaiting_approval"

        decide(team_db, "abe", first.local_id)
        qtbot.waitUntil(lambda: len(notes) == 1, timeout=10000)
        assert notes[0][0] == "Payout approved (1 of 2)"
        assert notes[0][1] == f"€15,000.00 to Globex (#{first.local_id}) approved by abe; it waits for 1 more."

        decide(team_db, "cy", first.local_id)
        qtbot.waitUntil(lambda: len(notes) == 2, timeout=10000)
        assert notes[1] == (
            "Payout approved",
            f"€15,000.00 to Globex (#{first.local_id}) approved by cy (2 of 2) — the agent sends it; its checkin"
            " page opens here.",
        )
        assert window.statusBar().currentMessage() == notes[1][1]  # the status bar says it too

        # the agent's created event opens the first payout's checkin page, though another was confirmed since
        url = f"{PROVIDER}/checkin/pay_{first.local_id}"
        run(qtbot, send(team_db, identity, first.local_id, None, checkin_url=url))
        qtbot.waitUntil(lambda: len(opened) == 1, timeout=10000)
        assert opened[0].local_id == first.local_id
        opened[0].reject()

        decide(team_db, "abe", second.local_id, reason=REASON)
        qtbot.waitUntil(lambda: len(notes) == 3, timeout=10000)
        assert notes[2] == (
            "Payout rejected by an approver",
            f"€12,000.00 to Globex (#{second.local_id}) was rejected by abe: “{REASON}”. Nothing was sent.",
        )
        assert second.local_id not in window.flow.team.awaiting
    finally:
        close_desk(qtbot, window)


def test_a_small_payout_says_no_approval_and_someone_elses_decision_is_not_notified(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    team_asking(team_db, 1)
    dora = open_desk(qtbot, team_db.as_person("dora", "preparer"), tmp_path / "dora")
    pia = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    notes: list[tuple[str, str]] = []
    pia.notifier.notified.connect(lambda title, message: notes.append((title, message)))
    dora_notes: list[tuple[str, str]] = []
    dora.notifier.notified.connect(lambda title, message: dora_notes.append((title, message)))
    try:
        small, line = confirm_in_dialog(qtbot, pia, "50.00", "SMALL")
        assert line == "No approval needed by the team's rules: the team's agent sends it once you confirm."
        assert small.status == "confirmed"
        theirs, _ = confirm_in_dialog(qtbot, dora, "20000.00", "DORA-1")
        decide(team_db, "abe", theirs.local_id, reason=REASON)
        qtbot.waitUntil(lambda: len(dora_notes) == 1, timeout=10000)
        assert dora_notes[0][0] == "Payout rejected by an approver"
        qtbot.wait(300)  # pia's desk got the same feed batch by now; it is not her payout
        assert notes == []
    finally:
        close_desk(qtbot, pia)
        close_desk(qtbot, dora)


def test_the_connection_label_does_not_say_connected_while_the_database_is_lost(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    set_provider(team_db, PROVIDER)
    window = open_desk(qtbot, team_db.as_person("vera", "viewer"), tmp_path / "vera")
    states: list[bool] = []
    try:
        window.context.desk.subscribe_state(states.append)
        label = window.connection_label
        connected = label.text()
        assert connected.startswith("Connected: ")
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("ALTER ROLE vera NOLOGIN")  # it cannot come back until we say so
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'vera'")
        qtbot.waitUntil(lambda: states == [False], timeout=10000)
        assert "Connected" not in label.text()
        assert label.text().startswith("Lost the team database ")
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("ALTER ROLE vera LOGIN")
        qtbot.waitUntil(lambda: states == [False, True], timeout=15000)
        assert label.text() == connected
    finally:
        close_desk(qtbot, window)


def test_a_team_desk_at_1024_keeps_status_amount_and_totals_readable(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    from payout_desk.domain.totals import group_totals
    from payout_desk.ui.history.columns import COL_AMOUNT, COL_CREATED_BY, COL_CURRENCY, COL_STATUS

    set_provider(team_db, PROVIDER)
    window = open_desk(qtbot, team_db.as_person("vera", "viewer"), tmp_path / "vera")
    try:
        window.resize(1024, 640)
        qtbot.waitUntil(lambda: window.history is not None and window.history.table.isVisible(), timeout=10000)
        table = window.history.table
        header = table.horizontalHeader()
        assert header.visualIndex(COL_CREATED_BY) == header.visualIndex(COL_CURRENCY) + 1  # in view, after the money
        assert not table.isColumnHidden(COL_CREATED_BY)
        qtbot.waitUntil(
            lambda: table.columnWidth(COL_STATUS) > table.fontMetrics().horizontalAdvance("Rejected by an approver"),
            timeout=5000,
        )
        right = header.sectionViewportPosition(COL_AMOUNT) + table.columnWidth(COL_AMOUNT)
        assert right <= table.viewport().width()  # the amount is never cut at 1024 px
        bar = window.history.totals
        rows = [("EUR", "pending", 3, Decimal("15151.00")), ("EUR", "approval_rejected", 2, Decimal("1234717.89")),
                ("EUR", "awaiting_approval", 1, Decimal("250.00")), ("EUR", "succeeded", 1, Decimal("100.00")),
                ("EUR", "withdrawn", 1, Decimal("15000.00"))]  # fmt: skip
        bar.show_totals(group_totals(rows))
        assert bar.text() == (
            "EUR · 5 payouts €15,501.00; not sent: 3 payouts €1,249,717.89 (hover for each status)"
        )  # said in short at this width: the table keeps its rows
        assert "1 withdrawn €15,000.00" in bar.toolTip()
        description = window.banner.accessibleDescription()
        assert "sent to: TEAM" not in description
        assert description.endswith(f"the team's agent sends them to {PROVIDER}")
    finally:
        close_desk(qtbot, window)


def test_the_preparer_is_told_of_a_withdrawal_and_an_expiry(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    from tests.integration.postgres.approvals_setup import overdue

    team_asking(team_db, 2)
    window = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    notes: list[tuple[str, str]] = []
    window.notifier.notified.connect(lambda title, message: notes.append((title, message)))
    try:
        taken, _ = confirm_in_dialog(qtbot, window, "15000.00", "TAKEN-BACK")
        late, _ = confirm_in_dialog(qtbot, window, "16000.00", "TOO-LATE")
        with person(team_db, "pia") as conn:
            approvals.withdraw(conn, taken.local_id)
        qtbot.waitUntil(lambda: len(notes) == 1, timeout=10000)
        assert notes[0] == (
            "Payout withdrawn",
            f"€15,000.00 to Globex (#{taken.local_id}) was withdrawn by you: it will never be sent.",
        )
        decide(team_db, "abe", late.local_id)  # 1 of 2
        qtbot.waitUntil(lambda: len(notes) == 2, timeout=10000)
        overdue(team_db, late.local_id)
        with person(team_db, "abe") as conn:
            assert approvals.expire_overdue(conn) == 1
        qtbot.waitUntil(lambda: len(notes) == 3, timeout=10000)
        assert notes[2] == (
            "Payout expired",
            f"€16,000.00 to Globex (#{late.local_id}) expired without its approvals (1 of 2 approvals): it will never"
            " be sent.",
        )
        assert window.flow.team.awaiting == set()  # nothing left to wait for
    finally:
        close_desk(qtbot, window)


def test_a_payout_approved_while_the_desk_was_closed_is_named_when_it_opens(
    qtbot: Any, team_db: TeamDb, tmp_path: Path
) -> None:
    from tests.integration.postgres.approvals_setup import confirm

    identity = team_asking(team_db, 1)
    local_id, _ = confirm(team_db, identity, "15000.00", ref="WHILE-AWAY")  # pia's, her desk closed
    decide(team_db, "abe", local_id)
    run(qtbot, send(team_db, identity, local_id, None, checkin_url=f"{PROVIDER}/checkin/pay_{local_id}"))
    window = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    try:
        qtbot.waitUntil(lambda: "Approved and at the provider" in window.statusBar().currentMessage(), timeout=10000)
        assert window.statusBar().currentMessage() == (
            f"Approved and at the provider: #{local_id} — its checkin page is on its history row (Reopen checkin…,"
            " Copy checkin link)."
        )
        assert window.flow.checkin_dialog is None  # not opened by itself
    finally:
        close_desk(qtbot, window)
