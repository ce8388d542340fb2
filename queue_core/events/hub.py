"""Fan-out of committed events to websocket subscribers.

Each subscriber has a bounded queue. Publishing never waits: a subscriber whose queue is full
is cut (closed with code 4008) and resyncs by reconnecting with its last ``seq``; the engine
and the other subscribers never slow down for it. Publishing is called from the writer thread
while it still holds the write lock, through ``loop.call_soon_threadsafe``, so subscribers
receive events in ``seq`` order. With several engine processes on one PostgreSQL database the
events reach the hub through ``queue_core.events.pgnotify.EventBridge`` instead, which calls
``deliver`` on the loop in ``seq`` order.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from queue_core.store import Event
from queue_core.store.db import encode_json

log = logging.getLogger(__name__)

#: Events a subscriber may fall behind before it is cut.
QUEUE_LIMIT = 1000
TOO_SLOW = 4008


def encode(event: Event, render_time: Callable[[float], str]) -> str:
    """The wire form of an event: ``{"seq","type","at","data"}`` (the data as the log has
    encoded it, when it has)."""
    data = event.data_json if event.data_json is not None else encode_json(event.data)
    head = encode_json({"seq": event.seq, "type": event.type, "at": render_time(event.at)})
    return f'{head[:-1]},"data":{data}}}'


@dataclass(eq=False)
class Subscriber:
    """One open event stream (a display, a caller page, a signs agent…)."""

    name: str
    role: str
    queue: asyncio.Queue[tuple[int, str] | None] = field(
        default_factory=lambda: asyncio.Queue(QUEUE_LIMIT)
    )
    too_slow: bool = False
    last_seq: int = 0

    def offer(self, seq: int, message: str) -> None:
        if self.too_slow:
            return
        try:
            self.queue.put_nowait((seq, message))
            self.last_seq = seq
        except asyncio.QueueFull:
            self.too_slow = True
            # Wake the sender so it closes the socket now rather than at the next event.
            self.queue._queue.clear()  # type: ignore[attr-defined]
            self.queue.put_nowait(None)


class EventHub:
    """The set of live subscribers of this engine process."""

    def __init__(
        self,
        render_time: Callable[[float], str],
        on_delivered: Callable[[Event, float], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.render_time = render_time
        self.subscribers: set[Subscriber] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.published = 0
        self.cut = 0
        #: Called with each event and the time it was handed to the subscribers (metrics).
        self.on_delivered = on_delivered
        self.clock = clock

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def publish(self, events: list[Event]) -> None:
        """Hand committed events to every subscriber (thread-safe, never blocks)."""
        if not events or self.loop is None:
            return
        messages = [(e, encode(e, self.render_time)) for e in events]
        self.loop.call_soon_threadsafe(self._fan_out, messages)

    def deliver(self, events: list[Event]) -> None:
        """Hand events to every subscriber now; call on the hub's loop, in ``seq`` order."""
        self._fan_out([(e, encode(e, self.render_time)) for e in events])

    def _fan_out(self, messages: list[tuple[Event, str]]) -> None:
        now = self.clock()
        for event, message in messages:
            self.published += 1
            for sub in list(self.subscribers):
                was_slow = sub.too_slow
                sub.offer(event.seq, message)
                if sub.too_slow and not was_slow:
                    self.cut += 1
                    log.info("subscriber %s (%s) is too slow: cut", sub.name, sub.role)
            if self.on_delivered is not None:
                self.on_delivered(event, now)

    def subscribe(self, name: str, role: str) -> Subscriber:
        sub = Subscriber(name, role)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

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
