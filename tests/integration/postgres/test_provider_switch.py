"""set-provider while payouts may still be paid at the team's current provider (audit 2, N2): refused in words,
listing them, nothing changed; ``--force`` changes it, audited, and each such payout becomes needs reconciliation
(the desks show that, not "Pending" for ever) for ``payout-desk-admin reconcile``. The database refuses the same
(migration 21), the one-argument function too. Before, the switch went through and the pending payout stayed
pending with no agent following it."""

from __future__ import annotations

import asyncio
import io
import json

import psycopg
import pytest

from payout_desk.admin import main
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import URL, confirm, kinds, row, send, team

NEW = "https://new-provider.example"


def _admin(db: str, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(["--db", db, *argv], out=out), out.getvalue()


def _provider_and_audit(team_db: TeamDb) -> tuple[object, list[tuple[str, object]]]:
    with psycopg.connect(team_db.admin) as conn:
        url = conn.execute("SELECT provider_base_url FROM payout_desk.team_settings").fetchone()
        audit = conn.execute("SELECT action, detail FROM payout_desk.admin_audit ORDER BY 1, 2::text").fetchall()
    return url, [(str(a), d) for a, d in audit]


def _pending_payout(team_db: TeamDb) -> tuple[int, str]:
    identity = team(team_db)
    local_id, _ = confirm(team_db, identity, "10.00")
    asyncio.run(send(team_db, identity, local_id, None))  # created at the provider: the payee may still be paid
    return local_id, team_db.as_person("ada_admin", "admin")


def test_set_provider_is_refused_while_a_payout_may_still_be_paid_at_the_current_one(
    team_db: TeamDb, capsys: pytest.CaptureFixture[str]
) -> None:
    local_id, ada = _pending_payout(team_db)
    before = _provider_and_audit(team_db)
    assert _admin(ada, "set-provider", NEW)[0] == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"payout-desk-admin: set-provider refused: 1 payout(s) may still be paid at the team's provider {URL} "
        f"(#{local_id} pending 10.00 EUR): after a change no agent follows them. Nothing was changed."
    ), err
    assert "--force (audited)" in err
    assert _provider_and_audit(team_db) == before
    assert row(team_db, local_id, "status") == ("pending",)
    with psycopg.connect(ada) as conn, pytest.raises(psycopg.Error, match="may still be paid"):
        conn.execute("SELECT payout_desk.set_provider_base_url(%s)", (NEW,))  # the database's own refusal
    assert _admin(ada, "set-provider", URL.upper() + "/")[0] == 0  # the same provider: no change, nothing refused


def test_set_provider_force_is_audited_and_leaves_the_payout_needing_reconciliation(team_db: TeamDb) -> None:
    local_id, ada = _pending_payout(team_db)
    code, said = _admin(ada, "set-provider", NEW, "--force")
    assert code == 0
    assert said.startswith(f"provider: {NEW} (agents refuse")
    assert f"forced (audited): #{local_id} may still be paid at the former provider and now need reconciliation" in said
    assert "payout-desk-admin reconcile N --found PAYMENT_ID" in said
    status, error = row(team_db, local_id, "status, last_error")
    assert status == "needs_reconciliation"
    assert f"The team's provider changed from {URL} to {NEW}" in error
    assert kinds(team_db, local_id)[-1] == ("needs_reconciliation", "ada_admin")
    url, audit = _provider_and_audit(team_db)
    assert url == (NEW,)
    forced = [d for a, d in audit if a == "set-provider-base-url" and isinstance(d, dict) and d.get("forced")]
    assert forced == [{"old": URL, "new": NEW, "forced": True, "left_at_old_provider": [local_id]}], json.dumps(audit)
    pia = team_db.as_person("pia", "preparer")  # the README's way to settle it: found at the former provider
    code, said = _admin(pia, "reconcile", str(local_id), "--found", f"pay_{local_id}", "--reason", "paid there")
    assert code == 0, said
    assert row(team_db, local_id, "status") == ("needs_reconciliation",)
