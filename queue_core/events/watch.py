"""The live feed of single tickets for the customers' phone pages.

A phone page follows one ticket, not the hall: it needs that ticket's public state (number,
people ahead, expected wait, the counter once called) each time it changes. Hundreds of pages
may be open at once, so they do not each subscribe to the hub and work their position out:
one ``TicketWatch`` subscribes once, and after each batch of events computes the public state
of every watched ticket in one pass (``Branch.public_many``), then hands each page the new
state only when it differs from what it last got.

Batches coalesce by construction: events that arrive while a pass runs are drained together
before the next pass, so a burst of calls costs one or two passes, never one per page per
event, and the engine's writer never waits for a page. A page that does not read keeps only
the newest state (nothing queues up behind a sleeping phone). Between events a pass runs every
``refresh_s`` while pages are open, so an estimate does not go stale on a quiet afternoon and
a business day that ends is seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from queue_core.events.hub import EventHub, Outgoing, Subscriber

log = logging.getLogger(__name__)
Json = dict[str, Any]

#: Events after which no ticket's public state can have changed.
QUIET_TYPES = frozenset({"announcement", "device.updated"})


class TooManyWatchers(Exception):
    """A limit on open pages was reached (per ticket, or for the whole engine)."""

    def __init__(self, per_ticket: bool) -> None:
        super().__init__("too many pages follow this ticket" if per_ticket else "too many pages")
        self.per_ticket = per_ticket


@dataclass(eq=False)
class Watcher:
    """One open page following one ticket: holds only the newest state not yet sent."""

    ticket_id: str
    pending: str | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, state: str) -> None:
        self.pending = state
        self.wake.set()

    async def next(self) -> str:
        """The newest state not yet taken (waits until there is one)."""
        while self.pending is None:
            self.wake.clear()
            await self.wake.wait()
        state, self.pending = self.pending, None
        return state


def encode_state(state: Json) -> str:
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


class TicketWatch:
    """The watched tickets of this engine process and the task that keeps them current.

    ``compute`` returns the public state of the given ticket ids (ids it does not know are
    left out); it runs off the event loop (the caller wraps ``Branch.public_many``).
    """

    def __init__(
        self,
        hub: EventHub,
        compute: Callable[[list[str]], Awaitable[dict[str, Json]]],
        max_pages: int = 5000,
        max_per_ticket: int = 8,
        refresh_s: float = 30.0,
    ) -> None:
        self.hub = hub
        self.compute = compute
        self.max_pages = max_pages
        self.max_per_ticket = max_per_ticket
        self.refresh_s = refresh_s
        self.watchers: dict[str, set[Watcher]] = {}
        self.last: dict[str, str] = {}
        #: The computation each ticket's last state came from (a counter of computations).
        self._stamp: dict[str, int] = {}
        self._tick = 0
        self.pages = 0
        self.passes = 0
        self._task: asyncio.Task[None] | None = None
        self._sub: Subscriber | None = None
        self._changed = asyncio.Event()

    # ------------------------------------------------------------ pages
    async def open(self, ticket_id: str) -> tuple[Watcher, str | None]:
        """Start following a ticket: the watcher and the ticket's state now (None: unknown).

        The watcher is registered before its first state is computed, so a pass that runs
        meanwhile includes it; of two states the one computed later wins (``_apply``)."""
        if self.pages >= self.max_pages:
            raise TooManyWatchers(per_ticket=False)
        mine = self.watchers.setdefault(ticket_id, set())
        if len(mine) >= self.max_per_ticket:
            raise TooManyWatchers(per_ticket=True)
        watcher = Watcher(ticket_id)
        mine.add(watcher)
        self.pages += 1
        if ticket_id not in self.last:
            tick, found = await self._compute([ticket_id])
            if ticket_id not in found:
                self.close(watcher)
                return watcher, None
            self._apply(tick, ticket_id, encode_state(found[ticket_id]))
        watcher.pending = None  # the state now is the answer; only later ones are pending
        return watcher, self.last[ticket_id]

    def close(self, watcher: Watcher) -> None:
        mine = self.watchers.get(watcher.ticket_id)
        if mine is None or watcher not in mine:
            return
        mine.discard(watcher)
        self.pages -= 1
        if not mine:
            del self.watchers[watcher.ticket_id]
            self.last.pop(watcher.ticket_id, None)
            self._stamp.pop(watcher.ticket_id, None)

    # ------------------------------------------------------------ the feed
    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._sub is not None:
            self.hub.unsubscribe(self._sub)
            self._sub = None

    def _subscribe(self) -> None:
        self._sub = self.hub.subscribe("phone-pages", "public")
        self.hub.go_live(self._sub, self, self._sub.last_seq)

    # The hub's Sink: it hands over each batch of events; this only notes that one came.
    def take(self, messages: Sequence[Outgoing]) -> bool:
        if any(_event_type(m.text) not in QUIET_TYPES for m in messages):
            self._changed.set()
        return True

    def drop(self, code: int, reason: str) -> None:
        """The hub let go of the feed: subscribe again and recompute, so no change is missed."""
        self._sub = None
        self._changed.set()

    async def _run(self) -> None:
        self._subscribe()
        while True:
            try:
                await self._wait_for_change()
                if self._sub is None:
                    self._subscribe()
                if self.watchers:
                    await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly down: the next event tries again
                log.warning("ticket watch pass failed", exc_info=True)
                await asyncio.sleep(1.0)

    async def _wait_for_change(self) -> None:
        """Wait for events (or the refresh period); all that came meanwhile make one pass."""
        timeout = self.refresh_s if self.watchers else None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)
        self._changed.clear()

    async def refresh(self) -> None:
        """One pass: compute every watched ticket's state, send those that changed."""
        self.passes += 1
        tick, found = await self._compute(list(self.watchers))
        for ticket_id, state in found.items():
            self._apply(tick, ticket_id, encode_state(state))

    async def _compute(self, ids: list[str]) -> tuple[int, dict[str, Json]]:
        self._tick += 1
        tick = self._tick
        return tick, await self.compute(ids)

    def _apply(self, tick: int, ticket_id: str, text: str) -> None:
        """Take a computed state unless a later computation already gave one; hand it to the
        ticket's pages if it changed."""
        if ticket_id not in self.watchers or self._stamp.get(ticket_id, -1) > tick:
            return
        self._stamp[ticket_id] = tick
        if self.last.get(ticket_id) == text:
            return
        self.last[ticket_id] = text
        for watcher in self.watchers[ticket_id]:
            watcher.offer(text)


def _event_type(message: str) -> str:
    # The hub's wire form starts {"seq":…,"type":"…",…}: read the type without parsing it all.
    start = message.find('"type":"')
    if start < 0:
        return ""
    start += len('"type":"')
    return message[start : message.find('"', start)]
