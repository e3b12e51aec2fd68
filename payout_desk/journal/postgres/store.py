"""The team journal, synchronous: one psycopg 3 connection, used from one thread (AsyncPgJournal's worker).

Every write is one call of a SECURITY DEFINER function in its own transaction (autocommit): the database
takes the actor from ``session_user`` and times the change with its own clock, so the ``actor`` a caller
passes is not used; when a ``record_*`` method returns, the change is committed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, LiteralString

import psycopg
from psycopg import errors, sql
from psycopg.types.numeric import Int8

from payout_desk.domain.totals import CurrencyTotals, group_totals
from payout_desk.journal.migrations import AMOUNT_SCALE
from payout_desk.journal.models import (
    DuplicateIdempotencyKeyError,
    DuplicateReferenceError,
    HistoryQuery,
    JournalError,
    JournalEvent,
    PaymentIdTakenError,
    PayoutNotFoundError,
    PayoutRecord,
)
from payout_desk.journal.postgres import connections, duplicates
from payout_desk.journal.postgres.attempts import PgAttempts
from payout_desk.journal.postgres.migrate import check_version
from payout_desk.journal.postgres.people import GROUPS
from payout_desk.journal.postgres.queries import COLUMNS, IMMUTABLE_SORTS, PgQuery, compile_pg, record_from_pg

if TYPE_CHECKING:
    from payout_desk.domain.duplicates import DuplicateMatch, PayoutProbe
    from payout_desk.domain.payout import PayoutRequest
    from payout_desk.journal.once import WaitingConnection

__all__ = ["PgJournal", "connect", "plain_error"]

_ENVIRONMENTS: Final = frozenset({"sandbox", "live"})
_DEEP: Final = 1000  # offsets past this may be read from the other end
_WALK_ROWS: Final = 5000  # rows a text search walks in order before it asks the trigram index
_WALK_PAGE: Final = 500  # ... for pages ending before this row
_COUNTS_KEPT: Final = 64


def connect(conninfo: str, *, autocommit: bool = True) -> psycopg.Connection[Any]:
    """A connection in UTC (timestamps come back as aware UTC datetimes); a plain JournalError on failure."""
    try:
        conn = psycopg.connect(conninfo, autocommit=autocommit, options="-c TimeZone=UTC")
    except psycopg.OperationalError as exc:
        raise JournalError(f"Could not connect to the team database: {str(exc).strip()}") from exc
    return conn


def plain_error(exc: psycopg.Error) -> JournalError:
    """A JournalError in words a finance user can act on; the database's own message stays in it (and the
    psycopg error is chained) for the log."""
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, errors.InsufficientPrivilege):
        return JournalError(
            f"The team database refused this for your login ({detail}). Ask your administrator for the right role."
        )
    if isinstance(exc, psycopg.OperationalError):
        return JournalError(
            f"Lost the connection to the team database ({detail}). Nothing was changed by this step unless the "
            "history shows it; try again when the network is back."
        )
    return JournalError(f"The team database reported an error: {detail}")


def _check_member(conn: psycopg.Connection[Any]) -> None:
    """JournalError unless the login holds one of the app's roles."""
    row = conn.execute(
        "SELECT session_user, bool_or(pg_has_role(session_user, g, 'USAGE')) FROM unnest(%s::text[]) AS g",
        (list(GROUPS.values()),),
    ).fetchone()
    if row is None or not row[1]:
        login = row[0] if row else "this login"
        raise JournalError(
            f"The login {login} has no Payout Desk role in this team database. Ask your database administrator "
            "to add you (payout-desk-admin add-person)."
        )


class PgJournal(PgAttempts):
    """The payout journal on the team's PostgreSQL. Synchronous; one connection; one thread."""

    def __init__(self, conn: psycopg.Connection[Any], conninfo: str) -> None:
        self._conn: psycopg.Connection[Any] | None = conn
        self.conninfo = conninfo
        self._pages: dict[tuple[HistoryQuery, int], tuple[int, object, int]] = {}
        self._counts: dict[HistoryQuery, tuple[int, int]] = {}

    @classmethod
    def open(cls, conninfo: str) -> PgJournal:
        """Connect and check the schema version (a plain JournalError when it is not this version's)."""
        conn = connect(conninfo)
        try:
            check_version(conn)
            _check_member(conn)
        except BaseException:
            conn.close()
            raise
        return cls(conn, conninfo)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @property
    def conn(self) -> psycopg.Connection[Any]:
        """The open connection (a new one when the last was lost); JournalError once closed."""
        if self._conn is None:
            raise JournalError("the journal is closed")
        if self._conn.broken:  # lost: the call that saw it failed; later ones get a new connection
            self._conn.close()
            self._conn = connect(self.conninfo)
            self._pages.clear()
            self._counts.clear()
        return self._conn

    def _call(self, function: LiteralString, *args: object) -> Any:
        marks = ", ".join(["%s"] * len(args))
        query = sql.SQL("SELECT payout_desk.{}(" + marks + ")").format(sql.Identifier(function))
        try:
            row = self.conn.execute(query, args).fetchone()
        except errors.NoDataFound as exc:
            local_id = args[0]
            raise PayoutNotFoundError(local_id if isinstance(local_id, int) else 0) from exc
        return None if row is None else row[0]

    # -- writing ----------------------------------------------------------------------------------

    def record_confirmed(
        self,
        request: PayoutRequest,
        *,
        idempotency_key: str,
        environment: str,
        profile: str,
        actor: str,
        connection_id: str | None = None,
        duplicates_shown: Sequence[int] = (),
    ) -> PayoutRecord:
        """Journal a confirmed payout for ``connection_id``; the database derives every request column from
        the body. A reference already used on that connection is DuplicateReferenceError.
        ``duplicates_shown``: the near duplicates the person was warned about and sent anyway, recorded in
        the same transaction as a ``duplicate_warning`` event."""
        del actor  # the database's session_user
        if not idempotency_key:
            raise ValueError("an Idempotency-Key is required")
        if environment not in _ENVIRONMENTS:
            raise ValueError(f"environment must be 'sandbox' or 'live', not {environment!r}")
        body = request.body_json()
        try:
            shown = [Int8(i) for i in duplicates_shown]
            local_id = self._call("confirm_payout", body, idempotency_key, environment, profile, connection_id, shown)
        except errors.UniqueViolation as exc:
            if exc.diag.constraint_name == "payouts_reference" and request.external_id is not None:
                owner = exc.diag.message_detail
                raise DuplicateReferenceError(request.external_id, int(owner) if owner else 0) from exc
            raise DuplicateIdempotencyKeyError(idempotency_key) from exc
        return self.get(int(local_id))

    def record_created(
        self, local_id: int, *, payment_id: str, checkin_url: str | None, status: str, actor: str
    ) -> PayoutRecord:
        """The provider created (or replayed) the payout."""
        del actor
        try:
            self._call("record_created", local_id, payment_id, checkin_url, status)
        except errors.UniqueViolation as exc:  # another payout holds payment_id: nothing written
            raise PaymentIdTakenError(payment_id, int(exc.diag.message_detail or 0)) from exc
        return self.get(local_id)

    def record_status(
        self, local_id: int, *, status: str, failure_reason: str | None, source: str, actor: str
    ) -> PayoutRecord | None:
        """A status read from the provider; None when nothing changed."""
        del actor
        changed = self._call("record_status", local_id, status, failure_reason, source)
        return self.get(local_id) if changed else None

    def record_outcome_unknown(self, local_id: int, *, message: str, actor: str) -> PayoutRecord:
        """Retries ran out without a definitive answer."""
        del actor
        self._call("record_outcome_unknown", local_id, message)
        return self.get(local_id)

    def record_rejected(self, local_id: int, *, code: str, message: str, actor: str) -> PayoutRecord:
        """The provider refused the payout."""
        del actor
        self._call("record_rejected", local_id, code, message)
        return self.get(local_id)

    # -- reading ----------------------------------------------------------------------------------

    def _records(
        self, where: sql.Composable, params: tuple[object, ...] = (), oldest_first: bool = False
    ) -> list[PayoutRecord]:
        tail = sql.SQL(" ORDER BY p.created_at, p.local_id" if oldest_first else "")
        query = sql.SQL("SELECT {} FROM payout_desk.payouts p WHERE {}{}").format(COLUMNS, where, tail)
        return [record_from_pg(row) for row in self.conn.execute(query, params).fetchall()]

    def get(self, local_id: int) -> PayoutRecord:
        """The payout with this local id; PayoutNotFoundError otherwise."""
        found = self._records(sql.SQL("p.local_id = %s"), (local_id,))
        if not found:
            raise PayoutNotFoundError(local_id)
        return found[0]

    def unsent(self, connection_id: str) -> list[PayoutRecord]:
        """``connection_id``'s payouts to (re)send, oldest first (``connections.unsent``)."""
        return connections.unsent(self.conn, connection_id)

    def to_poll(
        self, connection_id: str, *, after: PayoutRecord | None = None, limit: int = -1
    ) -> list[PayoutRecord]:
        """``connection_id``'s payouts to follow, a page at a time (``connections.to_poll``)."""
        return connections.to_poll(self.conn, connection_id, after, limit)

    def payment_owner(self, payment_id: str) -> int | None:
        """The payout that holds ``payment_id``, if any."""
        return connections.payment_owner(self.conn, payment_id)

    def reference_owner(self, connection_id: str, external_id: str) -> int | None:
        """The payout of ``connection_id`` that already uses ``external_id``, if any."""
        return connections.reference_owner(self.conn, connection_id, external_id)

    def waiting(self, connection_id: str) -> list[WaitingConnection]:
        """Other connections with open payouts (``connections.waiting``)."""
        return connections.waiting(self.conn, connection_id)

    def near_duplicates(self, probe: PayoutProbe) -> list[DuplicateMatch]:
        """The payouts ``probe`` nearly duplicates, newest first (``postgres.duplicates``)."""
        return duplicates.near_duplicates(self.conn, probe)

    def events(self, local_id: int) -> list[JournalEvent]:
        """The payout's events, oldest first."""
        rows = self.conn.execute(
            "SELECT event_id, local_id, at, kind, actor, detail FROM payout_desk.events"
            " WHERE local_id = %s ORDER BY event_id",
            (local_id,),
        ).fetchall()
        return [JournalEvent(*row) for row in rows]

    def events_after(self, cursor: int, limit: int = 1000) -> list[JournalEvent]:
        """The feed: events with ``event_id > cursor``, in id order, at most ``limit``."""
        rows = self.conn.execute(
            "SELECT event_id, local_id, at, kind, actor, detail FROM payout_desk.events"
            " WHERE event_id > %s ORDER BY event_id LIMIT %s",
            (cursor, limit),
        ).fetchall()
        return [JournalEvent(*row) for row in rows]

    def last_event_id(self) -> int:
        """The newest event id (0 when there is none): a cursor that starts from now."""
        row = self.conn.execute("SELECT coalesce(max(event_id), 0) FROM payout_desk.events").fetchone()
        return int(row[0]) if row else 0

    def provider_base_url(self) -> str | None:
        """The team's provider identity (None until an administrator sets it)."""
        row = self.conn.execute("SELECT provider_base_url FROM payout_desk.team_settings").fetchone()
        return None if row is None else row[0]

    # -- history ----------------------------------------------------------------------------------

    def count(self, query: HistoryQuery) -> int:
        """How many payouts match the query (exact; cached until the journal changes)."""
        return self._count(query, compile_pg(query), self._version())

    def _count(self, query: HistoryQuery, compiled: PgQuery, version: int) -> int:
        known = self._counts.get(query)
        if known is not None and known[0] == version:
            return known[1]
        total = 0 if compiled.empty else self._count_now(query, compiled)
        if len(self._counts) >= _COUNTS_KEPT:
            self._counts.clear()
        self._counts[query] = (version, total)
        return total

    def _count_now(self, query: HistoryQuery, compiled: PgQuery) -> int:
        """The count from the database: status-only queries from the trigger-kept counts, others by scanning."""
        if not query.text.split() and query.amount is None and query.created_from is None and query.created_to is None:
            row = self.conn.execute(
                "SELECT coalesce(sum(n), 0) FROM payout_desk.payout_status_counts"
                " WHERE %(s)s::text[] IS NULL OR status = ANY(%(s)s::text[])",
                {"s": None if query.statuses is None else sorted(query.statuses)},
            ).fetchone()
        else:
            statement = sql.SQL("SELECT count(*) FROM payout_desk.payouts p WHERE {}").format(compiled.where)
            row = self.conn.execute(statement, compiled.params).fetchone()
        return int(row[0]) if row else 0

    def totals(self, query: HistoryQuery) -> list[CurrencyTotals]:
        """Per currency, the matching payouts' count and exact sum by status (``domain.totals``): the
        ``amount_scaled`` integers summed by the database, as the desk's journal does."""
        compiled = compile_pg(query)
        if compiled.empty:
            return []
        statement = sql.SQL(
            "SELECT p.currency, p.status, count(*), sum(p.amount_scaled) FROM payout_desk.payouts p WHERE {}"
            " GROUP BY p.currency, p.status"
        ).format(compiled.where)
        rows = self.conn.execute(statement, compiled.params).fetchall()
        return group_totals((c, s, n, Decimal(total) / AMOUNT_SCALE) for c, s, n, total in rows)

    def _keyed(self, compiled: PgQuery, after: tuple[object, int] | None, limit: int, offset: int = 0) -> list[Any]:
        """(key, row…) rows in the query's order, after a keyset position or from an offset."""
        if compiled.text is not None and offset + limit <= _WALK_PAGE:
            walked = self._walked(compiled, after, limit, offset)
            if walked is not None:
                return walked
        extra, params = (None, ()) if after is None else compiled.after(*after)
        statement = sql.SQL(
            "SELECT {} AS sort_key, {} FROM payout_desk.payouts p WHERE {} ORDER BY {} LIMIT %s OFFSET %s"
        )
        query = statement.format(compiled.key, COLUMNS, compiled.where_and(extra), compiled.order)
        return self.conn.execute(query, (*compiled.params, *params, limit, offset)).fetchall()

    def _walked(self, compiled: PgQuery, after: tuple[object, int] | None, limit: int, offset: int) -> list[Any] | None:
        """The first text matches by walking the sort index over the next ``_WALK_ROWS`` rows only; None
        when fewer than wanted match there (then the trigram index answers). Exact: those rows come
        first in this order, so the first matches among them are the first matches overall. Common
        terms (most searches) would otherwise collect every match through the trigram index and sort."""
        extra, params = (None, ()) if after is None else compiled.after(*after)
        base = compiled.base if extra is None else sql.SQL("({}) AND {}").format(compiled.base, extra)
        statement = sql.SQL(
            "SELECT {} AS sort_key, {} FROM (SELECT * FROM payout_desk.payouts p WHERE {} ORDER BY {} LIMIT %s) p"
            " WHERE {} ORDER BY {} LIMIT %s OFFSET %s"
        ).format(compiled.key, COLUMNS, base, compiled.order, compiled.text, compiled.order)
        values = (*compiled.base_params, *params, _WALK_ROWS, *compiled.text_params, limit, offset)
        rows = self.conn.execute(statement, values).fetchall()
        return rows if len(rows) == limit else None

    def _version(self) -> int:
        return self.last_event_id()  # every change appends an event

    def page(self, query: HistoryQuery, offset: int, limit: int) -> list[PayoutRecord]:
        """Rows ``offset`` … ``offset + limit - 1`` of the query's order. The next page after one just read
        (scrolling) continues from its last row by keyset; any other offset is counted from the start."""
        if offset < 0 or limit < 0:
            raise ValueError("offset and limit must not be negative")
        compiled = compile_pg(query)
        if compiled.empty or limit == 0:
            return []
        version = self._version()
        known = self._pages.get((query, offset))
        if known is not None and known[0] == version:
            rows = self._keyed(compiled, (known[1], known[2]), limit)
        else:
            rows = self._from_offset(query, compiled, offset, limit, version)
        if rows:
            self._pages = {(query, offset + len(rows)): (version, rows[-1][0], rows[-1][FIELD_LOCAL_ID + 1])}
        return [record_from_pg(row[1:]) for row in rows]

    def _from_offset(self, query: HistoryQuery, compiled: PgQuery, offset: int, limit: int, version: int) -> list[Any]:
        """Rows from ``offset``; past the middle of a large result the reversed order is read and
        flipped, so jumping to the last row costs what the first does."""
        if offset > _DEEP:
            total = self._count(query, compiled, version)
            if offset >= total:
                return []
            if offset > total // 2:
                end = min(offset + limit, total)
                flipped = dataclasses.replace(compiled, descending=not compiled.descending)
                return self._keyed(flipped, None, end - offset, total - end)[::-1]
        return self._keyed(compiled, None, limit, offset)

    def iter_matching(self, query: HistoryQuery, batch: int = 5000) -> Iterator[PayoutRecord]:
        """Every matching payout in the query's order, ``batch`` rows a query; no statement stays open
        between batches. Immutable sort keys walk by keyset; others read the ordered ids first, so a
        row changed meanwhile neither repeats nor goes missing (and shows its latest values)."""
        if batch <= 0:
            raise ValueError("batch must be positive")
        compiled = compile_pg(query)
        if compiled.empty:
            return
        if query.sort in IMMUTABLE_SORTS:
            after: tuple[object, int] | None = None
            while rows := self._keyed(compiled, after, batch):
                yield from (record_from_pg(row[1:]) for row in rows)
                after = (rows[-1][0], rows[-1][FIELD_LOCAL_ID + 1])
            return
        ids_query = sql.SQL("SELECT p.local_id FROM payout_desk.payouts p WHERE {} ORDER BY {}")
        ids = [r[0] for r in self.conn.execute(ids_query.format(compiled.where, compiled.order), compiled.params)]
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            by_id = {r.local_id: r for r in self._records(sql.SQL("p.local_id = ANY(%s)"), (chunk,))}
            yield from (by_id[i] for i in chunk if i in by_id)


FIELD_LOCAL_ID: Final = 0  # PayoutRecord's first field
