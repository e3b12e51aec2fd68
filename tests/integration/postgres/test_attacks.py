"""People connect with plain SQL as each app role and try to get around the functions: write every table
directly, call other roles' functions and the owner's internals, forge an actor. All refused."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors

from tests.fixtures.postgres import TeamDb
from tests.unit.journal.helpers import request

ROLES = ("preparer", "viewer", "admin", "agent")
TABLES = ("payouts", "events", "team_settings", "admin_audit", "schema_migrations", "payout_status_counts")
BODY = request().body_json()
WRITES = {
    "insert": "INSERT INTO payout_desk.{t} DEFAULT VALUES",
    "update": "UPDATE payout_desk.{t} SET {c} = {c}",
    "delete": "DELETE FROM payout_desk.{t}",
    "truncate": "TRUNCATE payout_desk.{t}",
}
FIRST_COLUMN = {
    "payouts": "status",
    "events": "kind",
    "team_settings": "provider_base_url",
    "admin_audit": "action",
    "schema_migrations": "description",
    "payout_status_counts": "n",
}
#: Each role's own functions, called with valid arguments for payout 1.
FUNCTIONS: dict[str, list[tuple[str, tuple[object, ...]]]] = {
    "preparer": [
        ("confirm_payout(%s, 'k-attack', 'sandbox', 'P', 'conn', '{1}')", (BODY,)),
        ("record_checkin_completed(1)", ()),
        ("record_reconciled(1, 'found:pay_x', 'x', 'needs_reconciliation')", ()),  # not_found: admins' (0018)
    ],
    "agent": [
        ("record_status(1, 'succeeded', NULL, 'poll')", ()),
        ("record_mismatch(1, '{x}', 'a', 'poll', 'm')", ()),
        ("claim_payout('conn', 'i', 30)", ()),
        ("renew_lease(1, 1, 30)", ()),
        ("release_payout(1, 1, 0)", ()),
        ("fenced_record_attempt_started(1, 1, 1, true)", ()),
        ("fenced_record_attempt(1, 1, 1, 201, NULL, 1.0, true)", ()),
        ("fenced_record_created(1, 1, 'pay_x', NULL, 'pending')", ()),
        ("fenced_record_outcome_unknown(1, 1, 'm')", ()),
        ("fenced_record_rejected(1, 1, 'c', 'm')", ()),
        ("fenced_record_mismatch(1, 1, '{x}', 'a', 'create', 'm')", ()),
        ("fenced_record_needs_reconciliation(1, 1, 'm')", ()),
        ("fenced_mark_ambiguous(1, 1, 'x')", ()),
    ],
    "admin": [
        ("set_provider_base_url('https://evil.example')", ()),
        ("rebind(NULL, 'conn', 'x')", ()),  # an admin's decision since 0017 (audit F16)
    ],
}
INTERNALS = (
    "append_event(1, now(), 'status', 'someone_else', '{}'::jsonb)",
    "set_error_status(1, 'rejected', 'x', '{}'::jsonb)",
    "lock_payout(1)",
    "actor_in('payout_desk_admin')",
    "dba_actor()",
    "bounded('x', 1)",
    "lifecycle_status('x')",
    "leased_payout(1, 1)",
    # the send path's unfenced writes: the owner's alone since the agent's claims (issue 19)
    "record_created(1, 'pay_x', NULL, 'pending')",
    "record_attempt_started(1, 1, true)",
    "record_attempt(1, 1, 201, NULL, 1.0, true)",
    "record_outcome_unknown(1, 'm')",
    "record_rejected(1, 'c', 'm')",
    "record_needs_reconciliation(1, 'm')",
    "mark_ambiguous(1, 'x')",
    "record_admin_change('add-person', '{}')",
)


@pytest.fixture
def seeded(team_db: TeamDb) -> TeamDb:
    """A team database with one payout (confirmed by a preparer) and one person per role."""
    with psycopg.connect(team_db.as_person("prep_seed", "preparer")) as conn:
        conn.execute("SELECT payout_desk.confirm_payout(%s, 'k-seed', 'sandbox', 'P')", (BODY,))
    for role in ROLES:
        team_db.as_person(f"mallory_{role}", role)
    return team_db


def _refused(conninfo: str, statement: str, params: tuple[object, ...] = ()) -> psycopg.Error:
    with psycopg.connect(conninfo) as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute(statement.encode(), params)
    return caught.value


def _snapshot(team_db: TeamDb) -> list[object]:
    with psycopg.connect(team_db.admin) as conn:
        digest = "SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM payout_desk.{} t"
        return [conn.execute(digest.format(t).encode()).fetchone() for t in TABLES]


@pytest.mark.parametrize("role", ROLES)
def test_no_role_writes_any_table_directly(seeded: TeamDb, role: str) -> None:
    before = _snapshot(seeded)
    conninfo = seeded.server.conninfo(seeded.name, user=f"mallory_{role}")
    for table in TABLES:
        for op, template in WRITES.items():
            error = _refused(conninfo, template.format(t=table, c=FIRST_COLUMN[table]))
            assert isinstance(error, errors.InsufficientPrivilege), (role, table, op, error)
    assert _snapshot(seeded) == before


@pytest.mark.parametrize("role", ROLES)
def test_no_role_calls_another_roles_functions(seeded: TeamDb, role: str) -> None:
    before = _snapshot(seeded)
    conninfo = seeded.server.conninfo(seeded.name, user=f"mallory_{role}")
    for owner, calls in FUNCTIONS.items():
        if owner == role:
            continue
        for call, params in calls:
            error = _refused(conninfo, f"SELECT payout_desk.{call}", params)
            assert isinstance(error, errors.InsufficientPrivilege), (role, owner, call, error)
    for call in INTERNALS:
        error = _refused(conninfo, f"SELECT payout_desk.{call}")
        assert isinstance(error, errors.InsufficientPrivilege), (role, call, error)
    assert _snapshot(seeded) == before


@pytest.mark.parametrize("role", ROLES)
def test_nobody_can_become_someone_else(seeded: TeamDb, role: str) -> None:
    conninfo = seeded.server.conninfo(seeded.name, user=f"mallory_{role}")
    for statement in (
        "SET ROLE prep_seed",
        "SET SESSION AUTHORIZATION prep_seed",
        "SET ROLE payout_desk_owner",
        "SET ROLE postgres",
    ):
        assert isinstance(_refused(conninfo, statement), errors.InsufficientPrivilege), (role, statement)


def test_the_actor_is_the_login_whatever_the_caller_says(seeded: TeamDb) -> None:
    conninfo = seeded.as_person("mallory_preparer", "agent")
    # no function takes an actor: a forged one is not even a valid call
    with psycopg.connect(conninfo) as conn, pytest.raises(errors.UndefinedFunction):
        conn.execute("SELECT payout_desk.confirm_payout(%s, 'k-2', 'sandbox', 'P', 'conn', '{}', 'prep_seed')", (BODY,))
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET application_name = 'prep_seed'")  # harmless: the database reads session_user
        (local_id,) = conn.execute("SELECT payout_desk.confirm_payout(%s, 'k-2', 'sandbox', 'P')", (BODY,)).fetchone()
        conn.execute("SELECT payout_desk.record_status(%s, 'pending', NULL, 'poll')", (local_id,))
        conn.commit()
        created_by = conn.execute("SELECT created_by FROM payout_desk.payouts WHERE local_id = %s", (local_id,))
        assert created_by.fetchone() == ("mallory_preparer",)
        actors = conn.execute("SELECT DISTINCT actor FROM payout_desk.events WHERE local_id = %s", (local_id,))
        assert actors.fetchall() == [("mallory_preparer",)]


def test_a_malformed_payout_cannot_be_journaled(seeded: TeamDb) -> None:
    conninfo = seeded.server.conninfo(seeded.name, user="mallory_preparer")
    for body in (
        '{"amount":"10.00001","currency":"EUR","type":"payout"}',
        '{"amount":10,"currency":"EUR","type":"payout"}',
        '{"amount":"1e3","currency":"EUR","type":"payout"}',
        '{"amount":"-5.00","currency":"EUR","type":"payout"}',
        '{"amount":"5.00","currency":"EUR","type":"refund"}',
        "not json",
    ):
        error = _refused(conninfo, "SELECT payout_desk.confirm_payout(%s, 'k-bad', 'sandbox', 'P')", (body,))
        assert isinstance(error, errors.InvalidParameterValue), (body, error)
    for key, environment in (("", "sandbox"), ("k-env", "production")):
        statement = "SELECT payout_desk.confirm_payout(%s, %s, %s, 'P')"
        error = _refused(conninfo, statement, (BODY, key, environment))
        assert isinstance(error, errors.CheckViolation), (key, environment, error)
    with psycopg.connect(seeded.admin) as conn:
        assert conn.execute("SELECT count(*) FROM payout_desk.payouts").fetchone() == (1,)


def test_even_the_owner_cannot_rewrite_history(seeded: TeamDb) -> None:
    with psycopg.connect(seeded.admin) as conn:
        conn.execute("SET ROLE payout_desk_owner")
        for statement in (
            "UPDATE payout_desk.events SET actor = 'x'",
            "DELETE FROM payout_desk.events",
            "DELETE FROM payout_desk.payouts",
            "UPDATE payout_desk.payouts SET amount = '99.00'",
            "UPDATE payout_desk.admin_audit SET actor = 'x'",
        ):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
            conn.execute("SET ROLE payout_desk_owner")


def test_viewers_read_the_history_but_not_the_admin_audit(seeded: TeamDb) -> None:
    with psycopg.connect(seeded.server.conninfo(seeded.name, user="mallory_viewer")) as conn:
        assert conn.execute("SELECT count(*) FROM payout_desk.payouts").fetchone() == (1,)
    assert isinstance(
        _refused(seeded.server.conninfo(seeded.name, user="mallory_viewer"), "SELECT * FROM payout_desk.admin_audit"),
        errors.InsufficientPrivilege,
    )
    with psycopg.connect(seeded.server.conninfo(seeded.name, user="mallory_admin")) as conn:
        assert conn.execute("SELECT count(*) > 0 FROM payout_desk.admin_audit").fetchone() == (True,)
