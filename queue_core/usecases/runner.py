"""The one way a command runs: queued to the writer thread, run with others in one transaction
(group commit), answered once committed.

A disk flush costs milliseconds, so commands do not commit one by one: the writer thread runs
the commands waiting at that moment in one transaction and commits them together, then answers
each. Every transaction begins the same way (the live view checked against the log, and a new
business day started if this is its first transaction); then each command runs at its own
``now``; then the hall as of the commit renders every event and answer once (``wire.py``), the
transaction writes its rows and events and commits, and the events go to the subscribers in
``seq`` order. A command refused by a rule (``DomainError``) has changed nothing and only its
events are dropped; one that fails in any other way makes the batch run again, one command per
transaction, so that no command is harmed by another.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from queue_core.domain.errors import DomainError
from queue_core.domain.events import CounterUpdated, TicketEvent, TicketTransferred
from queue_core.domain.tickets import Ticket
from queue_core.store.db import Event, Store
from queue_core.usecases.day import start_day
from queue_core.usecases.live import LiveView
from queue_core.usecases.render import HallAtCommit
from queue_core.usecases.unit import UnitOfWork

log = logging.getLogger(__name__)

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
#: The most commands committed together.
MAX_BATCH = 64


class Command(Protocol[R_co]):
    """A use case's request: a frozen dataclass whose ``run`` is its handler."""

    def run(self, uow: UnitOfWork) -> R_co: ...


@dataclass(frozen=True, slots=True)
class Done(Generic[R]):
    """A committed command: what it returned, and that as the API answers it."""

    value: R
    body: Any


class _Unexpected(Exception):
    """A command failed otherwise than by a rule's refusal: its changes cannot be told apart."""


@dataclass(eq=False)
class _Job:
    command: Command[Any]
    #: Called in the writer thread once the job's outcome is known (committed or failed).
    notify: Callable[[], None]
    value: Any = None
    body: Any = None
    error: BaseException | None = None
    #: An endpoint's job: ``notify`` is then called on this event loop (``_answer``).
    loop: asyncio.AbstractEventLoop | None = None


class Runner:
    """The writer thread of one branch engine and the commands it commits."""

    def __init__(
        self,
        store: Store,
        live: LiveView,
        clock: Callable[[], float],
        publish: Callable[[list[Event]], None],
        secret: bytes,
    ) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.publish = publish
        self.secret = secret
        self._jobs: queue.SimpleQueue[_Job | _Batch | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = threading.Thread(
            target=self._write_loop, name="branchq-writer", daemon=True
        )
        self._writer.start()

    def stop(self) -> None:
        if self._writer is not None:
            self._jobs.put(None)
            self._writer.join(timeout=5)
            self._writer = None

    # ------------------------------------------------------------------ running
    async def execute(self, command: Command[R]) -> Done[R]:
        """Run a command and await its commit, without holding a thread (the endpoints)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Done[R]] = loop.create_future()

        def settle() -> None:
            if future.cancelled():
                return
            if job.error is not None:
                future.set_exception(job.error)
            else:
                future.set_result(Done(job.value, job.body))

        job = _Job(command, notify=settle, loop=loop)
        self._jobs.put(job)
        return await future

    def execute_sync(self, command: Command[R]) -> Done[R]:
        """Run a command from a thread other than the event loop, and wait for its commit."""
        self._not_in_writer()
        done = threading.Event()
        job = _Job(command, notify=done.set)
        self._jobs.put(job)
        done.wait()
        if job.error is not None:
            raise job.error
        return Done(job.value, job.body)

    def execute_together(self, commands: Sequence[Command[Any]]) -> list[Done[Any] | BaseException]:
        """Run commands in one transaction, in order; each answers its own outcome (a
        refused one its error) in the list."""
        self._not_in_writer()
        done = threading.Semaphore(0)
        jobs = [_Job(c, notify=done.release) for c in commands]
        self._jobs.put(_Batch(jobs))
        for _ in jobs:
            done.acquire()
        return [Done(job.value, job.body) if job.error is None else job.error for job in jobs]

    def _not_in_writer(self) -> None:
        if threading.current_thread() is self._writer:
            raise RuntimeError("a command cannot wait for another inside the writer thread")

    # ------------------------------------------------------------------ the writer
    def _write_loop(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            if isinstance(first, _Batch):
                self._run_batch(first.jobs)
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None or isinstance(more, _Batch):
                    self._jobs.put(more)  # after this batch: a stop, or a batch of its own
                    break
                batch.append(more)
            self._run_batch(batch)

    def _run_batch(self, batch: list[_Job]) -> None:
        try:
            try:
                self._run_together(batch)
            except _Unexpected:
                for job in batch:
                    job.value, job.body, job.error = None, None, None
                    self._run_together([job], unexpected_is_error=True)
        finally:
            _answer(batch)

    def _run_together(self, batch: list[_Job], unexpected_is_error: bool = False) -> None:
        live = self.live
        try:
            with self.store.write() as tx, live.lock:
                uow = UnitOfWork(tx, live, self.clock(), self.secret)
                try:
                    self._begin(uow)
                except Exception as exc:
                    if unexpected_is_error:
                        raise
                    raise _Unexpected from exc
                for job in batch:
                    self._run_one(job, uow, unexpected_is_error)
                self._finish(uow, [j for j in batch if j.error is None])
        except _Unexpected:
            live.version = -1
            raise
        except Exception as exc:  # the commit itself failed: nothing of the batch is kept
            live.version = -1
            for job in batch:
                if job.error is None:
                    job.error = exc
            return
        live.version = tx.last_seq
        if tx.events:
            self.publish(tx.events)

    def _begin(self, uow: UnitOfWork) -> None:
        """Check the live view against the log; start the business day if it is new."""
        live, tx = self.live, uow.tx
        if live.version != tx.first_seq - 1:
            live.reload(tx.session, tx.first_seq - 1)
        if not live.is_today(uow.now):
            start_day(uow)
            uow.tx.session.flush()

    def _run_one(self, job: _Job, uow: UnitOfWork, unexpected_is_error: bool) -> None:
        mark = uow.begin_use_case(self.clock())
        try:
            job.value = job.command.run(uow)
            uow.session.flush()  # what the next command looks up or queries is there
        except DomainError as exc:
            if uow.changed:  # a refusal after a change breaks the contract above
                error = RuntimeError(f"refused after changing the hall: {exc.code}")
                if not unexpected_is_error:
                    raise _Unexpected from error
                raise error from exc
            uow.drop_since(mark)
            job.error = exc
        except Exception as exc:
            if not unexpected_is_error:
                raise _Unexpected from exc
            job.error = exc
            raise

    def _finish(self, uow: UnitOfWork, done: list[_Job]) -> None:
        """Render the events and answers once, with the hall as of this commit."""
        placed: list[Ticket] = []
        for _, event in uow.events:
            if isinstance(event, TicketEvent):
                placed.append(event.ticket)
                if isinstance(event, TicketTransferred):
                    placed.append(event.new_ticket)
            elif isinstance(event, CounterUpdated) and event.current is not None:
                placed.append(event.current)
        placed.extend(j.value for j in done if isinstance(j.value, Ticket))
        hall = HallAtCommit(self.live, self.clock(), placed)
        for at, event in uow.events:
            uow.tx.append(event.type, at, hall.event_data(event))
        for job in done:
            job.body = hall.body(job.value)


def _answer(batch: list[_Job]) -> None:
    """Tell each job's waiter its outcome, in the batch's order: the endpoints' on their event
    loop with one hand-over for the whole batch (each is a wake-up of the loop, a write to
    its self-pipe and a read), the threads' at once."""
    on_loop: dict[asyncio.AbstractEventLoop, list[Callable[[], None]]] = {}
    for job in batch:
        if job.loop is None:
            job.notify()
        else:
            on_loop.setdefault(job.loop, []).append(job.notify)
    for loop, settles in on_loop.items():
        loop.call_soon_threadsafe(_settle_all, settles)


def _settle_all(settles: list[Callable[[], None]]) -> None:
    for settle in settles:
        settle()


@dataclass(eq=False)
class _Batch:
    """Jobs that must share one transaction (``execute_together``)."""

    jobs: list[_Job]
