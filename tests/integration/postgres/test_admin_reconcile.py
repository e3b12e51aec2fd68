"""``payout-desk-admin reconcile`` on a real team database: an app admin decides a resend (audited), every other
role is refused with nothing changed, a payout not needing reconciliation is refused, and the words say what was
done."""

from __future__ import annotations

import io

import pytest

from payout_desk import admin
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, kinds, person, row, team


def _needs_reconciliation(team_db: TeamDb, amount: str = "12.00") -> int:
    local_id, _ = confirm(team_db, team(team_db), amount)
    team_db.grant_unfenced_writes("agent_a")
    with person(team_db, "agent_a") as conn:
        conn.execute("SELECT payout_desk.record_needs_reconciliation(%s, 'no answer past the key''s retention')",
                     (local_id,))  # fmt: skip
    return local_id


def _admin(db: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return admin.main(["--db", db, *argv], out=out), out.getvalue()


def test_an_admin_decides_not_found_and_it_is_audited(team_db: TeamDb) -> None:
    local_id = _needs_reconciliation(team_db)
    db = team_db.as_person("ada_admin", "admin")
    status, out = _admin(db, "reconcile", f"#{local_id}", "--not-found", "--reason", "support: not there")
    assert status == 0
    assert out == (
        f"payout #{local_id} (12.00 EUR, prepared by pia): recorded as not found at the provider (audited). It is back"
        " to outcome unknown: the team's agent sends it again with its same idempotency key, so a provider that has"
        " it after all answers with that payment and nothing is paid twice.\nreason: support: not there\n"
    )
    assert row(team_db, local_id, "status") == ("outcome_unknown",)
    assert kinds(team_db, local_id)[-1] == ("reconciled", "ada_admin")
    status, audit = _admin(team_db.admin, "audit")
    assert status == 0
    assert "\tada_admin\treconcile-send-again\t" in audit
    assert '"reason": "support: not there"' in audit


@pytest.mark.parametrize(("login", "role"), [("pia", "preparer"), ("bob", "approver"), ("vic", "viewer"),
                                             ("agent_a", "agent")])  # fmt: skip
def test_no_one_else_decides_a_resend(
    team_db: TeamDb, login: str, role: str, capsys: pytest.CaptureFixture[str]
) -> None:
    local_id = _needs_reconciliation(team_db)
    db = team_db.as_person(login, role)
    assert _admin(db, "reconcile", str(local_id), "--not-found", "--reason", "r") == (1, "")
    err = capsys.readouterr().err
    assert err.startswith("payout-desk-admin: ")
    assert "nothing was changed" in err
    assert row(team_db, local_id, "status") == ("needs_reconciliation",)
    assert [k for k, _ in kinds(team_db, local_id)] == ["confirmed", "needs_reconciliation"]


def test_a_payout_not_needing_reconciliation_is_refused(team_db: TeamDb, capsys: pytest.CaptureFixture[str]) -> None:
    local_id, _ = confirm(team_db, team(team_db), "13.00")
    db = team_db.as_person("ada_admin", "admin")
    assert _admin(db, "reconcile", str(local_id), "--not-found", "--reason", "r") == (1, "")
    assert capsys.readouterr().err == (
        f"payout-desk-admin: payout #{local_id} (13.00 EUR, prepared by pia) does not need reconciliation: it is "
        "confirmed. Nothing was changed.\n"
    )
    assert _admin(db, "reconcile", "999999", "--not-found", "--reason", "r")[0] == 1
    assert "there is no payout #999999" in capsys.readouterr().err
    assert row(team_db, local_id, "status") == ("confirmed",)


def test_a_reason_is_needed(team_db: TeamDb, capsys: pytest.CaptureFixture[str]) -> None:
    local_id = _needs_reconciliation(team_db)
    db = team_db.as_person("ada_admin", "admin")
    assert _admin(db, "reconcile", str(local_id), "--not-found", "--reason", "  ") == (1, "")
    assert "--reason: say why" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # neither decision, or both: a usage error
        _admin(db, "reconcile", str(local_id), "--reason", "r")
    assert usage.value.code == 2
    with pytest.raises(SystemExit) as both:
        _admin(db, "reconcile", str(local_id), "--not-found", "--found", "pay_1", "--reason", "r")
    assert both.value.code == 2
    assert row(team_db, local_id, "status") == ("needs_reconciliation",)


def test_found_is_a_preparers_and_the_payout_stays_unsent(team_db: TeamDb, capsys: pytest.CaptureFixture[str]) -> None:
    local_id = _needs_reconciliation(team_db)
    admin_db = team_db.as_person("ada_admin", "admin")
    assert _admin(admin_db, "reconcile", str(local_id), "--found", "pay_9", "--reason", "r")[0] == 1
    assert "only a preparer (payout_desk_preparer) may record this decision" in capsys.readouterr().err
    status, out = _admin(team_db.as_person("pia", "preparer"), "reconcile", str(local_id), "--found", "pay_9",
                         "--reason", "seen in the provider's dashboard")  # fmt: skip
    assert status == 0
    assert out == (
        f"payout #{local_id} (12.00 EUR, prepared by pia): recorded as found at the provider as payment pay_9. It"
        " stays needs reconciliation; the agent does not send it.\nreason: seen in the provider's dashboard\n"
    )
    assert row(team_db, local_id, "status") == ("needs_reconciliation",)
    assert kinds(team_db, local_id)[-1] == ("reconciled", "pia")
