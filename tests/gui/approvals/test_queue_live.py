"""The approvals queue against a real PostgreSQL with two people (issue 21): a 15,000.00 EUR payout waits
for one approval; its preparer cannot approve it (no enabled button, and the database refuses); the approver's
queue shows it with its warnings and approves it with the retype; a rejection's reason reaches the preparer;
the preparer withdraws. Both desks follow the feed live."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any

import psycopg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPlainTextEdit, QPushButton, QTabWidget

from payout_desk.domain.approvals import ApprovalRefusedError
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.store import PgJournal
from payout_desk.services.approvals import ApprovalsService
from payout_desk.ui.approvals.dialogs import ApproveDialog, RejectDialog, WithdrawDialog
from payout_desk.ui.approvals.panel import COLUMNS, ApprovalsPanel
from payout_desk.ui.history.details_pane import DetailsPane
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import row, send
from tests.integration.postgres.team_setup import set_provider
from tests.unit.journal.helpers import request

set_rule = pytest.importorskip("payout_desk.journal.postgres.approvals").set_rule  # approvals-db's API
SANDBOX = "http://127.0.0.1:8765"


class Team:
    def __init__(self, team_db: TeamDb) -> None:
        self.db = team_db
        self.identity = set_provider(team_db, SANDBOX)
        with psycopg.connect(team_db.as_person("ada_admin", "admin"), autocommit=True) as conn:
            set_rule(conn, "EUR", Decimal("10000"), 1, None)
        self.pia = team_db.as_person("pia", "preparer")
        self.abe = team_db.as_person("abe", "approver")

    def confirm(self, amount: str, n: int, status: str = "awaiting_approval", **extra: Any) -> int:
        """Pia confirms a payout to Ada (``extra``: other PayoutRequest fields, e.g. webhook_url)."""
        journal = PgJournal.open(self.pia)
        try:
            payout = request(amount=amount, external_id=f"INV-{n}", recipient_name="Ada Lovelace", recipient_id=None)
            record = journal.record_confirmed(
                dataclasses.replace(payout, **extra),
                idempotency_key=f"00000000-0000-4000-8000-{n:012d}",
                environment=self.identity.environment,
                profile=self.identity.profile,
                actor="pia",
                connection_id=self.identity.key,
            )
        finally:
            journal.close()
        assert record.status == status
        return record.local_id

    def status(self, local_id: int) -> str:
        with psycopg.connect(self.db.admin, autocommit=True) as conn:
            row = conn.execute("SELECT status FROM payout_desk.payouts WHERE local_id = %s", (local_id,)).fetchone()
        assert row is not None
        return str(row[0])


@pytest.fixture
def team(team_db: TeamDb) -> Team:
    return Team(team_db)


@pytest.fixture
def desks(team: Team, qtbot: Any, run_async: Callable[..., Any]) -> Iterator[tuple[ApprovalsPanel, ApprovalsPanel]]:
    """The preparer's and the approver's queues, each on its own journal, started and following the feed."""
    journals = [run_async(AsyncPgJournal.open(conninfo)) for conninfo in (team.pia, team.abe)]
    panels = []
    for journal in journals:
        panel = ApprovalsPanel(ApprovalsService(journal))
        qtbot.addWidget(panel)
        panel.show()
        run_async(panel.start())
        panels.append(panel)
    yield panels[0], panels[1]
    for panel, journal in zip(panels, journals, strict=True):
        run_async(panel.stop())
        run_async(journal.close())


def buttons(panel: ApprovalsPanel) -> tuple[bool, bool, bool]:
    return tuple(  # type: ignore[return-value]
        panel.findChild(QPushButton, name).isEnabled() for name in ("approveButton", "rejectButton", "withdrawButton")
    )


def test_preparer_cannot_approve_and_the_approver_approves_with_the_retype(
    team: Team, desks: tuple[ApprovalsPanel, ApprovalsPanel], qtbot: Any, run_async: Callable[..., Any]
) -> None:
    pia, abe = desks
    local_id = team.confirm("15000.00", 1)
    qtbot.waitUntil(lambda: len(pia.items) == 1 and len(abe.items) == 1, timeout=10_000)  # live from the feed

    assert pia.findChild(QLabel, "approvalsCount").text().startswith("0 payouts wait for your approval")
    assert buttons(pia) == (False, False, True)
    assert pia.open_approve() is None
    with pytest.raises(ApprovalRefusedError, match="Only approvers"):
        run_async(pia.service.approve(pia.items[0].request))  # the database refuses the preparer anyway

    assert abe.findChild(QLabel, "approvalsCount").text().startswith("1 payout waits for your approval")
    assert buttons(abe) == (True, True, False)
    item = abe.items[0]
    assert [w.kind for w in item.warnings] == ["first"]
    assert abe.table.item(0, 1).text() == "15,000.00"
    assert abe.table.item(0, COLUMNS.index("Prepared by")).text() == "pia"
    assert pia.table.item(0, COLUMNS.index("Prepared by")).text() == "pia (you)"

    abe.approve_button.click()
    dialog = abe.dialog
    assert isinstance(dialog, ApproveDialog)
    assert "First payout to this recipient" in dialog.findChild(QLabel, "approvalWarnings").text()
    confirm = dialog.findChild(QPushButton, "approveConfirmButton")
    assert not confirm.isEnabled()
    qtbot.keyClicks(dialog.findChild(QLineEdit, "approvalRetypeEdit"), "15000.00")
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not abe.items and not pia.items, timeout=10_000)
    assert team.status(local_id) == "confirmed"  # the agent may claim it now
    qtbot.waitUntil(lambda: "Approved by abe" in pia.notice.text(), timeout=10_000)
    assert pia.notice.text() == f"Your payout #{local_id}: Approved by abe (1 of 1 approval); ready to send."


def test_a_rejection_needs_a_reason_and_the_preparer_reads_it(
    team: Team, desks: tuple[ApprovalsPanel, ApprovalsPanel], qtbot: Any, run_async: Callable[..., Any]
) -> None:
    pia, abe = desks
    local_id = team.confirm("12000.00", 2)
    qtbot.waitUntil(lambda: len(abe.items) == 1, timeout=10_000)
    abe.reject_button.click()
    dialog = abe.dialog
    assert isinstance(dialog, RejectDialog)
    confirm = dialog.findChild(QPushButton, "rejectConfirmButton")
    assert not confirm.isEnabled()
    qtbot.keyClicks(dialog.findChild(QPlainTextEdit, "rejectReasonEdit"), "The invoice names another IBAN")
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "another IBAN" in pia.notice.text(), timeout=10_000)
    assert pia.notice.text() == (
        f"Your payout #{local_id}: Rejected by abe, an approver: The invoice names another IBAN. Never sent."
    )
    assert team.status(local_id) == "approval_rejected"
    # F11: the preparer's details pane names the approver and the reason, never as the provider's words
    pane = details_of(pia, local_id, qtbot, run_async)
    assert pane.fields["failure"].text() == "Rejected by abe: The invoice names another IBAN"
    assert pane._form.labelForField(pane.fields["failure"]).text() == "Approval:"
    assert "Provider says" not in [label.text() for label in pane.findChildren(QLabel)]


def details_of(panel: ApprovalsPanel, local_id: int, qtbot: Any, run_async: Callable[..., Any]) -> DetailsPane:
    """The history's details pane showing payout ``local_id`` from this desk's journal, its timeline loaded."""
    journal = panel.service.journal
    pane = DetailsPane(events_source=journal)
    qtbot.addWidget(pane)
    pane.show_record(run_async(journal.get(local_id)))
    qtbot.waitUntil(lambda: pane.timeline.count() >= 2, timeout=10_000)
    return pane


def test_the_preparer_withdraws_and_an_approver_never_can(
    team: Team, desks: tuple[ApprovalsPanel, ApprovalsPanel], qtbot: Any, run_async: Callable[..., Any]
) -> None:
    pia, abe = desks
    local_id = team.confirm("11000.00", 3)
    qtbot.waitUntil(lambda: len(abe.items) == 1 and len(pia.items) == 1, timeout=10_000)
    assert abe.withdraw_selected() is None
    with pytest.raises(ApprovalRefusedError):
        run_async(abe.service.withdraw(abe.items[0].request))
    pia.withdraw_button.click()  # asks first (F8): naming the payout, the amount and the recipient
    dialog = pia.dialog
    assert isinstance(dialog, WithdrawDialog)
    assert dialog.findChild(QLabel, "withdrawQuestion").text() == (
        f"Withdraw payout #{local_id}, €11,000.00 to Ada Lovelace?\n"
        "It will never be sent; the approvals given are lost."
    )
    assert dialog.focusWidget() is dialog.cancel_button
    confirm = dialog.findChild(QPushButton, "withdrawConfirmButton")
    assert not confirm.isDefault()
    assert not confirm.autoDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.keyClick(dialog, Qt.Key.Key_Enter)
    assert dialog.isVisible()  # Enter never withdraws
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert team.status(local_id) == "awaiting_approval"
    dialog = pia.withdraw_selected()
    assert isinstance(dialog, WithdrawDialog)
    qtbot.mouseClick(dialog.findChild(QPushButton, "withdrawConfirmButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not abe.items and not pia.items, timeout=10_000)
    assert team.status(local_id) == "withdrawn"
    pane = details_of(abe, local_id, qtbot, run_async)
    assert pane.fields["failure"].text() == "Withdrawn by pia while it awaited approval"
    assert abe.findChild(QLabel, "approvalsCount").text().startswith("0 payouts wait")


SHOTS = os.environ.get("PAYOUT_DESK_SHOTS", "")


@pytest.mark.skipif(not SHOTS, reason="set PAYOUT_DESK_SHOTS=<dir> to take screenshots")
def test_screenshot_of_an_approval_with_warnings(
    team: Team, desks: tuple[ApprovalsPanel, ApprovalsPanel], qtbot: Any, run_async: Callable[..., Any]
) -> None:
    _pia, abe = desks
    for n, amount in enumerate(("1200.00", "4000.00"), start=10):
        paid = team.confirm(amount, n, status="confirmed")  # below the rule: no approval, the recipient's history
        run_async(send(team.db, team.identity, paid, "succeeded"))  # only paid payouts make a history (F33)
    team.confirm("14950.00", 12)
    team.confirm("15000.00", 13, metadata=MappingProxyType({"order": "13"}), webhook_url=HOOK)
    qtbot.waitUntil(lambda: len(abe.items) == 2, timeout=10_000)
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    abe.table.selectRow(1)  # the queue's screenshot is the window's: tests/gui/approvals/test_queue_fits.py
    abe.approve_button.click()
    dialog = abe.dialog
    assert isinstance(dialog, ApproveDialog)
    assert [w.kind for w in abe.items[1].warnings] == ["far_above", "duplicate", "history"]
    qtbot.keyClicks(dialog.findChild(QLineEdit, "approvalRetypeEdit"), "15000.00")
    dialog.adjustSize()
    qtbot.wait(100)
    dialog.grab().save(str(out / "approval-warnings.png"))
    dialog.reject()
    abe.reject_button.click()
    rejection = abe.dialog
    assert isinstance(rejection, RejectDialog)
    qtbot.keyClicks(rejection.reason_edit, "The invoice names another IBAN than the supplier's master data.")
    rejection.reason_edit.insertPlainText("\nPlease check it with Globex and confirm again.")
    rejection.adjustSize()
    qtbot.wait(100)
    rejection.grab().save(str(out / "rejection-dialog.png"))
    rejection.reject()


HOOK = "https://hooks.example.net/payouts"


def test_the_approval_shows_the_body_fields_the_database_holds(
    team: Team, desks: tuple[ApprovalsPanel, ApprovalsPanel], qtbot: Any
) -> None:
    """F26: what the approval's hash covers and the dialog has no line for (metadata, webhookUrl) is shown, read
    from the journal's confirmed body, and the hash approved is that very body's."""
    _pia, abe = desks
    local_id = team.confirm("15000.00", 40, metadata=MappingProxyType({"order": "40"}), webhook_url=HOOK)
    qtbot.waitUntil(lambda: len(abe.items) == 1, timeout=10_000)
    abe.table.selectRow(0)
    abe.approve_button.click()
    dialog = abe.dialog
    assert isinstance(dialog, ApproveDialog)
    assert dialog.findChild(QPlainTextEdit, "approvalMetadataFields").toPlainText() == "order: 40"
    assert dialog.findChild(QPlainTextEdit, "approvalDangerFields").toPlainText() == (
        f"webhookUrl: {HOOK}   ← the provider sends this payout's events to this address"
    )
    hashed = row(team.db, local_id, "encode(sha256(convert_to(request_body, 'UTF8')), 'hex')")
    assert dialog.request.body_hash == hashed[0]
    dialog.reject()


def test_the_main_window_shows_the_queue_as_a_tab_with_the_waiting_count(
    team: Team, desks: tuple[ApprovalsPanel, ApprovalsPanel], qtbot: Any, data_dir: Path
) -> None:
    from payout_desk.app.context import AppContext, AppPaths, LaunchOptions
    from payout_desk.ui.frame.main_window import MainWindow

    _pia, abe = desks
    window = MainWindow(AppContext(LaunchOptions(sandbox=True, data_dir=data_dir), AppPaths.resolve(data_dir)))
    qtbot.addWidget(window)
    window.show()
    tabs = window.findChild(QTabWidget, "mainTabs")
    assert tabs.count() == 1
    assert not tabs.tabBar().isVisible()  # a single desk looks as before: no tab bar
    window.install_approvals(abe)
    assert tabs.count() == 2
    assert tabs.tabBar().isVisible()
    assert tabs.widget(1).objectName() == "approvalsTab"
    team.confirm("15000.00", 20)
    qtbot.waitUntil(lambda: tabs.tabText(1) == "&Approvals (1)", timeout=10_000)
    window.hide()


def test_a_preparer_who_is_also_an_approver_never_approves_their_own(
    team: Team, qtbot: Any, run_async: Callable[..., Any]
) -> None:
    both = team.db.as_person("pia", "preparer", "approver")
    journal = run_async(AsyncPgJournal.open(both))
    panel = ApprovalsPanel(ApprovalsService(journal))
    qtbot.addWidget(panel)
    try:
        run_async(panel.start())
        team.confirm("15000.00", 30)
        qtbot.waitUntil(lambda: len(panel.items) == 1, timeout=10_000)
        assert panel.service.person.approver
        assert buttons(panel) == (False, False, True)
        with pytest.raises(ApprovalRefusedError, match="someone else must approve"):
            run_async(panel.service.approve(panel.items[0].request))
    finally:
        run_async(panel.stop())
        run_async(journal.close())
