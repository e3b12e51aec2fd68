"""Copy-link on a team desk (issue 20): the history row action ``copyCheckinLinkAction`` copies the checkin URL
the agent got from the provider (the sandbox's own page for that payment), and is disabled while no link
exists yet — a payout confirmed but not yet sent by the agent. The desk itself holds no token."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QGuiApplication

from tests.e2e.helpers import row_status
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.agent import conftest as agent_rig
from tests.integration.agent.conftest import Rig
from tests.integration.postgres.team_setup import confirm

rig = agent_rig.rig  # the sandbox in its own process, the team whose provider it is; the agent started below


def test_copy_link_copies_the_agents_checkin_url_and_waits_for_one(qtbot: Any, rig: Rig, tmp_path: Path) -> None:
    (local_id,) = confirm(rig.team_db, rig.identity, 1)  # by pia; no agent yet: nothing sent, no link
    desk = open_desk(qtbot, rig.team_db.as_person("bob", "preparer"), tmp_path / "bob")
    try:
        panel = desk.history
        copy_link = desk.menus.actions["copyCheckinLinkAction"]
        qtbot.waitUntil(lambda: row_status(desk, local_id) == "confirmed", timeout=10000)
        assert not copy_link.isEnabled()  # nothing selected
        panel.select_row(panel.model.row_of(local_id))
        assert panel.current_record().local_id == local_id
        assert panel.current_record().checkin_url is None
        assert not copy_link.isEnabled()  # selected, but no link exists yet
        menu = panel.row_actions.menu()
        assert not next(a for a in menu.actions() if a.objectName() == "copyCheckinLinkAction").isEnabled()
        menu.deleteLater()

        rig.agent(token=rig.token)  # the agent sends it; its created event reaches the desk through the feed
        qtbot.waitUntil(lambda: row_status(desk, local_id) == "pending", timeout=30000)
        qtbot.waitUntil(copy_link.isEnabled, timeout=5000)  # the selected row's new data enables it
        (payment,) = rig.control.payments()
        assert payment["url"].startswith(rig.base_url + "/")
        QGuiApplication.clipboard().clear()
        copy_link.trigger()
        assert QGuiApplication.clipboard().text() == payment["url"]  # the provider's page for that payment
        assert panel.current_record().checkin_url == payment["url"]
        assert "send it to the recipient" in panel.message.text()
    finally:
        close_desk(qtbot, desk)
