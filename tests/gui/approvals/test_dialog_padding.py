"""Second audit N7: a body padded with 200 metadata entries (and a second "Amount", a webhookUrl) no longer hides
a field below the screen's edge. The fields to check come first, the metadata scrolls in a bounded box with its
count, and the dialog fits 1024×640 with its buttons in view."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QWidget

from payout_desk.domain.approval_warnings import ApprovalWarning
from payout_desk.journal.postgres import approvals
from payout_desk.ui.approvals.dialogs import ApproveDialog, RejectDialog
from payout_desk.ui.sending.submit_flow import checkin_return_url
from tests.fixtures.bodies import padded_metadata
from tests.fixtures.postgres import TeamDb
from tests.gui.approvals.test_dialogs import request
from tests.integration.postgres.approvals_setup import confirm, person, rule, team

EVIL = "https://evil.example.com/hook"
PADDED = json.dumps(
    {
        "amount": "1500.00",
        "currency": "EUR",
        "type": "payout",
        "customer": {"name": "Hideco"},
        "externalId": "HIDE-1",
        "description": "Invoice 7",
        "metadata": padded_metadata(200),
        "redirectUrl": checkin_return_url(),
        "Amount": "15000000.00",
        "webhookUrl": EVIL,
    },
    separators=(",", ":"),
)


def _in_view(dialog: QWidget, widget: QWidget) -> bool:
    """Whether ``widget`` is shown wholly inside the dialog's own rectangle."""
    top_left = widget.mapTo(dialog, QPoint(0, 0))
    return widget.isVisible() and dialog.rect().contains(top_left) and top_left.y() + widget.height() <= dialog.height()


def test_a_padded_body_shows_the_dangerous_fields_first_and_fits_the_screen(qtbot: Any) -> None:
    dialog = ApproveDialog(request(amount="1500.00", body=PADDED), [], locale_name="en_US")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= 640
    assert dialog.width() <= 1024
    danger = dialog.findChild(QPlainTextEdit, "approvalDangerFields")
    assert danger.toPlainText().splitlines() == [
        "Amount: 15000000.00   ← a field the desk never writes",
        f"webhookUrl: {EVIL}   ← the provider sends this payout's events to this address",
    ]
    heading = dialog.findChild(QLabel, "approvalDangerHeading")
    assert heading.text().startswith("⚠ Check first — 2 fields")
    # above the details: in view without scrolling, as are both buttons
    for shown in (heading, danger, dialog.findChild(QPushButton, "approveConfirmButton"), dialog.cancel_button):
        assert _in_view(dialog, shown), shown.objectName()
    assert dialog.findChild(QLabel, "approvalMetadataCount").text() == "200 metadata entries"
    metadata = dialog.findChild(QPlainTextEdit, "approvalMetadataFields")
    assert metadata.toPlainText().splitlines()[199] == "k199: " + "p" * 40
    assert metadata.height() < 120  # bounded: the 200 lines scroll inside it
    # the desk's own checkin return address is no danger; it is listed with the rest
    assert dialog.findChild(QLabel, "approvalBodyFields").text() == f"redirectUrl: {checkin_return_url()}"
    shots = os.environ.get("PAYOUT_DESK_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        dialog.grab().save(str(Path(shots) / "approve-padded-200.png"))


def test_with_every_other_part_at_its_tallest_the_buttons_stay_in_view(qtbot: Any) -> None:
    """A long description, serious warnings and the retype line as well: the details scroll, nothing else moves."""
    long = request(amount="15000.00", body=PADDED, description="Invoice " + "word " * 50)
    warnings = [ApprovalWarning(f"w{n}", "Far above usual: " + "much more " * 20, serious=True) for n in range(4)]
    dialog = ApproveDialog(long, warnings, retype_threshold=Decimal("10000"))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= 640
    for name in ("approvalDangerFields", "approvalRetypeEdit", "approveConfirmButton", "approveConfirmButtonCancel"):
        assert _in_view(dialog, dialog.findChild(QWidget, name)), name
    shots = os.environ.get("PAYOUT_DESK_SHOTS")
    if shots:
        dialog.grab().save(str(Path(shots) / "approve-padded-tallest.png"))


def test_the_rejection_of_a_padded_body_fits_too(qtbot: Any) -> None:
    dialog = RejectDialog(request(amount="1500.00", body=PADDED))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= 640
    assert _in_view(dialog, dialog.findChild(QPlainTextEdit, "approvalDangerFields"))
    assert _in_view(dialog, dialog.findChild(QPushButton, "rejectConfirmButton"))


def test_a_desks_own_body_needs_no_check_first_box(qtbot: Any) -> None:
    body = json.dumps(
        {"amount": "12.00", "currency": "EUR", "type": "payout", "customer": {"id": "cus_1", "name": "Ada"},
         "metadata": {"order": "7"}, "redirectUrl": checkin_return_url()},
        separators=(",", ":"),
    )  # fmt: skip
    dialog = ApproveDialog(request(amount="12.00", body=body), [])
    qtbot.addWidget(dialog)
    assert dialog.findChild(QPlainTextEdit, "approvalDangerFields") is None
    assert dialog.findChild(QLabel, "approvalMetadataCount").text() == "1 metadata entry"
    assert dialog.findChild(QLabel, "approvalBodyFields").text().splitlines() == [
        "customer.id: cus_1",
        f"redirectUrl: {checkin_return_url()}",
    ]


def test_the_audits_padded_payout_read_from_the_team_database(team_db: TeamDb, qtbot: Any) -> None:
    """N7's repro on real PostgreSQL: a payout awaiting approval whose body was padded behind the desk's back (the
    superuser past every trigger: migration 0020 refuses such a body), read by the approver's queue query."""
    identity = team(team_db)
    rule(team_db, "EUR", "1000", 1)
    local_id, _ = confirm(team_db, identity, "1500.00", ref="HIDE-1")
    padded = PADDED.replace(f'"redirectUrl":"{checkin_return_url()}",', "")
    with psycopg.connect(team_db.admin) as conn:
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("UPDATE payout_desk.payouts SET request_body = %s WHERE local_id = %s", (padded, local_id))
    with person(team_db, "bob") as conn:
        (shown,) = approvals.approval_queue(conn)
    assert shown.body == padded
    dialog = ApproveDialog(shown, [])
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.height() <= 640  # the audit measured 533×3146 px
    danger = dialog.findChild(QPlainTextEdit, "approvalDangerFields")
    assert _in_view(dialog, danger)
    assert "Amount: 15000000.00" in danger.toPlainText()
    assert f"webhookUrl: {EVIL}" in danger.toPlainText()
    assert _in_view(dialog, dialog.findChild(QPushButton, "approveConfirmButton"))
    assert dialog.findChild(QLabel, "approvalMetadataCount").text() == "200 metadata entries"
    shots = os.environ.get("PAYOUT_DESK_SHOTS")
    if shots:
        dialog.grab().save(str(Path(shots) / "approve-padded-from-db.png"))
