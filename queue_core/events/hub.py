"""Fan-out of committed events to websocket subscribers, off the write path.

With 2 000 subscribers (hall displays, staff pages, phones) a call's events are 2 000 × 2
websocket messages: sent the ordinary way (a task per subscriber woken per event, each message
framed, compressed and written on its own) that was a quarter of a second of CPU per call, and
call-next's answers queued behind it. So:

- each event is encoded and framed **once** (``Outgoing``): a server's websocket frames are not
  masked, so the same bytes go to every subscriber;
- a live subscriber has a ``Sink`` that takes those bytes at once: on the engine's own uvicorn
  protocol (``queue_core.api.server``) a direct write to the connection's transport, a few
  microseconds, with no task to wake; elsewhere a queue drained by a task (``QueuedSink``);
- the hub hands a batch to the subscribers ``SLICE`` at a time, one slice per turn of the event
  loop, so HTTP requests (call-next's answer among them) run between slices instead of after
  the whole fan-out; the batches stay in one FIFO, so every subscriber gets ``seq`` order.

Publishing never waits for a subscriber. One that falls behind (its sink holds more than
``SLOW_BYTES``, or more than ``QUEUE_LIMIT`` events wait while it catches up) is **cut**: it
leaves the hub at once, its connection is dropped (code 4008 where a close frame can still be
sent), and the memory it pinned is released; it resyncs by reconnecting with its last ``seq``.

``publish`` is called from the writer thread while it still holds the write lock, through
``loop.call_soon_threadsafe``, so batches arrive in ``seq`` order. With several engine
processes on one PostgreSQL database the events arrive through
``queue_core.events.pgnotify.EventBridge`` instead, which calls ``deliver`` on the loop in
``seq`` order.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import logging
import struct
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from queue_core.store import Event
from queue_core.store.db import encode_json

log = logging.getLogger(__name__)

#: Events that may wait for a subscriber still catching up (replay or snapshot) before it is cut.
QUEUE_LIMIT = 1000
#: Bytes a live subscriber's connection may hold unsent before it is cut (the kernel's socket
#: buffer, up to 4 MB, comes before this).
SLOW_BYTES = 1 << 20
#: Subscribers served per turn of the event loop.
SLICE = 250
#: When the streams fall to half of a peak of at least this many, free memory is given back
#: to the system once no stream has left for this many seconds.
TRIM_AFTER = 200
TRIM_DELAY_S = 2.0
#: Close codes: cut for falling behind; the session behind the stream ended (logout).
TOO_SLOW = 4008
SESSION_ENDED = 4001


def encode(event: Event, render_time: Callable[[float], str]) -> str:
    """The wire form of an event: ``{"seq","type","at","data"}`` (the data as the log has
    encoded it, when it has)."""
    data = event.data_json if event.data_json is not None else encode_json(event.data)
    head = encode_json({"seq": event.seq, "type": event.type, "at": render_time(event.at)})
    return f'{head[:-1]},"data":{data}}}'


def text_frame(payload: bytes) -> bytes:
    """One unmasked, final websocket text frame (RFC 6455 §5.2), as a server sends it."""
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, n)
    else:
        head = struct.pack("!BBQ", 0x81, 127, n)
    return head + payload


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event ready to send: its text, and the same as a websocket frame."""

    seq: int
    text: str
    frame: bytes

    @classmethod
    def of(cls, event: Event, render_time: Callable[[float], str]) -> Outgoing:
        text = encode(event, render_time)
        return cls(event.seq, text, text_frame(text.encode()))


def release_free_memory() -> None:
    """Collect the garbage in reference cycles, then ``malloc_trim(0)`` where the C library
    has it (glibc)."""
    gc.collect()
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


class Sink(Protocol):
    """Where a live subscriber's events go. ``take`` never blocks; it returns False when the
    subscriber is too far behind. ``drop`` ends the connection with a close code."""

    def take(self, messages: Sequence[Outgoing]) -> bool: ...

    def drop(self, code: int, reason: str) -> None: ...


@dataclass(eq=False)
class Subscriber:
    """One open event stream (a display, a caller page, a signs agent…)."""

    name: str
    role: str
    #: The staff session behind the stream (its token's hash), so a logout can end it.
    session: str | None = None
    last_seq: int = 0
    sink: Sink | None = None
    #: Events that came while the stream was catching up, sent when it goes live.
    held: list[Outgoing] = field(default_factory=list)
    #: Set once the hub let go of the stream (cut, session ended): the handler ends it.
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_code: int = 0

    @property
    def too_slow(self) -> bool:
        return self.end_code == TOO_SLOW

    def offer(self, messages: Sequence[Outgoing]) -> bool:
        """Queue or send the messages after ``last_seq``; False if that made it too slow."""
        fresh = [m for m in messages if m.seq > self.last_seq]
        if not fresh or self.end_code:
            return True
        if self.sink is None:
            self.held.extend(fresh)
            self.last_seq = fresh[-1].seq
            return len(self.held) <= QUEUE_LIMIT
        self.last_seq = fresh[-1].seq
        return self.sink.take(fresh)


class EventHub:
    """The set of live subscribers of this engine process."""

    def __init__(
        self,
        render_time: Callable[[float], str],
        on_delivered: Callable[[Event, float], None] | None = None,
        clock: Callable[[], float] = time.time,
        release_memory: Callable[[], None] = release_free_memory,
    ) -> None:
        self.render_time = render_time
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.published = 0
        self.cut = 0
        #: Called with each event and the time it was handed to the subscribers (metrics).
        self.on_delivered = on_delivered
        self.clock = clock
        #: Batches being handed out: (messages, the subscribers still to serve).
        self._outbox: deque[tuple[list[Outgoing], list[Subscriber]]] = deque()
        self._draining = False
        #: Gives freed memory back to the system (``release_free_memory``; tests count calls).
        self.release_memory = release_memory
        #: The most streams open since memory was last given back (see ``_trim``).
        self._peak = 0
        self._trim_due = False
        self._last_left = 0.0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def publish(self, events: list[Event]) -> None:
        """Hand committed events to every subscriber (thread-safe, never blocks)."""
        if not events or self.loop is None:
            return
        messages = [Outgoing.of(e, self.render_time) for e in events]
        self.loop.call_soon_threadsafe(self._enqueue, events, messages)

    def deliver(self, events: list[Event]) -> None:
        """Hand events to every subscriber; call on the hub's loop, in ``seq`` order."""
        if events:
            # Encoded only for someone to send them to (a worker may have no stream at all).
            render = self.render_time
            messages = [Outgoing.of(e, render) for e in events] if self.subscribers else []
            self._enqueue(events, messages)

    def _enqueue(self, events: list[Event], messages: list[Outgoing]) -> None:
        now = self.clock()
        self.published += len(events)
        if self.on_delivered is not None:
            for event in events:
                self.on_delivered(event, now)
        if self.subscribers:
            self._outbox.append((messages, list(self.subscribers)))
            if not self._draining:
                self._draining = True
                self._drain()

    def _drain(self) -> None:
        """Serve up to ``SLICE`` subscribers from the oldest batch, then yield to the loop."""
        budget = SLICE
        while self._outbox and budget > 0:
            messages, pending = self._outbox[0]
            take = pending[-budget:]
            del pending[-budget:]
            budget -= len(take)
            for sub in take:
                if sub.end_code == 0 and not sub.offer(messages):
                    self._cut(sub)
            if not pending:
                self._outbox.popleft()
        if self._outbox and self.loop is not None:
            self.loop.call_soon(self._drain)
        else:
            self._draining = False

    def _cut(self, sub: Subscriber) -> None:
        self.cut += 1
        log.info("subscriber %s (%s) is too slow: cut", sub.name, sub.role)
        self.end(sub, TOO_SLOW, "too slow: reconnect with since")

    def end(self, sub: Subscriber, code: int, reason: str) -> None:
        """Let go of a stream now: out of the hub, its held events freed, its connection
        dropped, its handler woken to finish."""
        if sub.end_code:
            return
        sub.end_code = code
        self.subscribers.discard(sub)
        sub.held = []
        if sub.sink is not None:
            sub.sink.drop(code, reason)
        sub.ended.set()

    def end_session(self, session: str) -> int:
        """End every stream opened with a staff session that has ended (logout, expiry)."""
        gone = [s for s in self.subscribers if s.session is not None and s.session == session]
        for sub in gone:
            self.end(sub, SESSION_ENDED, "session ended: log in again")
        return len(gone)

    def session_ended(self, session: str) -> None:
        """``end_session`` from any thread (a logout runs in a worker thread)."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.end_session, session)

    def subscribe(self, name: str, role: str, session: str | None = None) -> Subscriber:
        sub = Subscriber(name, role, session)
        self.subscribers.add(sub)
        return sub

    def go_live(self, sub: Subscriber, sink: Sink, last: int) -> None:
        """The stream has sent its catch-up up to ``last``: from now on events go to ``sink``,
        starting with those held meanwhile."""
        if sub.end_code:
            return
        held = [m for m in sub.held if m.seq > last]
        sub.held = []
        sub.sink = sink
        sub.last_seq = max(sub.last_seq, last)
        if held and not sink.take(held):
            self._cut(sub)

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)
        sub.held = []
        self._peak = max(self._peak, len(self.subscribers) + 1)
        if self.loop is None:
            return
        self._last_left = self.loop.time()
        if (
            not self._trim_due
            and self._peak >= TRIM_AFTER
            and len(self.subscribers) <= self._peak // 2
        ):
            self._trim_due = True
            self.loop.call_later(TRIM_DELAY_S, self._trim)

    def _trim(self) -> None:
        """Give the memory of the streams that left back to the system, once they have all
        gone: ``TRIM_DELAY_S`` after the last one left, not after the first half (2 000
        streams take seconds to leave on a loaded machine, and a trim in their midst gave
        back nothing of those after it). CPython frees their objects, but the C allocator
        keeps the emptied heap pages until asked: ``malloc_trim``."""
        assert self.loop is not None
        wait = self._last_left + TRIM_DELAY_S - self.loop.time()
        if wait > 0:
            self.loop.call_later(wait, self._trim)
            return
        self._trim_due = False
        self._peak = len(self.subscribers)
        self.release_memory()

    def connected_names(self) -> dict[str, int]:
        """Device names with an open stream, and the last seq queued for each."""
        out: dict[str, int] = {}
        for sub in self.subscribers:
            out[sub.name] = max(out.get(sub.name, 0), sub.last_seq)
        return out

    def roles(self) -> dict[str, int]:
        """Open streams by role."""
        out: dict[str, int] = {}
        for sub in self.subscribers:
            out[sub.role] = out.get(sub.role, 0) + 1
        return out

    def stats(self) -> dict[str, Any]:
        return {"subscribers": len(self.subscribers), "published": self.published, "cut": self.cut}
