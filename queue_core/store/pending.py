"""The busy rows of a write transaction (tickets, counters, daily numbers), written in one go.

The writer is the only one changing these rows while it holds the write lock, and the service
layer keeps their current state in memory anyway, so there is nothing to load before changing
one: a use case hands over the new state, and the transaction writes each table with one
statement (SQLAlchemy Core, ``executemany``) just before it commits. The ORM's unit of work
would instead load every row first and compare it field by field, which cost more than the rest
of a call-next.

Anything that queries these tables inside the transaction goes through ``tickets`` or
``write``, so it sees the changes made so far.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Executable, Select, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from queue_core.domain.tickets import Status, Ticket
from queue_core.store.models import TICKET_FIELDS, CounterRow, NumberSeq, TicketRow

TICKETS = cast(Table, TicketRow.__table__)
COUNTERS = cast(Table, CounterRow.__table__)
NUMBERS = cast(Table, NumberSeq.__table__)
COUNTER_FIELDS = ("state", "teller", "paused_reason", "current_id", "updated_at")


def ticket_values(t: Ticket) -> dict[str, Any]:
    """A ticket as the column values of its row."""
    values = {name: getattr(t, name) for name in TICKET_FIELDS}
    values["status"] = t.status.value
    return values


def ticket_from_row(row: Mapping[Any, Any]) -> Ticket:
    """A domain ticket from a row of the tickets table (as ``.mappings()`` gives it)."""
    values = {name: row[name] for name in TICKET_FIELDS}
    return Ticket(status=Status(row["status"]), **values)


def _update_by(table: Table, key: str, fields: tuple[str, ...]) -> Executable:
    """``UPDATE table SET fields… WHERE key = :key`` for executemany (bound as ``b_<name>``)."""
    return (
        update(table)
        .where(table.c[key] == bindparam(f"b_{key}"))
        .values({name: bindparam(f"b_{name}") for name in fields})
    )


_UPDATE_TICKET = _update_by(TICKETS, "id", (*TICKET_FIELDS, "status"))
_UPDATE_COUNTER = _update_by(COUNTERS, "number", COUNTER_FIELDS)


class PendingRows:
    """The ticket, counter and number rows a transaction has changed and not written yet."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._inserts: dict[str, Ticket] = {}
        self._updates: dict[str, Ticket] = {}
        self._counters: dict[int, dict[str, Any]] = {}
        self._numbers: dict[tuple[str, str], int] = {}
        self._numbers_changed: set[tuple[str, str]] = set()

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
        row = self.session.execute(select(TICKETS).where(TICKETS.c.id == ticket_id)).mappings()
        found = row.first()
        return ticket_from_row(found) if found is not None else None

    def tickets(self, query: Select[Any]) -> list[Ticket]:
        """The tickets a query on the tickets table finds, with this transaction's changes
        (they are written first)."""
        self.write()
        return [ticket_from_row(r) for r in self.session.execute(query).mappings()]

    # ----------------------------------------------------------------- counters
    def save_counter(self, row: CounterRow) -> None:
        """Keep a counter's live state (its row exists from start-up on)."""
        self._counters[row.number] = {name: getattr(row, name) for name in COUNTER_FIELDS}

    # ------------------------------------------------------------------ numbers
    def next_number(self, day: str, prefix: str) -> int:
        """The next daily sequence of a ticket prefix."""
        key = (day, prefix)
        last = self._numbers.get(key)
        if last is None:
            found = self.session.execute(
                select(NUMBERS.c.last).where(
                    NUMBERS.c.business_day == day, NUMBERS.c.prefix == prefix
                )
            ).scalar()
            last = int(found or 0)
        self._numbers[key] = last + 1
        self._numbers_changed.add(key)
        return last + 1

    # -------------------------------------------------------------------- write
    def write(self) -> None:
        """Write every change kept so far: one statement per table."""
        if self._inserts:
            self.session.execute(
                TICKETS.insert(), [ticket_values(t) for t in self._inserts.values()]
            )
            self._inserts.clear()
        if self._updates:
            self.session.execute(
                _UPDATE_TICKET,
                [_bound(ticket_values(t)) for t in self._updates.values()],
            )
            self._updates.clear()
        if self._counters:
            self.session.execute(
                _UPDATE_COUNTER,
                [_bound({"number": n, **v}) for n, v in self._counters.items()],
            )
            self._counters.clear()
        if self._numbers_changed:
            rows = [
                {"business_day": d, "prefix": p, "last": self._numbers[(d, p)]}
                for d, p in sorted(self._numbers_changed)
            ]
            self.session.execute(self._upsert_numbers(), rows)
            self._numbers_changed.clear()

    def _upsert_numbers(self) -> Executable:
        dialect = sqlite if self.session.get_bind().dialect.name == "sqlite" else postgresql
        stmt = dialect.insert(NUMBERS)
        return cast(
            Executable,
            stmt.on_conflict_do_update(
                index_elements=[NUMBERS.c.business_day, NUMBERS.c.prefix],
                set_={"last": stmt.excluded["last"]},
            ),
        )


def _bound(values: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{name}": value for name, value in values.items()}
