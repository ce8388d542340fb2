"""The busy rows of a write transaction (tickets, counters, daily numbers, the kiosks' rate
buckets, idempotency keys), written in one go.

The writer is the only one changing these rows while it holds the write lock, and the service
layer keeps their current state in memory anyway, so there is nothing to load before changing
one: a use case hands over the new state, and the transaction writes each table with one
statement (the driver's ``executemany``, see ``DriverSQL``) just before it commits. The ORM's
unit of work would instead load every row first and compare it field by field, which cost more
than the rest of a call-next.

Anything that queries these tables inside the transaction goes through ``tickets`` or
``write``, so it sees the changes made so far.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Select, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from queue_core.domain.counters import Counter
from queue_core.domain.tickets import VISIT_STATE_FIELDS, Ticket
from queue_core.store.models import (
    TICKET_FIELDS,
    CounterRow,
    IdempotencyRow,
    NumberSeq,
    RateBucket,
    TicketRow,
    counter_values,
    ticket_from_row,
    ticket_values,
)

TICKETS = cast(Table, TicketRow.__table__)
COUNTERS = cast(Table, CounterRow.__table__)
NUMBERS = cast(Table, NumberSeq.__table__)
BUCKETS = cast(Table, RateBucket.__table__)
KEYS = cast(Table, IdempotencyRow.__table__)
COUNTER_FIELDS = ("state", "teller", "paused_reason", "current_id", "updated_at")


def _visit_state(t: Ticket) -> dict[str, Any]:
    values = {name: getattr(t, name) for name in VISIT_STATE_FIELDS}
    values["id"], values["status"] = t.id, t.status.value
    return values


class DriverSQL:
    """A Core statement compiled once per database dialect and run on the driver's cursor.

    For the few statements the writer runs in every transaction, SQLAlchemy's per-execution
    work costs more than the database does: even ``exec_driver_sql`` sets up an execution
    context and a result (about 55 µs a statement on SQLite, against 3 µs for the cursor).
    Here the parameters go straight to the cursor of the transaction's connection. They must
    then be what the driver takes as is (str, int, float, bool, None; JSON already encoded).
    A driver's error is raised as SQLAlchemy raises it (``OperationalError``… with
    ``connection_invalidated``), and a lost connection is invalidated as SQLAlchemy does, so
    the store's handling of errors is the same on either path.
    """

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def run(self, session: Session, rows: list[dict[str, Any]]) -> None:
        conn, sql, order = self._prepared(session)
        params = rows if order is None else [tuple(row[name] for name in order) for row in rows]
        _on_cursor(conn, sql, params, many=True)

    def first(self, session: Session, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row a query finds with these parameters (a look-up by key)."""
        conn, sql, order = self._prepared(session)
        bound = params if order is None else tuple(params[name] for name in order)
        row = _on_cursor(conn, sql, bound, many=False)
        return tuple(row) if row is not None else None

    def _prepared(self, session: Session) -> tuple[Connection, str, tuple[str, ...] | None]:
        conn = session.connection()
        compiled = self._compiled.get(conn.dialect.name)
        if compiled is None:
            c = cast(SQLCompiler, self.statement.compile(dialect=conn.dialect))
            order = tuple(c.positiontup) if c.positiontup else None
            compiled = self._compiled[conn.dialect.name] = (c.string, order)
        return conn, *compiled


def _on_cursor(conn: Connection, sql: str, params: Any, *, many: bool) -> Any:
    """Execute on the connection's own cursor (its transaction is begun): ``many`` rows, or
    one statement whose first row is returned."""
    dialect = conn.dialect
    raw = conn.connection
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(sql, params)
            return None
        cursor.execute(sql, params)
        return cursor.fetchone()
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, raw, cursor)
        error = DBAPIError.instance(
            sql,
            params,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
            ismulti=many,
        )
        if lost:
            conn.invalidate(error)
        raise error from exc
    finally:
        cursor.close()


def _update_by(table: Table, key: str, fields: tuple[str, ...]) -> DriverSQL:
    """``UPDATE table SET fields… WHERE key = :key`` (bound as ``b_<name>``)."""
    return DriverSQL(
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({name: bindparam(f"b_{name}") for name in fields})
    )


def _insert(table: Table, fields: tuple[str, ...]) -> DriverSQL:
    return DriverSQL(table.insert().values({name: bindparam(name) for name in fields}))


_INSERT_TICKET = _insert(TICKETS, (*TICKET_FIELDS, "status"))
# Only the visit's state: SQLite then leaves the indexes on the fixed columns alone.
_UPDATE_TICKET = _update_by(TICKETS, "id", VISIT_STATE_FIELDS)
_UPDATE_COUNTER = _update_by(COUNTERS, "number", COUNTER_FIELDS)
_TICKET_BY_ID = select(TICKETS).where(TICKETS.c.id == bindparam("id"))
_LAST_NUMBER = select(NUMBERS.c.last).where(
    NUMBERS.c.business_day == bindparam("day"), NUMBERS.c.prefix == bindparam("prefix")
)


_BUCKET = select(BUCKETS.c.tokens, BUCKETS.c.stamp).where(BUCKETS.c.name == bindparam("name"))
_KEY = DriverSQL(
    select(KEYS.c.request_hash, KEYS.c.ticket_id).where(
        KEYS.c.principal == bindparam("principal"), KEYS.c.key == bindparam("key")
    )
)
_INSERT_KEY = _insert(KEYS, ("principal", "key", "request_hash", "ticket_id", "created_at"))


def _upserts(table: Table, keys: tuple[str, ...], values: tuple[str, ...]) -> dict[str, DriverSQL]:
    """``INSERT … ON CONFLICT (keys) DO UPDATE SET values…``, by dialect name."""
    out = {}
    for dialect in (sqlite, postgresql):
        stmt = dialect.insert(table).values({n: bindparam(n) for n in (*keys, *values)})
        out[dialect.dialect.name] = DriverSQL(
            stmt.on_conflict_do_update(
                index_elements=[table.c[k] for k in keys],
                set_={v: stmt.excluded[v] for v in values},
            )
        )
    return out


#: The upserts of a daily number row and of a rate bucket, by dialect name.
_UPSERT_NUMBER = _upserts(NUMBERS, ("business_day", "prefix"), ("last",))
_UPSERT_BUCKET = _upserts(BUCKETS, ("name",), ("tokens", "stamp"))


class PendingRows:
    """The ticket, counter and number rows a transaction has changed and not written yet."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._inserts: dict[str, Ticket] = {}
        self._updates: dict[str, Ticket] = {}
        self._counters: dict[int, dict[str, Any]] = {}
        self._numbers: dict[tuple[str, str], int] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self._keys: dict[tuple[str, str], tuple[str, str, float]] = {}

    # ------------------------------------------------------------------ tickets
    def save_ticket(self, t: Ticket, *, new: bool = False) -> None:
        """Keep a ticket's new state (``new``: its row does not exist yet)."""
        if new or t.id in self._inserts:
            self._inserts[t.id] = t
        else:
            self._updates[t.id] = t

    def ticket(self, ticket_id: str) -> Ticket | None:
        """A ticket as this transaction sees it."""
        pending = self._inserts.get(ticket_id) or self._updates.get(ticket_id)
        if pending is not None:
            return pending
        found = self.session.execute(_TICKET_BY_ID, {"id": ticket_id}).mappings().first()
        return ticket_from_row(found) if found is not None else None

    def tickets(self, query: Select[Any]) -> list[Ticket]:
        """The tickets a query on the tickets table finds, with this transaction's changes
        (they are written first)."""
        self.write()
        return [ticket_from_row(r) for r in self.session.execute(query).mappings()]

    # ----------------------------------------------------------------- counters
    def save_counter(self, counter: Counter) -> None:
        """Keep a counter's live state (its row exists from start-up on)."""
        self._counters[counter.number] = counter_values(counter)

    # ------------------------------------------------------------------ numbers
    def last_number(self, day: str, prefix: str) -> int:
        """The last daily sequence written for a ticket prefix (0: none yet)."""
        found = self.session.execute(_LAST_NUMBER, {"day": day, "prefix": prefix}).scalar()
        return int(found or 0)

    def save_number(self, day: str, prefix: str, last: int) -> None:
        """Keep the last sequence handed out for a ticket prefix."""
        self._numbers[(day, prefix)] = last

    # ------------------------------------------------------------- rate buckets
    def bucket(self, name: str) -> tuple[float, float] | None:
        """A token bucket's (tokens, stamp) as this transaction sees it."""
        if name in self._buckets:
            return self._buckets[name]
        found = self.session.execute(_BUCKET, {"name": name}).first()
        return (float(found[0]), float(found[1])) if found is not None else None

    def save_bucket(self, name: str, tokens: float, stamp: float) -> None:
        self._buckets[name] = (tokens, stamp)

    # --------------------------------------------------------- idempotency keys
    def idempotent(self, principal: str, key: str) -> tuple[str, str] | None:
        """(request hash, ticket id) of a request already answered under this key."""
        if (principal, key) in self._keys:
            request_hash, ticket_id, _ = self._keys[(principal, key)]
            return request_hash, ticket_id
        # (every kiosk press asks: by the driver, without the ORM's per-statement work)
        found = _KEY.first(self.session, {"principal": principal, "key": key})
        return (str(found[0]), str(found[1])) if found is not None else None

    def save_idempotent(
        self, principal: str, key: str, request_hash: str, ticket_id: str, at: float
    ) -> None:
        self._keys[(principal, key)] = (request_hash, ticket_id, at)

    # -------------------------------------------------------------------- write
    def write(self) -> None:
        """Write every change kept so far: one statement per table."""
        if self._inserts:
            _INSERT_TICKET.run(self.session, [ticket_values(t) for t in self._inserts.values()])
            self._inserts.clear()
        if self._updates:
            rows = [_bound(_visit_state(t)) for t in self._updates.values()]
            _UPDATE_TICKET.run(self.session, rows)
            self._updates.clear()
        if self._counters:
            rows = [_bound({"number": n, **v}) for n, v in self._counters.items()]
            _UPDATE_COUNTER.run(self.session, rows)
            self._counters.clear()
        if self._numbers:
            rows = [
                {"business_day": d, "prefix": p, "last": last}
                for (d, p), last in sorted(self._numbers.items())
            ]
            _UPSERT_NUMBER[self._dialect()].run(self.session, rows)
            self._numbers.clear()
        if self._buckets:
            rows = [
                {"name": n, "tokens": tokens, "stamp": stamp}
                for n, (tokens, stamp) in sorted(self._buckets.items())
            ]
            _UPSERT_BUCKET[self._dialect()].run(self.session, rows)
            self._buckets.clear()
        if self._keys:
            rows = [
                {"principal": p, "key": k, "request_hash": h, "ticket_id": t, "created_at": at}
                for (p, k), (h, t, at) in self._keys.items()
            ]
            _INSERT_KEY.run(self.session, rows)
            self._keys.clear()

    def _dialect(self) -> str:
        return self.session.get_bind().dialect.name


def _bound(values: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{name}": value for name, value in values.items()}
