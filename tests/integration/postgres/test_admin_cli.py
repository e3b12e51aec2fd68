"""payout-desk-admin: migrate, add/remove people, list people and the audit; exit 0 ok, 1 failure with a
plain message, 2 usage. Run in-process (main) and once as the installed console script."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from payout_desk.admin import main
from payout_desk.journal.postgres.migrate import supported_version
from tests.fixtures.postgres import TeamDb


def run(*argv: str, stdin: str = "") -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdin=io.StringIO(stdin), out=out)
    return code, out.getvalue()


def test_migrate_reports_the_version(pg_empty_db: str) -> None:
    assert run("--db", pg_empty_db, "migrate") == (0, f"team schema at version {supported_version()} (was 0)\n")
    assert run("--db", pg_empty_db, "migrate") == (0, f"team schema at version {supported_version()} (unchanged)\n")


def test_people_come_and_go_and_every_change_is_audited(team_db: TeamDb) -> None:
    db = team_db.admin
    assert run("--db", db, "add-person", "anna", "--role", "preparer") == (0, "anna: created, now preparer\n")
    assert run("--db", db, "add-person", "anna", "--role", "viewer") == (0, "anna: now viewer\n")
    assert run("--db", db, "add-person", "agent.1", "--role", "agent", stdin="s3cret pass\n")[0] == 0
    code, people = run("--db", db, "people")
    assert code == 0
    assert people.splitlines() == ["agent.1\tagent\tlogin", "anna\tpreparer\tlogin", "anna\tviewer\tlogin"]
    assert run("--db", db, "remove-person", "anna") == (0, "anna: removed\n")
    code, people = run("--db", db, "people")
    assert people.splitlines() == ["agent.1\tagent\tlogin"]
    code, audit = run("--db", db, "audit")
    assert code == 0
    lines = [line.split("\t") for line in audit.splitlines()]
    assert [(actor, action) for _, actor, action, _ in lines] == [
        ("postgres", "add-person"),
        ("postgres", "add-person"),
        ("postgres", "add-person"),
        ("postgres", "remove-person"),
    ]
    assert '"role": "agent"' in lines[2][3]
    assert '"roles": ["preparer", "viewer"]' in lines[3][3]


def test_password_stdin_stores_a_scram_verifier_and_the_person_logs_in_with_it(team_db: TeamDb) -> None:
    add_bea = ("--db", team_db.admin, "add-person", "bea", "--role", "viewer", "--password-stdin")
    code, _ = run(*add_bea, stdin="pa55 word\n")
    assert code == 0
    with psycopg.connect(team_db.admin) as conn:
        (verifier,) = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'bea'").fetchone()
    assert verifier.startswith("SCRAM-SHA-256$")
    assert "pa55" not in verifier
    code, _ = run(*add_bea, stdin="\n")
    assert code == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("add-person", "Robert'); DROP", "--role", "viewer"), "login"),
        (("add-person", "payout_desk_owner", "--role", "admin"), "reserved"),
        (("add-person", "postgres", "--role", "admin"), "superuser"),
        (("remove-person", "nobody_here"), "not a Payout Desk person"),
    ],
)
def test_refusals_exit_1_with_a_plain_message(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    assert run("--db", team_db.admin, *argv)[0] == 1
    err = capsys.readouterr().err
    assert err.startswith("payout-desk-admin: ")
    assert message in err
    assert "Traceback" not in err


def test_a_person_without_rights_cannot_add_people(team_db: TeamDb, capsys: pytest.CaptureFixture[str]) -> None:
    admin_person = team_db.as_person("app_admin", "admin")
    assert run("--db", admin_person, "add-person", "eve", "--role", "admin")[0] == 1
    assert "permission denied" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    usage = ([], ["migrate"], ["--db", "x", "add-person", "anna"], ["--db", "x", "add-person", "a", "--role", "boss"])
    for argv in usage:
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
    assert "usage: payout-desk-admin" in capsys.readouterr().err


def test_the_console_script_is_installed(team_db: TeamDb) -> None:
    script = Path(sys.executable).with_name("payout-desk-admin")
    done = subprocess.run([str(script), "--db", team_db.admin, "people"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    bad = subprocess.run(
        [str(script), "--db", "host=/nonexistent", "people"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert bad.stderr.startswith("payout-desk-admin: Could not connect to the team database")


def test_a_createrole_administrator_needs_no_superuser(team_db: TeamDb) -> None:
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE it_dba LOGIN CREATEROLE")
    dba = team_db.server.conninfo(team_db.name, user="it_dba")
    try:
        assert run("--db", dba, "add-person", "carl", "--role", "preparer")[0] == 0
        assert run("--db", dba, "people") == (0, "carl\tpreparer\tlogin\n")
        assert run("--db", dba, "remove-person", "carl") == (0, "carl: removed\n")
        code, audit = run("--db", dba, "audit")
        assert code == 0
        assert [line.split("\t")[1:3] for line in audit.splitlines()] == [
            ["it_dba", "add-person"],
            ["it_dba", "remove-person"],
        ]
    finally:
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            conn.execute("DROP ROLE it_dba")


def test_people_cannot_write_or_read_the_admin_audit_through_its_functions(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str]
) -> None:
    for role in ("preparer", "viewer", "agent"):
        person = team_db.as_person(f"nosy_{role}", role)
        assert run("--db", person, "audit")[0] == 1
        with psycopg.connect(person) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT payout_desk.record_admin_change('add-person', '{}')")
    assert "not a database administrator" in capsys.readouterr().err
    app_admin = team_db.as_person("app_admin2", "admin")
    assert run("--db", app_admin, "audit")[0] == 0  # the app's admins read it


def test_set_provider_normalises_audits_and_refuses_an_insecure_address(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str]
) -> None:
    db = team_db.admin
    assert run("--db", db, "provider") == (
        0,
        "provider: not set; agents send nothing until `set-provider URL` is run\n",
    )
    assert run("--db", db, "set-provider", "https://Pay.Example.com/") == (
        0,
        "provider: https://pay.example.com (agents refuse to send anywhere else; an agent still running with another"
        " provider claims nothing more and stops)\n",
    )
    assert run("--db", db, "provider") == (0, "https://pay.example.com\n")
    assert run("--db", db, "set-provider", "http://pay.example.com")[0] == 1
    assert "https:// required" in capsys.readouterr().err
    assert run("--db", db, "provider") == (0, "https://pay.example.com\n")
    code, audit = run("--db", db, "audit")
    assert code == 0
    assert audit.splitlines()[-1].split("\t")[2] == "set-provider-base-url"


def test_people_lists_who_holds_a_role_through_a_group(team_db: TeamDb) -> None:
    """Second audit N5: a login granted a group that holds an app role is a person of the team (it approves), so
    `people` lists it, saying through which group; a nested group shows the whole way."""
    roles = ("n5_fred", "n5_gus", "n5_team", "n5_approvers")
    with psycopg.connect(team_db.admin, autocommit=True) as conn:
        conn.execute("CREATE ROLE n5_approvers NOLOGIN")
        conn.execute("GRANT payout_desk_approver TO n5_approvers")
        conn.execute("CREATE ROLE n5_fred LOGIN")
        conn.execute("GRANT n5_approvers TO n5_fred")
        conn.execute("CREATE ROLE n5_team NOLOGIN")
        conn.execute("GRANT n5_approvers TO n5_team")
        conn.execute("CREATE ROLE n5_gus LOGIN")
        conn.execute("GRANT n5_team TO n5_gus")
    try:
        assert run("--db", team_db.admin, "add-person", "anna", "--role", "preparer")[0] == 0
        code, people = run("--db", team_db.admin, "people")
        assert code == 0
        assert people.splitlines() == [
            "anna\tpreparer\tlogin",
            "n5_approvers\tapprover\tnologin",
            "n5_fred\tapprover\tlogin\tthrough n5_approvers",
            "n5_gus\tapprover\tlogin\tthrough n5_team → n5_approvers",
            "n5_team\tapprover\tnologin\tthrough n5_approvers",
        ]
    finally:
        with psycopg.connect(team_db.admin, autocommit=True) as conn:
            for role in roles:
                conn.execute(f"DROP ROLE IF EXISTS {role}")
