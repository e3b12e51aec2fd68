"""The payout form on a team desk for each role (F10): an approver's and a viewer's form is disabled (greyed, not
editable-looking) with words right for the role that fit a 1024×640 window; a preparer's stays as it was."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from payout_desk.ui.sending.role_notice import NOT_A_PREPARER
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.team_setup import set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk
SHOTS = os.environ.get("PAYOUT_DESK_SHOTS", "")


@contextmanager
def _desk(qtbot: Any, team_db: TeamDb, tmp_path: Path, login: str, role: str) -> Iterator[Any]:
    set_provider(team_db, PROVIDER)
    window = open_desk(qtbot, team_db.as_person(login, role), tmp_path / login)
    try:
        yield window
    finally:
        close_desk(qtbot, window)


def _fits(label: QLabel) -> bool:
    """The label shows all its text: one line wide enough, or wrapped and tall enough."""
    if label.wordWrap():
        return label.height() >= label.heightForWidth(label.width())
    return label.fontMetrics().horizontalAdvance(label.text()) <= label.contentsRect().width()


def _form_at_1024x640(qtbot: Any, window: Any) -> tuple[QLabel, QLabel]:
    window.resize(1024, 640)
    window.show()
    qtbot.waitExposed(window)
    notice = window.findChild(QLabel, "formRoleNotice")
    status = window.findChild(QLabel, "formStatus")
    qtbot.wait(50)  # one pass of the layout at the new size
    return notice, status


def test_an_approvers_form_is_off_and_says_they_approve_here(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    with _desk(qtbot, team_db, tmp_path, "ben", "approver") as window:
        notice, status = _form_at_1024x640(qtbot, window)
        assert notice is not None
        assert notice.isVisible()
        assert notice.text() == "You approve payouts here (the Approvals tab); preparing them needs the preparer role."
        assert _fits(notice)
        assert status.text() == NOT_A_PREPARER
        assert _fits(status)
        assert "View only" not in status.text()
        for name in ("amountEdit", "descriptionEdit", "recipientIdEdit", "recipientNameEdit", "externalIdEdit"):
            edit = window.findChild(QLineEdit, name)
            assert edit is not None, name
            assert not edit.isEnabled(), name  # greyed: nothing looks typeable
        assert not window.findChild(QPushButton, "submitButton").isEnabled()
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            window.grab().save(str(Path(SHOTS) / "approver-desk-1024x640.png"))


def test_a_viewers_form_is_off_and_says_view_only(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    with _desk(qtbot, team_db, tmp_path, "vic", "viewer") as window:
        notice, status = _form_at_1024x640(qtbot, window)
        assert notice.text() == "View only: you may look at the team's payouts; preparing them needs the preparer role."
        assert _fits(notice)
        assert _fits(status)
        assert not window.findChild(QLineEdit, "amountEdit").isEnabled()


def test_a_preparers_form_has_no_notice(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    with _desk(qtbot, team_db, tmp_path, "pia", "preparer") as window:
        notice = window.findChild(QLabel, "formRoleNotice")
        assert notice is None or not notice.isVisible()
        assert window.findChild(QLineEdit, "amountEdit").isEnabled()
