"""Audit F1, F9 and F16 in the team database (migration 0017), each attack as the finding made it.

F1: a body naming a field twice is refused at confirmation. F9: a superuser login is not a person of the team
(it neither prepares, approves nor claims, and no probe counts it in a group). F16: re-binding is an app admin's
decision onto the team's provider only, audited, and never moves a payout the old provider may hold."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from psycopg import errors

from payout_desk.domain.approvals import ApprovalRefusedError, body_hash
from payout_desk.journal.models import JournalError
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.desk_reads import login_roles
from payout_desk.journal.postgres.store import PgJournal, connect
from payout_desk.services.team import team_identity
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, person, row, rule, team
from tests.integration.postgres.team_setup import set_provider

_CONFIRM = "SELECT payout_desk.confirm_payout(%s, %s, 'sandbox', 'Team', %s)"
_BODY = (
    '{"amount":"15000.00","currency":"EUR","customer":{"id":"cus_1","name":"Attack"},"description":"dup",'
    '"externalId":"ATK-2","metadata":{"order":"1"},"type":"payout"}'
)

_FINDING = (
    '{"amount":"15000.00","amount":"1.00","currency":"EUR","customer":{"name":"Attack"},"description":"dup",'
    '"externalId":"ATK-2","type":"payout"}'
)


@pytest.mark.parametrize(
    ("twice", "body"),
    [
        ("amount", _BODY.replace('"amount":"15000.00"', '"amount":"15000.00","amount":"1.00"')),
        ("amount", _FINDING),  # the audit's own attack, verbatim
        ("currency", _BODY.replace('"currency":"EUR"', '"currency":"EUR","currency":"HUF"')),
        ("externalId", _BODY.replace('"externalId":"ATK-2"', '"externalId":"ATK-2","externalId":"ATK-3"')),
        ("customer.name", _BODY.replace('"name":"Attack"', '"name":"Attack","name":"Someone else"')),
        ("metadata.order", _BODY.replace('"order":"1"', '"order":"1","order":"2"')),
        ("customer", _BODY.replace('"description"', '"customer":{"id":"cus_2"},"description"')),
        ("amount", _BODY.replace('"amount":"15000.00"', '"amount":"15000.00","\\u0061mount":"1.00"')),
    ],
)
def test_a_body_naming_a_field_twice_is_refused_at_confirmation(team_db: TeamDb, twice: str, body: str) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "10000", 2)
    with person(team_db, "pia") as conn:
        with pytest.raises(errors.InvalidParameterValue, match=f'names "{twice}" twice'):
            conn.execute(_CONFIRM, (body, str(uuid.uuid4()), identity.key))
        assert conn.execute("SELECT count(*) FROM payout_desk.payouts").fetchone() == (0,)
        # the body written once is journaled as before, with the approvals its real amount needs
        confirmed = conn.execute(_CONFIRM, (_BODY, str(uuid.uuid4()), identity.key)).fetchone()
    assert confirmed is not None
    assert row(team_db, int(confirmed[0]), "status, approvals_required, amount") == ("awaiting_approval", 2, "15000.00")


def test_the_desks_own_bodies_still_confirm(team_db: TeamDb) -> None:
    identity = team(team_db)
    local_id, body = confirm(team_db, identity, "12.50", metadata={"a": "1", "b": "2"})
    assert row(team_db, local_id, "status, request_body") == ("confirmed", body)
    assert json.loads(body)["metadata"] == {"a": "1", "b": "2"}


def test_a_superuser_is_not_a_person_of_the_team(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "*", "0", 1)
    local_id, body = confirm(team_db, identity, "15000.00")
    superuser = connect(team_db.admin)
    try:
        assert superuser.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user").fetchone() == (True,)
        with pytest.raises(ApprovalRefusedError, match="a superuser is not a person of the team, log in as yourself"):
            approvals.approve(superuser, local_id, body_hash(body))
        with pytest.raises(ApprovalRefusedError, match="superuser"):
            approvals.reject(superuser, local_id, "no")
        with pytest.raises(errors.InsufficientPrivilege, match="superuser"):
            superuser.execute(_CONFIRM, (_BODY, str(uuid.uuid4()), identity.key))
        with pytest.raises(errors.InsufficientPrivilege, match="superuser"):
            superuser.execute("SELECT * FROM payout_desk.claim_payout(%s, 'x', 30)", (identity.key,))
        login, roles = login_roles(superuser)
        assert (login, roles) == ("postgres", frozenset())  # the desk's probe: in no group
    finally:
        superuser.close()
    with pytest.raises(JournalError, match="a superuser is not a person of the team: log in as yourself"):
        PgJournal.open(team_db.admin)  # the desk and the agent open their journal through this
    assert row(team_db, local_id) == ("awaiting_approval", 1)
    # the database administrator still does an app admin's job (and add-person, migrations: unchanged)
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute("SELECT payout_desk.set_approval_expiry(9)")
    # a person keeps their rights
    with person(team_db, "bob") as conn:
        assert approvals.approve(conn, local_id, body_hash(body)) == "confirmed"


def _rebind(conninfo: str, old: str, new: str) -> list[int]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        found = conn.execute("SELECT payout_desk.rebind(%s, %s, 'same merchant account')", (old, new)).fetchone()
    assert found is not None
    return list(found[0])


def _sent(team_db: TeamDb, local_id: int, answer: str) -> None:
    """As the agent would (unfenced writes granted to this test's login): an attempt started, then ``answer``."""
    team_db.grant_unfenced_writes("agent_a")
    with person(team_db, "agent_a") as conn:
        conn.execute("SELECT payout_desk.record_attempt_started(%s, 1, false)", (local_id,))
        if answer == "pending":
            conn.execute("SELECT payout_desk.record_created(%s, %s, NULL, 'pending')", (local_id, f"pay_{local_id}"))
        else:
            conn.execute("SELECT payout_desk.record_outcome_unknown(%s, 'timed out')", (local_id,))


@pytest.mark.parametrize("role", ["preparer", "approver", "viewer", "agent"])
def test_only_an_admin_rebinds(team_db: TeamDb, role: str) -> None:
    old = team(team_db)
    local_id, _ = confirm(team_db, old, "5.00")
    new = set_provider(team_db, "http://127.0.0.1:9")
    with pytest.raises(errors.InsufficientPrivilege):
        _rebind(team_db.as_person(f"mallory_{role}", role), old.key, new.key)
    assert row(team_db, local_id, "connection_id") == (old.key,)


def test_an_admin_rebinds_onto_the_teams_provider_only_what_no_provider_holds(team_db: TeamDb) -> None:
    old = team(team_db)
    unsent, _ = confirm(team_db, old, "1.00")
    pending, _ = confirm(team_db, old, "2.00")
    unknown, _ = confirm(team_db, old, "3.00")
    rule(team_db, "*", "100", 1)
    waiting, _ = confirm(team_db, old, "400.00")
    _sent(team_db, pending, "pending")
    _sent(team_db, unknown, "outcome_unknown")
    new = set_provider(team_db, "http://127.0.0.1:9", force=True)  # pending, unknown: reconciled (audit 2, N2)
    admin = team_db.as_person("ada_admin", "admin")
    elsewhere = team_identity("http://127.0.0.1:10").key
    with pytest.raises(psycopg.Error, match="only onto the team's provider"):
        _rebind(admin, old.key, elsewhere)
    with pytest.raises(psycopg.Error, match="only onto the team's provider"):
        _rebind(admin, old.key, old.key)  # the old provider is not the team's any more
    assert _rebind(admin, old.key, new.key) == [unsent, waiting]
    connections = {i: row(team_db, i, "connection_id, status") for i in (unsent, pending, unknown, waiting)}
    assert connections == {
        unsent: (new.key, "confirmed"),
        pending: (old.key, "needs_reconciliation"),
        unknown: (old.key, "needs_reconciliation"),
        waiting: (new.key, "awaiting_approval"),
    }
    with psycopg.connect(team_db.admin) as conn:
        audit = conn.execute(
            "SELECT actor, detail FROM payout_desk.admin_audit WHERE action = 'rebind' ORDER BY audit_id"
        ).fetchall()
        events = conn.execute(
            "SELECT local_id, actor FROM payout_desk.events WHERE kind = 'rebound' ORDER BY event_id"
        ).fetchall()
    assert len(audit) == 1
    actor, detail = audit[0]
    assert actor == "ada_admin"
    # pending and unknown already need reconciliation (the forced set-provider's audit lists them), so rebind's
    # own list of what is left (statuses of version 17) no longer names them
    assert (detail["moved"], detail["left_for_reconciliation"]) == ([unsent, waiting], [])
    assert (detail["old_connection"], detail["new_connection"]) == (old.key, new.key)
    assert events == [(unsent, "ada_admin"), (waiting, "ada_admin")]
    assert _rebind(admin, old.key, new.key) == []  # what is left needs reconciliation; a second try moves nothing
