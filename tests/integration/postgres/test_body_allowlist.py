"""Second audit N1 (and N7's padding) in the team database, migration 0020: a request body is journaled only when
it is shaped as the desk writes it. Each attack body is refused at confirmation in words naming the key, nothing
is journaled; every body the desk's own builder writes is still accepted; and no writer (the owner included)
can put such a body in afterwards."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors

from tests.fixtures.bodies import ATTACKS, DESK_BODIES, desk_body
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import person, row, rule, team

_CONFIRM = "SELECT payout_desk.confirm_payout(%s, %s, 'sandbox', 'Team', %s)"


def _refused(team_db: TeamDb, body: str) -> str:
    """The words pia's confirmation of ``body`` is refused in; nothing is journaled."""
    identity = team(team_db)
    with person(team_db, "pia") as conn:
        with pytest.raises(errors.InvalidParameterValue) as refused:
            conn.execute(_CONFIRM, (body, str(uuid.uuid4()), identity.key))
        assert conn.execute("SELECT count(*) FROM payout_desk.payouts").fetchone() == (0,)
    return str(refused.value.diag.message_primary)


@pytest.mark.parametrize(("key", "body"), ATTACKS, ids=[f"{n}-{key}" for n, (key, _) in enumerate(ATTACKS)])
def test_a_body_the_desk_never_writes_is_refused_naming_the_key(team_db: TeamDb, key: str, body: str) -> None:
    words = _refused(team_db, body)
    assert words.startswith(f"the request body is not as the desk writes it: {key}:"), words
    assert words.endswith("; nothing was journaled")


def test_every_body_the_desk_writes_is_journaled_as_written(team_db: TeamDb) -> None:
    identity = team(team_db)
    rule(team_db, "EUR", "1000", 1)
    with person(team_db, "pia") as conn:
        for what, body in DESK_BODIES:
            found = conn.execute(_CONFIRM, (body, str(uuid.uuid4()), identity.key)).fetchone()
            assert found is not None, what
            assert row(team_db, int(found[0]), "request_body") == (body,), what
    assert row(team_db, 3, "status, approvals_required") == ("awaiting_approval", 1)  # 1500.00 EUR: the rule holds


def test_not_even_the_owner_puts_such_a_body_in_afterwards(team_db: TeamDb) -> None:
    identity = team(team_db)
    body = desk_body(recipient_name="Hideco", external_id="HIDE-1")
    with person(team_db, "pia") as conn:
        found = conn.execute(_CONFIRM, (body, str(uuid.uuid4()), identity.key)).fetchone()
    assert found is not None
    local_id = int(found[0])
    with psycopg.connect(team_db.admin) as conn:
        conn.execute("SET LOCAL ROLE payout_desk_owner")
        with pytest.raises(errors.InvalidParameterValue, match='"webhookurl": the desk never writes this key'):
            conn.execute(
                "UPDATE payout_desk.payouts SET request_body = %s WHERE local_id = %s",
                (body[:-1] + ',"webhookurl":"https://evil.example.com"}', local_id),
            )
    assert row(team_db, local_id, "request_body") == (body,)


@pytest.mark.parametrize(
    ("where", "body"),
    [
        ('"metadata.note"', desk_body(metadata=(("note", "ok"),)).replace('"ok"', '"a\\u0000b"')),
        ('"description"', desk_body(description="Refund").replace('"Refund"', '"Re\\u0000fund"')),
        ('a key of "metadata"', desk_body(metadata=(("note", "ok"),)).replace('"note"', '"no\\u0000te"')),
        ('"metadata.note"', desk_body(metadata=(("note", "ok"),)).replace('"ok"', '"\\u0000\\u0000\\u0000"')),
    ],
)
def test_a_nul_character_is_refused_in_our_words_naming_the_key(team_db: TeamDb, where: str, body: str) -> None:
    """Residue 5: jsonb cannot hold \\u0000; the refusal says where it is, not PostgreSQL's raw words."""
    assert _refused(team_db, body) == (
        f"the request body is not as the desk writes it: {where}: holds the character \\u0000 (NUL), which the team "
        "database cannot store; remove it; nothing was journaled"
    )
