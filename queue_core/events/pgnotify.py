"""Events from every engine process on one PostgreSQL database, to this process's subscribers.

With ``branchq serve --workers N`` each uvicorn worker is a process of its own with its own
``EventHub``; a call made on one worker must reach the displays connected to all of them, in
``seq`` order, each event once. PostgreSQL does the telling:

- a statement trigger on ``events`` runs ``pg_notify('branchq_events', <last seq written>)``;
  PostgreSQL sends the notification when the writing transaction commits (never for a
  rolled-back one);
- every process keeps one connection that ``LISTEN``s; a notification only says "the log grew
  to this seq": unless that is the process's own commit (the store tells the bridge the seq it
  is committing, ``expect``, and hands the events over after, ``offer``) or already delivered,
  the bridge reads the events after the last ``seq`` it delivered (``Store.events_after``) and
  hands them to its hub.

The same connection listens for ended staff sessions (``queue_core.access.SESSIONS_CHANNEL``):
a logout on one process empties the others' session caches at once.

The log itself is the message: the bridge never trusts a notification's content, a lost
notification (listener reconnecting, database restarted) is made good by the catch-up read on
reconnect and by a slow poll, and nothing is ever delivered twice or out of order because all
deliveries happen on the event loop and only ``seq == last + 1`` goes through. The process's own
commits take a short cut (``offer``): they are delivered at once when they follow ``last``
directly, otherwise they wait for the read that fills the gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from queue_core.access import SESSIONS_CHANNEL
from queue_core.events.hub import EventHub
from queue_core.retry import Backoff
from queue_core.store import Event, Store

log = logging.getLogger(__name__)

CHANNEL = "branchq_events"
#: Serializes the trigger's installation when several workers start at once.
INSTALL_LOCK_KEY = 0x42_52_51_4E  # "BRQN"
#: Events read from the log per query while catching up.
BATCH = 1000

TRIGGER_SQL = (
    f"""
CREATE OR REPLACE FUNCTION branchq_notify_event() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', (SELECT max(seq)::text FROM inserted));
    RETURN NULL;
END
$$ LANGUAGE plpgsql
""",
    """
CREATE OR REPLACE TRIGGER branchq_events_notify
    AFTER INSERT ON events
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION branchq_notify_event()
""",
)


def install_trigger(store: Store) -> None:
    """Create (or replace) the notify trigger on the event log; safe to run concurrently."""
    with store.write_engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": INSTALL_LOCK_KEY})
        for statement in TRIGGER_SQL:
            conn.execute(text(statement))


def libpq_url(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://…`` as the plain ``postgresql://…`` that psycopg connects to."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


class EventBridge:
    """The one ordered path from the shared event log to this process's hub."""

    def __init__(
        self,
        store: Store,
        hub: EventHub,
        *,
        poll_s: float = 2.0,
        min_backoff: float = 0.2,
        max_backoff: float = 5.0,
        on_listening: Callable[[bool], None] | None = None,
        on_session_ended: Callable[[str], None] | None = None,
        wanted: Callable[[], bool] | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.poll_s = poll_s
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.on_listening = on_listening
        #: Called with the token hash of a staff session another process ended (logout).
        self.on_session_ended = on_session_ended
        #: Whether anyone on this process would receive events now (a stream, a phone page):
        #: when nobody would, a notification moves ``last`` on without reading the log.
        self.wanted = wanted
        self.skipped = 0
        self.last = 0
        #: The last seq this process is committing: its notification needs no read.
        self._own = 0
        self.listening = False
        self.notifications = 0
        self.reads = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wanted: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ life
    async def start(self) -> None:
        """Install the trigger, note where the log ends, and start listening and reading."""
        self._loop = asyncio.get_running_loop()
        self._wanted = asyncio.Event()
        await asyncio.to_thread(install_trigger, self.store)
        self.last = await asyncio.to_thread(self.store.last_seq)
        self._tasks = [
            asyncio.create_task(self._listen(), name="branchq-listen"),
            asyncio.create_task(self._pump(), name="branchq-pump"),
            asyncio.create_task(self._poll(), name="branchq-poll"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    # ------------------------------------------------------------------ input
    def expect(self, seq: int | None) -> None:
        """This process is about to commit events up to ``seq`` (None: it did not): their
        notification will not need a read, ``offer`` brings them. Called from the writer thread
        before the commit, so no notification of it can come first."""
        self._own = seq or 0

    def offer(self, events: list[Event]) -> None:
        """This process committed ``events`` (called from the writer thread)."""
        if events and self._loop is not None:
            self._loop.call_soon_threadsafe(self._take, events)

    def _take(self, events: list[Event]) -> None:
        fresh = [e for e in events if e.seq > self.last]
        if not fresh:
            return
        if fresh[0].seq == self.last + 1:
            self._deliver(fresh)
        else:  # another process wrote in between: read the gap (and these) from the log
            self._want()

    def _want(self) -> None:
        if self._wanted is not None:
            self._wanted.set()

    def _deliver(self, events: list[Event]) -> None:
        expected = self.last + 1
        run: list[Event] = []
        for event in events:
            if event.seq < expected:
                continue
            if event.seq != expected:
                log.error("event log gap: expected seq %d, read %d", expected, event.seq)
                break
            run.append(event)
            expected += 1
        if run:
            self.last = run[-1].seq
            self.hub.deliver(run)

    def _skip(self, seq: int) -> None:
        """Nobody here to hand the events up to ``seq`` to: count them as delivered. Every
        one of them is committed (the notification comes with the commit, and seqs commit in
        order), so a stream that opens from now on reads them in its own catch-up, after
        subscribing; and from then on this process reads again."""
        self.skipped += seq - self.last
        self.last = seq

    # ------------------------------------------------------------------ tasks
    async def _pump(self) -> None:
        """Read the log after ``last`` whenever asked, until it is drained."""
        assert self._wanted is not None
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                while True:
                    after = self.last
                    events = await asyncio.to_thread(self.store.events_after, after, BATCH)
                    self.reads += 1
                    self._deliver(events)
                    if len(events) < BATCH:
                        break
            except Exception as exc:  # the database is away: the poll asks again later
                log.warning("could not read the event log: %s", exc)

    async def _poll(self) -> None:
        """A slow safety net for notifications lost while the listener was reconnecting."""
        while True:
            await asyncio.sleep(self.poll_s)
            self._want()

    async def _listen(self) -> None:
        delays = Backoff(self.min_backoff, self.max_backoff)
        conninfo = libpq_url(self.store.url)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    conninfo, autocommit=True, connect_timeout=5
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    await conn.execute(f"LISTEN {SESSIONS_CHANNEL}")
                    self._set_listening(True)
                    delays.reset()
                    self._want()  # whatever was committed while we were not listening
                    async for note in conn.notifies():
                        if note.channel == SESSIONS_CHANNEL:
                            if self.on_session_ended is not None:
                                self.on_session_ended(note.payload)
                            continue
                        self.notifications += 1
                        seq = int(note.payload) if note.payload.isdigit() else None
                        if seq is None or seq > max(self.last, self._own):
                            if seq is not None and self.wanted is not None and not self.wanted():
                                self._skip(seq)
                            else:
                                self._want()
            except asyncio.CancelledError:
                self._set_listening(False)
                raise
            except (psycopg.Error, OSError) as exc:
                log.warning("event listener lost the database (%s); retrying", exc)
            self._set_listening(False)
            await delays.wait()

    def _set_listening(self, value: bool) -> None:
        if value != self.listening:
            self.listening = value
            if self.on_listening is not None:
                self.on_listening(value)
