"""Final statuses on a team desk are told only to the payout's preparer (created_by is the desk's login): pia's
desk hears of pia's payout succeeding and not of dora's failing, dora's desk the other way round, and a viewer's
desk of neither. Real PostgreSQL, desks opened by ``launch``; the agent's writes are its own journal calls (the
provider is never called)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from payout_desk.domain.identity import ConnectionIdentity
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk
from tests.integration.postgres.approvals_setup import confirm, send
from tests.integration.postgres.team_setup import set_provider

PROVIDER = "http://127.0.0.1:9"  # the team's provider: never called by a desk


def _sent(qtbot: Any, team_db: TeamDb, identity: ConnectionIdentity, local_id: int, final: str) -> None:
    future = asyncio.ensure_future(send(team_db, identity, local_id, final))
    qtbot.waitUntil(future.done, timeout=10000)
    future.result()


def test_only_the_preparer_hears_of_a_final_status(qtbot: Any, team_db: TeamDb, tmp_path: Path) -> None:
    identity = set_provider(team_db, PROVIDER)
    team_db.as_person("agent_a", "agent")
    desks = {
        login: open_desk(qtbot, team_db.as_person(login, role), tmp_path / login)
        for login, role in (("pia", "preparer"), ("dora", "preparer"), ("vera", "viewer"))
    }
    heard: dict[str, list[tuple[str, str]]] = {login: [] for login in desks}
    for login, window in desks.items():
        window.notifier.notified.connect(lambda title, message, login=login: heard[login].append((title, message)))
    try:
        pias, _ = confirm(team_db, identity, "10.00", ref="PIA-1")
        _sent(qtbot, team_db, identity, pias, "succeeded")
        doras, _ = confirm(team_db, identity, "20.00", by="dora", ref="DORA-1")
        _sent(qtbot, team_db, identity, doras, "failed")
        # every desk has seen both payouts final before anything is asserted about who was told
        for window in desks.values():
            qtbot.waitUntil(lambda w=window: _statuses(w, pias, doras) == ("succeeded", "failed"), timeout=10000)
        assert [title for title, _ in heard["pia"]] == ["Payout succeeded"]
        assert heard["pia"][0][1].endswith("succeeded.")
        assert [title for title, _ in heard["dora"]] == ["Payout failed"]
        assert heard["vera"] == []
    finally:
        for window in desks.values():
            close_desk(qtbot, window)


def _statuses(window: Any, *local_ids: int) -> tuple[str | None, ...]:
    from tests.gui.team.helpers import shown_record

    records = [shown_record(window, i) for i in local_ids]
    return tuple(None if r is None else r.status for r in records)
