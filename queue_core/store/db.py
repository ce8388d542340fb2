"""The database: engines, migrations and the unit of work.

Writes are serialized: one at a time per branch (a process lock, plus ``BEGIN IMMEDIATE`` on
SQLite and a transaction-scoped advisory lock on PostgreSQL). That is what makes call-next
atomic (two counters can never take the same ticket) and lets every event get the next
``seq`` with no gap and in commit order. Reads run concurrently (SQLite WAL readers never
block the writer). SQLite runs with ``synchronous=FULL``: a commit is on disk before the API
answers ``201``.

A disk flush costs milliseconds, so use cases do not commit one by one: ``submit`` hands them
to one writer thread, which runs the jobs waiting at that moment in one transaction and commits
them together: *group commit*. Every job still answers only after its commit. A job refused by a
rule has written nothing (the use cases check before they write); a job that fails in any other
way makes the batch run again, one job per transaction, so no job is harmed by another.
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any, TypeVar, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, bindparam, create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from queue_core.domain.errors import DomainError, Unavailable
from queue_core.domain.tickets import Ticket
from queue_core.store.models import EventRow, TicketRow
from queue_core.store.pending import DriverSQL, PendingRows

log = logging.getLogger(__name__)

#: The PostgreSQL advisory lock key that serializes a branch's writes.
WRITE_LOCK_KEY = 0x42_52_51  # "BRQ"
LAST_SEQ = text("SELECT max(seq) FROM events")
EVENTS = cast(Table, EventRow.__table__)
_INSERT_EVENT = DriverSQL(
    EVENTS.insert().values({name: bindparam(name) for name in ("seq", "type", "at", "data")})
)
#: The most use cases committed together.
MAX_BATCH = 64
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Event:
    """One appended event, as sent to subscribers."""

    seq: int
    type: str
    at: float
    data: dict[str, Any]
    #: ``data`` as JSON, once it is final (encoded once for the log and the subscribers).
    data_json: str | None = None


@dataclass
class UnitOfWork:
    """A write transaction: the session, and the events appended in it (published after)."""

    session: Session
    next_seq: int
    #: The ticket, counter and number rows changed so far, written just before the commit.
    rows: PendingRows = field(init=False)
    events: list[Event] = field(default_factory=list)
    #: Run just before the commit (the service layer completes its events' data there).
    before_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Run after the commit while the write lock is still held (publishing keeps seq order).
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Run when the transaction is rolled back as a whole (the commit failed).
    after_rollback: list[Callable[[], None]] = field(default_factory=list)
    #: Free slots for the users of a transaction (the service layer marks its sync here).
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows = PendingRows(self.session)

    def emit(self, type_: str, at: float, data: dict[str, Any]) -> Event:
        """Append an event to the log in this transaction (written in one go at commit)."""
        ev = Event(self.next_seq, type_, at, data)
        self.next_seq += 1
        self.events.append(ev)
        return ev

    def write_events(self) -> None:
        """Write the transaction's events to the log, their data now final and encoded."""
        if self.events:
            self.events = [replace(e, data_json=encode_json(e.data)) for e in self.events]
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
        # No autoflush in writes: each job's changes are flushed once when it ends (see
        # _run_together), not before every look-up by key, which the identity map answers.
        self._writes = sessionmaker(self.write_engine, expire_on_commit=False, autoflush=False)
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False)
        self._lock = threading.Lock()
        #: Told the last seq a commit is about to make durable, and None when a transaction
        #: with events rolls back (the PostgreSQL event bridge: see ``EventBridge.expect``).
        self.committing: Callable[[int | None], None] | None = None
        #: Run first in each transaction of submitted jobs, before any job and outside their
        #: refusals: the service layer syncs its live view and starts a new business day there.
        self.begin: Callable[[UnitOfWork], None] | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._local = threading.local()
        if migrate:
            self.migrate()
        self._writer: threading.Thread | None = threading.Thread(
            target=self._write_loop, name="branchq-writer", daemon=True
        )
        self._writer.start()

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
        if self._writer is not None:
            self._jobs.put(None)
            self._writer.join(timeout=5)
            self._writer = None
        self.write_engine.dispose()
        self.read_engine.dispose()

    @contextmanager
    def write(self) -> Iterator[UnitOfWork]:
        """One serialized write transaction; committed when the block ends without error."""
        with self._lock, _unavailable_on_db_errors():
            session = self._writes()
            uow: UnitOfWork | None = None
            try:
                if not self.is_sqlite:
                    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
                last = session.execute(LAST_SEQ).scalar() or 0
                uow = UnitOfWork(session, last + 1)
                yield uow
                for hook in uow.before_commit:
                    hook()
                uow.rows.write()
                uow.write_events()
                if self.committing is not None and uow.events:
                    self.committing(uow.events[-1].seq)
                session.commit()
                for hook in uow.after_commit:
                    hook()
            except BaseException:
                session.rollback()
                if self.committing is not None and uow is not None and uow.events:
                    self.committing(None)
                for hook in uow.after_rollback if uow else ():
                    hook()
                raise
            finally:
                session.close()

    def current(self) -> UnitOfWork:
        """The transaction of the job running now (only inside ``submit``)."""
        uow: UnitOfWork | None = getattr(self._local, "uow", None)
        if uow is None:
            raise RuntimeError("not inside a submitted write job")
        return uow

    def submit(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the writer thread, in a transaction shared with the jobs submitted at
        the same moment; return its result once committed, or raise its error."""
        if threading.current_thread() is self._writer:
            return fn()  # a job calling another use case joins its own transaction
        done = threading.Event()
        job = _Job(fn, notify=done.set)
        self._jobs.put(job)
        done.wait()
        if job.error is not None:
            raise job.error
        return cast(T, job.result)

    async def submit_async(self, fn: Callable[[], T]) -> T:
        """``submit`` for the event loop: awaits the commit without holding a thread."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle() -> None:
            if future.cancelled():
                return
            if job.error is not None:
                future.set_exception(job.error)
            else:
                future.set_result(cast(T, job.result))

        def notify() -> None:
            loop.call_soon_threadsafe(settle)

        job = _Job(fn, notify=notify)
        self._jobs.put(job)
        return await future

    def _write_loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._jobs.put(None)
                    break
                batch.append(more)
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        """Run jobs in one transaction. A rule's refusal (``DomainError``) is raised before a
        job writes anything (the service layer checks first), so it only drops the job's
        events; any other failure rolls the whole transaction back and the jobs run again
        one transaction each, so only the failing job fails."""
        try:
            try:
                self._run_together(batch)
            except _Unexpected:
                for job in batch:
                    job.result, job.error = None, None
                    self._run_together([job], unexpected_is_error=True)
        finally:
            for job in batch:
                job.notify()

    def _run_together(self, batch: list[_Job], unexpected_is_error: bool = False) -> None:
        try:
            with self.write() as uow:
                self._local.uow = uow
                if self.begin is not None:
                    try:
                        self.begin(uow)
                    except Exception as exc:
                        if not unexpected_is_error:
                            raise _Unexpected from exc
                        raise
                for job in batch:
                    mark = (uow.next_seq, len(uow.events))
                    try:
                        job.result = job.fn()
                        uow.session.flush()  # what the next job looks up or queries is there
                    except DomainError as exc:
                        uow.next_seq = mark[0]
                        del uow.events[mark[1] :]
                        job.error = exc
                    except Exception as exc:
                        if not unexpected_is_error:
                            raise _Unexpected from exc
                        job.error = exc
                        raise
        except _Unexpected:
            raise
        except Exception as exc:  # the commit itself failed: nothing of the batch is kept
            for job in batch:
                if job.error is None:
                    job.error = exc
        finally:
            self._local.uow = None

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


class _Unexpected(Exception):
    """A job failed otherwise than by a rule's refusal: its writes cannot be told apart."""


@dataclass(eq=False)
class _Job:
    fn: Callable[[], Any]
    #: Called in the writer thread once the job's outcome is known (committed or failed).
    notify: Callable[[], None]
    result: Any = None
    error: BaseException | None = None


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
