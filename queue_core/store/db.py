"""The database: engines, migrations, and the serialized write transaction.

Writes are serialized: one at a time per branch (a process lock, plus ``BEGIN IMMEDIATE`` on
SQLite and a transaction-scoped advisory lock on PostgreSQL). That is what makes call-next
atomic (two counters can never take the same ticket) and lets every event get the next
``seq`` with no gap and in commit order. Reads run concurrently (SQLite WAL readers never
block the writer). SQLite runs with ``synchronous=FULL``: a commit is on disk before the API
answers ``201``.

A ``Transaction`` keeps the busy rows it changed (tickets, counters, daily numbers, rate
buckets, idempotency keys: ``pending.PendingRows``) and the events appended to it, and writes
them all just before it commits. The store knows nothing of the use cases that run in it:
``queue_core.usecases.runner`` opens the transactions and decides what goes into each.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, bindparam, create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from queue_core.domain.appointments import Appointment
from queue_core.domain.errors import Unavailable
from queue_core.domain.tickets import Ticket
from queue_core.store.models import AppointmentRow, EventRow, TicketRow
from queue_core.store.pending import DriverSQL, PendingRows

log = logging.getLogger(__name__)

#: The PostgreSQL advisory lock key that serializes a branch's writes.
WRITE_LOCK_KEY = 0x42_52_51  # "BRQ"
LAST_SEQ = text("SELECT max(seq) FROM events")
#: The two statements that begin every write transaction, run by the driver (``DriverSQL``).
_WRITE_LOCK = DriverSQL(text("SELECT pg_advisory_xact_lock(:k)"))
_LAST_SEQ = DriverSQL(LAST_SEQ)
EVENTS = cast(Table, EventRow.__table__)
_INSERT_EVENT = DriverSQL(
    EVENTS.insert().values({name: bindparam(name) for name in ("seq", "type", "at", "data")})
)


@dataclass(frozen=True, slots=True)
class Event:
    """One event of the log, as sent to subscribers."""

    seq: int
    type: str
    at: float
    data: dict[str, Any]
    #: ``data`` as JSON, once it is final (encoded once for the log and the subscribers).
    data_json: str | None = None


@dataclass
class Transaction:
    """One serialized write transaction: its session, the busy rows it changed, and the
    events appended to the log in it (``seq`` from ``first_seq`` on)."""

    session: Session
    first_seq: int
    rows: PendingRows = field(init=False)
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rows = PendingRows(self.session)

    @property
    def last_seq(self) -> int:
        """The log's last seq once this transaction commits."""
        return self.first_seq + len(self.events) - 1

    def append(self, type_: str, at: float, data: dict[str, Any]) -> Event:
        """Append an event to the log (encoded now, written in one go at commit)."""
        ev = Event(self.last_seq + 1, type_, at, data, encode_json(data))
        self.events.append(ev)
        return ev

    def _write(self) -> None:
        self.rows.write()
        if self.events:
            rows = [
                {"seq": e.seq, "type": e.type, "at": e.at, "data": e.data_json} for e in self.events
            ]
            _INSERT_EVENT.run(self.session, rows)


def encode_json(data: Any) -> str:
    """JSON as the event log and the event stream carry it."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's begin hook issue BEGIN itself (pysqlite would defer it).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Store:
    """The branch's database (SQLite by default, or PostgreSQL)."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if not self.is_sqlite:
            kwargs = {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}
        self.write_engine = self._engine(url, immediate=True, **kwargs)
        self.read_engine = self._engine(url, immediate=False, **kwargs)
        # No autoflush in writes: the runner flushes once after each use case, not before
        # every look-up by key, which the identity map answers.
        self._writes = sessionmaker(self.write_engine, expire_on_commit=False, autoflush=False)
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False)
        self._lock = threading.Lock()
        #: Told the last seq a commit is about to make durable, and None when a transaction
        #: with events rolls back (the PostgreSQL event bridge: see ``EventBridge.expect``).
        self.committing: Callable[[int | None], None] | None = None
        if migrate:
            self.migrate()

    def _engine(self, url: str, *, immediate: bool, **kwargs: Any) -> Engine:
        engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
            begin = "BEGIN IMMEDIATE" if immediate else "BEGIN"
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        return engine

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        cfg = Config()
        location = resources.files("queue_core.store").joinpath("migrations")
        cfg.set_main_option("script_location", str(location))
        with self.write_engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        self.write_engine.dispose()
        self.read_engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """One serialized write transaction; committed when the block ends without error,
        with its pending rows and events written just before."""
        with self._lock, _unavailable_on_db_errors():
            session = self._writes()
            tx: Transaction | None = None
            try:
                if not self.is_sqlite:
                    _WRITE_LOCK.first(session, {"k": WRITE_LOCK_KEY})
                found = _LAST_SEQ.first(session, {})
                last = (found[0] if found is not None else None) or 0
                tx = Transaction(session, last + 1)
                yield tx
                tx._write()
                if self.committing is not None and tx.events:
                    self.committing(tx.last_seq)
                session.commit()
            except BaseException:
                session.rollback()
                if self.committing is not None and tx is not None and tx.events:
                    self.committing(None)
                raise
            finally:
                session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (a consistent snapshot on both databases)."""
        with _unavailable_on_db_errors():
            session = self._reads()
            try:
                yield session
            finally:
                session.close()  # ends the transaction; loaded objects stay readable

    def ping(self) -> bool:
        try:
            with self.read() as session:
                session.execute(text("SELECT 1"))
            return True
        except Unavailable:
            return False

    def tickets_of_day(self, day: str) -> list[Ticket]:
        """Every visit of a business day (``YYYY-MM-DD``), oldest first."""
        with self.read() as session:
            rows = session.scalars(
                select(TicketRow)
                .where(TicketRow.business_day == day)
                .order_by(TicketRow.issued_at, TicketRow.number, TicketRow.visit)
            )
            return [row.to_domain() for row in rows]

    def appointments_of_day(self, day: str) -> list[Appointment]:
        """The appointments booked for a business day (``YYYY-MM-DD``), in window order."""
        with self.read() as session:
            rows = session.scalars(
                select(AppointmentRow)
                .where(AppointmentRow.day == day)
                .order_by(AppointmentRow.start, AppointmentRow.booked_at)
            )
            return [row.to_domain() for row in rows]

    def events_after(self, seq: int, limit: int) -> list[Event]:
        """Events with ``seq`` greater than the given one, oldest first, at most ``limit``."""
        with self.read() as session:
            rows = session.scalars(
                select(EventRow).where(EventRow.seq > seq).order_by(EventRow.seq).limit(limit)
            )
            return [Event(r.seq, r.type, r.at, r.data) for r in rows]

    def last_seq(self) -> int:
        with self.read() as session:
            return int(session.scalar(select(func.max(EventRow.seq))) or 0)


@contextmanager
def _unavailable_on_db_errors() -> Iterator[None]:
    """A database that is down or stays locked becomes a clean 503, never a 500."""
    try:
        yield
    except OperationalError as exc:
        log.warning("database unavailable: %s", exc.orig)
        raise Unavailable("the database is unavailable; try again shortly") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable("the database connection was lost; try again") from exc
        raise
