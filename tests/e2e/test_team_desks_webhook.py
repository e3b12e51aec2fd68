"""Issue 20: two team desks as two people, the agent serving webhooks (``--listen``), the sandbox in its own
process with its webhooks pointed at that agent, a real PostgreSQL. A payout sent from desk A appears and
changes live on desk B and reaches ``succeeded`` on both BECAUSE OF THE WEBHOOK, exactly once at the provider.

How the test knows it was the webhook: the agent's own polls are put an hour apart (the hidden
``--poll-every-seconds 3600``), and the sandbox takes 3 s to process a payout after its checkin, so the GETs a
desk's hints ask for (the checkin just completed) find it still pending; the webhook, sent when the payout is
final, is kept in ``payout_desk.webhooks`` and wakes the agent's poller, whose GET is recorded with the source
``webhook`` — the ``status`` event to ``succeeded`` says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
import shiboken6

from tests.e2e.helpers import complete_checkin, fill_form, row_status, submit_and_confirm
from tests.fixtures.postgres import TeamDb
from tests.gui.team.helpers import close_desk, open_desk, shown_record
from tests.integration.agent import conftest as agent_rig
from tests.integration.agent.conftest import Rig
from tests.integration.agent.test_poll import poll_gets
from tests.integration.agent.test_webhook import listening_agent

rig = agent_rig.rig  # the agent's rig: the sandbox in its own process, the team whose provider it is
PROCESSING = ("--processing-seconds", "3")  # the sandbox's time from checkin to the final status
#: Within this wait the agent's own polling (an hour apart) cannot be what finds succeeded.
WEBHOOK_MS = 30000


STATUS_EVENTS = (
    "SELECT detail->>'old', detail->>'new', detail->>'source' FROM payout_desk.events"
    " WHERE local_id = %s AND kind = 'status' ORDER BY event_id"
)
KEPT_WEBHOOKS = "SELECT webhook_id, received_by FROM payout_desk.webhooks WHERE local_id = %s"


def _rows(team_db: TeamDb, query: str, local_id: int) -> list[tuple[str, ...]]:
    """``query``'s rows for ``local_id``, read as the database administrator, as text."""
    with psycopg.connect(team_db.admin) as conn:
        return [tuple(str(v) for v in row) for row in conn.execute(query, (local_id,)).fetchall()]


@pytest.mark.parametrize("rig", [PROCESSING], indirect=True)
def test_a_payout_reaches_succeeded_on_both_desks_by_webhook(qtbot: Any, rig: Rig, tmp_path: Path) -> None:
    team_db: TeamDb = rig.team_db
    agent, url, token = listening_agent(rig, "--poll-every-seconds", "3600")  # its own polls an hour apart
    agent.output.expect(r"poller: following \d+ open payouts")  # from now on a webhook has a poller to wake
    desk_a = open_desk(qtbot, team_db.as_person("pia", "preparer"), tmp_path / "pia")
    desk_b = open_desk(qtbot, team_db.as_person("bob", "preparer"), tmp_path / "bob")
    try:
        fill_form(qtbot, desk_a, "31.40", name="Ada Lovelace")
        dialog = submit_and_confirm(qtbot, desk_a)  # the checkin page, opened by the agent's created event
        local_id = dialog.local_id
        qtbot.waitUntil(lambda: row_status(desk_b, local_id) == "pending", timeout=WEBHOOK_MS)  # live on B
        seen_on_b = shown_record(desk_b, local_id)
        assert seen_on_b is not None
        assert seen_on_b.created_by == "pia"
        payment_id = str(seen_on_b.payment_id)
        complete_checkin(qtbot, dialog, "DE89370400440532013000")
        qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=5000)
        for window in (desk_a, desk_b):
            qtbot.waitUntil(lambda w=window: row_status(w, local_id) == "succeeded", timeout=WEBHOOK_MS)

        # The webhook was the path: delivered to the agent (2xx), kept, and the change recorded as its wake-up's.
        deliveries = [d for d in rig.control.webhooks() if payment_id in d["body"]]
        assert [(d["url"], d["status"]) for d in deliveries] == [(url, 200)]
        assert _rows(team_db, KEPT_WEBHOOKS, local_id) == [(deliveries[0]["webhookId"], "agent_a")]
        assert _rows(team_db, STATUS_EVENTS, local_id)[-1] == ("pending", "succeeded", "webhook")
        assert all(source != "poll" for *_, source in _rows(team_db, STATUS_EVENTS, local_id))
        agent.output.expect(rf"webhook \S+ for payout {local_id}: kept")
        agent.output.expect(rf"payout {local_id}: pending -> succeeded \(webhook\)")

        # Exactly once at the provider; the agent asked about it only when told to (a hint, the webhook).
        payments = rig.control.payments()
        assert len(payments) == 1
        assert (payments[0]["id"], payments[0]["amount"], payments[0]["status"]) == (payment_id, "31.40", "succeeded")
        assert 1 <= len(poll_gets(rig)) <= 4
        assert agent.stop() == 0
        assert token not in agent.output.text()
    finally:
        close_desk(qtbot, desk_a)
        close_desk(qtbot, desk_b)
