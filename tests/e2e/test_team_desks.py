"""Two team desks as two people, the agent and the sandbox each in a process of their own, a real PostgreSQL: a
payout sent from desk A opens its checkin page on A from the agent's ``created`` event, appears and changes live
on desk B, reaches ``succeeded`` on both, exactly once at the provider; no desk holds the provider token; a desk
that loses the database says so, keeps its rows, and catches up from its cursor."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import psycopg
import shiboken6

from payout_desk.journal.postgres.store import PgJournal
from tests.e2e.helpers import complete_checkin, fill_form, row_status, submit_and_confirm
from tests.fixtures.keyring_memory import MemoryKeyring
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk, shown_record
from tests.integration.agent import conftest as agent_rig
from tests.integration.agent.conftest import AGENT_LOGIN, Rig
from tests.integration.postgres.team_setup import confirm

rig = agent_rig.rig  # the agent's rig: the sandbox in its own process, the team whose provider it is
FINAL_MS = 30000
#: The agent polls once agent-watch's poller is in this build; until then this test records the provider's answer
#: as that poller does (record_status as the agent's login, from the sandbox's own record of the payment).
AGENT_POLLS = importlib.util.find_spec("payout_desk.agent.poller") is not None


def _play_the_agents_poller(qtbot: Any, rig: Rig, local_id: int, payment_id: str) -> None:
    def final() -> bool:
        held = {p["id"]: p for p in rig.control.payments()}[payment_id]
        return held["status"] in ("succeeded", "failed")

    qtbot.waitUntil(final, timeout=FINAL_MS)
    held = {p["id"]: p for p in rig.control.payments()}[payment_id]
    journal = PgJournal.open(rig.team_db.as_person(AGENT_LOGIN, "agent"))
    try:
        journal.record_status(
            local_id, status=held["status"], failure_reason=held.get("failureReason"), source="poll", actor="agent"
        )
    finally:
        journal.close()


def test_a_payout_from_desk_a_goes_live_on_desk_b_and_succeeds_once(
    qtbot: Any, rig: Rig, tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    team_db: TeamDb = rig.team_db
    rig.agent(token=rig.token)
    desk_a = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    desk_b = open_desk(qtbot, team_db.as_person("bob", "preparer"), tmp_path / "bob")
    try:
        assert desk_b.history.model.total() == 0
        fill_form(qtbot, desk_a, "24.80", name="Ada Lovelace")
        dialog = submit_and_confirm(qtbot, desk_a)  # opened by the agent's created event, from the feed
        local_id = dialog.local_id
        record = desk_a.context.desk
        qtbot.waitUntil(lambda: row_status(desk_b, local_id) == "pending", timeout=FINAL_MS)  # live on B
        seen_on_b = shown_record(desk_b, local_id)
        assert seen_on_b is not None
        assert seen_on_b.created_by == "pia"
        assert str(seen_on_b.checkin_url).startswith(rig.base_url + "/")  # the team's provider's page
        assert dialog.windowTitle()  # the page opened in desk A itself
        complete_checkin(qtbot, dialog, "DE89370400440532013000")
        qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=5000)
        if not AGENT_POLLS:
            _play_the_agents_poller(qtbot, rig, local_id, str(seen_on_b.payment_id))
        for window in (desk_a, desk_b):
            qtbot.waitUntil(lambda w=window: row_status(w, local_id) == "succeeded", timeout=FINAL_MS)
        payments = rig.control.payments()
        assert len(payments) == 1  # exactly once at the provider
        assert payments[0]["amount"] == "24.80"
        assert payments[0]["status"] == "succeeded"
        kinds = [e.kind for e in qtbot_run(qtbot, record.events(local_id))]
        assert "checkin_completed" in kinds
        # No token anywhere a desk reaches: its data folder, the keychain, the database as its own role.
        for folder in (tmp_path / "pia", tmp_path / "bob"):
            for path in folder.rglob("*"):
                if path.is_file():
                    assert rig.token.encode() not in path.read_bytes(), path
        assert not any(rig.token in secret for secret in memory_keyring.secrets.values())
        assert not memory_keyring.secrets
        for login in ("pia", "bob"):
            with psycopg.connect(team_db.as_person(login)) as conn:
                for table in ("payouts", "events", "team_settings"):
                    text = conn.execute(f"SELECT coalesce(string_agg(t::text, ''), '') FROM payout_desk.{table} t")
                    row = text.fetchone()
                    assert row is not None
                    assert rig.token not in row[0]
    finally:
        close_desk(qtbot, desk_a)
        close_desk(qtbot, desk_b)


def test_a_desk_that_loses_the_database_says_so_and_catches_up(qtbot: Any, rig: Rig, tmp_path: Path) -> None:
    team_db: TeamDb = rig.team_db
    (first,) = confirm(team_db, rig.identity, 1)
    desk_b = open_desk(qtbot, team_db.as_person("bob", "viewer"), tmp_path / "bob")
    states: list[bool] = []
    try:
        desk = desk_b.context.desk
        desk.subscribe_state(states.append)
        qtbot.waitUntil(lambda: shown_record(desk_b, first) is not None, timeout=10000)
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("ALTER ROLE bob NOLOGIN")  # it cannot come back until we say so
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'bob'")
        qtbot.waitUntil(lambda: states == [False], timeout=10000)
        assert desk_b.connection_banner.isVisibleTo(desk_b)
        assert desk_b.connection_banner.reason == "team_lost"
        assert "Lost the team database" in desk_b.connection_banner.label.text()
        (second,) = confirm(team_db, rig.identity, 1, first=2)  # while the desk is away
        assert shown_record(desk_b, first) is not None  # what it showed is kept
        assert shown_record(desk_b, second) is None
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("ALTER ROLE bob LOGIN")
        qtbot.waitUntil(lambda: shown_record(desk_b, second) is not None, timeout=15000)  # caught up
        qtbot.waitUntil(lambda: states == [False, True], timeout=10000)
        assert not desk_b.connection_banner.isVisibleTo(desk_b)
        assert desk.feed.cursor >= 1
    finally:
        close_desk(qtbot, desk_b)


def qtbot_run(qtbot: Any, awaitable: Any) -> Any:
    """Await ``awaitable`` on the Qt loop, processing events."""
    import asyncio

    future = asyncio.ensure_future(awaitable)
    qtbot.waitUntil(future.done, timeout=10000)
    return future.result()
