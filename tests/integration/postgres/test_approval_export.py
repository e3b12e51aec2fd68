"""The team desk's CSV export shows every approval (issue 21): after the desk's columns, the approvals needed,
given, the expiry and every decision (who, when, approved or rejected, the reason) in words, quoted as
``csv.writer`` quotes and never starting like a formula — on the real team database, through the desk's
``export_csv`` on a viewer's journal."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import psycopg
import pytest

from payout_desk.domain.approvals import body_hash
from payout_desk.journal import HistoryQuery, SortKey
from payout_desk.journal.export.sql import iso_utc_seconds
from payout_desk.journal.postgres import approvals
from payout_desk.journal.postgres.async_pg import AsyncPgJournal
from payout_desk.journal.postgres.export import APPROVAL_COLUMNS, TEAM_EXPORT_COLUMNS, copy_export
from payout_desk.services.export import CSV_COLUMNS, FORMULA_PREFIXES, export_csv, record_row
from tests.fixtures.postgres import TeamDb
from tests.integration.postgres.approvals_setup import confirm, person, row, rule, team

REASON = '=HYPERLINK("http://evil"), wrong IBAN\nsee ticket 7'


@pytest.fixture
def payouts(team_db: TeamDb) -> dict[str, int]:
    """Five payouts: one needing no approval, and four of the EUR tier from 1000 (two approvers) — approved
    twice, approved then rejected, withdrawn, still waiting."""
    identity = team(team_db)
    rule(team_db, "EUR", "1000", 2)
    ids: dict[str, int] = {}
    bodies: dict[str, str] = {}
    for name, amount in (("small", "50.00"), ("approved", "15000.00"), ("rejected", "2000.00"),
                         ("withdrawn", "3000.00"), ("waiting", "4000.00")):  # fmt: skip
        ids[name], bodies[name] = confirm(team_db, identity, amount, ref=f"REF-{name}")
    with person(team_db, "bob") as conn:
        approvals.approve(conn, ids["approved"], body_hash(bodies["approved"]))
        approvals.approve(conn, ids["rejected"], body_hash(bodies["rejected"]))
    with person(team_db, "cy") as conn:
        approvals.approve(conn, ids["approved"], body_hash(bodies["approved"]))
        approvals.reject(conn, ids["rejected"], REASON)
    with person(team_db, "pia") as conn:
        approvals.withdraw(conn, ids["withdrawn"])
    expected = ("confirmed", "confirmed", "approval_rejected", "withdrawn", "awaiting_approval")
    assert [row(team_db, ids[name], "status")[0] for name in ids] == list(expected)
    return ids


def _decisions(team_db: TeamDb, local_id: int) -> tuple[list[str], str]:
    """(the approvals' cells, expected) from the approvals table and the payout, read as the administrator."""
    with psycopg.connect(team_db.admin) as conn:
        decided = conn.execute(
            "SELECT approver, at, approved, reason FROM payout_desk.approvals"
            " WHERE local_id = %s ORDER BY at, approver",
            (local_id,),
        ).fetchall()
    required, expires = row(team_db, local_id, "approvals_required, approval_expires_at")
    words = "; ".join(
        f"{'approved' if ok else 'rejected'} by {who} at {iso_utc_seconds(at)}" + (f", reason: {why}" if why else "")
        for who, at, ok, why in decided
    )
    given = sum(1 for _, _, ok, _ in decided if ok)
    return [str(required), str(given), iso_utc_seconds(expires) if expires else "", words], words


async def test_the_team_csv_shows_every_approval(team_db: TeamDb, payouts: dict[str, int], tmp_path: Path) -> None:
    journal = await AsyncPgJournal.open(team_db.as_person("vic", "viewer"))
    target = tmp_path / "team.csv"
    query = HistoryQuery(sort=SortKey.CREATED_AT, descending=False)
    try:
        assert await export_csv(journal, query, target) == len(payouts)
        records = [record async for record in journal.iter_matching(query)]
    finally:
        await journal.close()
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM, as a single desk's file
    header, *rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(header) == TEAM_EXPORT_COLUMNS == (*CSV_COLUMNS, *APPROVAL_COLUMNS)
    cells = {int(r[0]): dict(zip(header, r, strict=True)) for r in rows}
    assert {c["created_by"] for c in cells.values()} == {"pia"}  # who prepared it
    by_name = {name: cells[local_id] for name, local_id in payouts.items()}
    assert [by_name["small"][c] for c in APPROVAL_COLUMNS] == ["0", "0", "", ""]
    assert [by_name[n]["approvals_required"] for n in ("approved", "rejected", "withdrawn", "waiting")] == ["2"] * 4
    assert [by_name[n]["approvals_given"] for n in ("approved", "rejected", "withdrawn", "waiting")] == [
        "2",
        "1",
        "0",
        "0",
    ]
    approved = by_name["approved"]["approval_decisions"]
    assert approved.startswith("approved by bob at 20")
    assert "; approved by cy at 20" in approved
    rejected = by_name["rejected"]["approval_decisions"]
    assert rejected.startswith("approved by bob at ")
    assert "; rejected by cy at " in rejected
    assert rejected.endswith(f"Z, reason: {REASON}")  # the rejection closes it: always last, its reason ends the cell
    assert by_name["waiting"]["approval_expires_at"].endswith("Z")
    for name, local_id in payouts.items():
        expected, words = _decisions(team_db, local_id)
        assert [by_name[name][c] for c in APPROVAL_COLUMNS] == expected, name
        assert not by_name[name]["approval_decisions"].startswith(FORMULA_PREFIXES), words
    # byte for byte what csv.writer writes for the desk's cells and then these
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect="excel")
    writer.writerow(TEAM_EXPORT_COLUMNS)
    for record in records:
        writer.writerow(record_row(record) + _decisions(team_db, record.local_id)[0])
    assert data == buffer.getvalue().encode("utf-8-sig")


async def test_a_single_desk_csv_keeps_its_columns(tmp_path: Path) -> None:
    from payout_desk.journal import AsyncJournal

    journal = await AsyncJournal.open(tmp_path / "journal.sqlite3")
    try:
        assert await export_csv(journal, HistoryQuery(), tmp_path / "desk.csv") == 0
    finally:
        await journal.close()
    assert (tmp_path / "desk.csv").read_bytes() == ("\ufeff" + ",".join(CSV_COLUMNS) + "\r\n").encode("utf-8")


def test_the_decisions_cell_is_defused_by_the_same_rule(team_db: TeamDb, payouts: dict[str, int]) -> None:
    """No formula prefix can start it; a prefix that could (here "a", "r") defuses it as any cell."""
    viewer = team_db.as_person("vic", "viewer")
    lines: list[bytes] = []
    assert copy_export(viewer, HistoryQuery(), lines.append, defuse=("a", "r")) == len(payouts)
    rows = list(csv.reader(io.StringIO(b"".join(lines).decode("utf-8"), newline="")))
    decisions = {int(r[0].lstrip("'")): r[TEAM_EXPORT_COLUMNS.index("approval_decisions")] for r in rows}
    assert decisions[payouts["approved"]].startswith("'approved by bob at ")
    assert decisions[payouts["rejected"]].startswith("'approved by bob at ")
    assert decisions[payouts["small"]] == ""
