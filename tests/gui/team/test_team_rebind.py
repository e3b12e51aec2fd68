"""Audit F16 on the desk: re-binding a team's payouts is an app admin's decision in the team database, so a team
desk (a preparer's, an approver's or a viewer's) never offers the re-bind banner, even while payouts of an
earlier provider are open, and its desk service refuses a re-bind in words; the payouts stay where they were."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import psycopg
import pytest

from payout_desk.services.team_desk import TeamRefusedError
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.team_setup import confirm, set_provider


@pytest.mark.parametrize("role", ["preparer", "approver", "viewer"])
def test_a_team_desk_never_offers_the_rebind(qtbot: Any, team_db: TeamDb, tmp_path: Path, role: str) -> None:
    old = set_provider(team_db, "http://127.0.0.1:9")
    (local_id,) = confirm(team_db, old, 1)
    set_provider(team_db, "http://127.0.0.1:10")  # an admin changed the team's provider: #local_id is the old one's
    window = open_desk(qtbot, team_db.as_person(f"desk_{role}", role), tmp_path / role)
    try:
        if window.waiting_banner.task is not None:
            qtbot.waitUntil(window.waiting_banner.task.done, timeout=10000)
        assert not window.waiting_banner.isVisibleTo(window)
        assert not window.waiting_banner.button.isVisibleTo(window)
        desk = window.context.desk
        with pytest.raises(TeamRefusedError, match="an administrator"):
            qtbot_run(qtbot, desk.rebind(old.key, reason="clicked"))
    finally:
        close_desk(qtbot, window)
    with psycopg.connect(team_db.admin) as conn:
        assert conn.execute(
            "SELECT connection_id FROM payout_desk.payouts WHERE local_id = %s", (local_id,)
        ).fetchone() == (old.key,)


def qtbot_run(qtbot: Any, coro: Any) -> Any:
    """Run ``coro`` on the window's event loop (qasync) until done; its result or its exception."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=10000)
    return task.result()
