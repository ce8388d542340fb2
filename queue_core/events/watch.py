"""The live feed of single tickets for the customers' phone pages.

A phone page follows one ticket, not the hall: it needs that ticket's public state (number,
people ahead, expected wait, the counter once called) each time it changes. Hundreds of pages
may be open at once, so they do not each subscribe to the hub and work their position out:
one ``TicketWatch`` subscribes once, and after each batch of events computes the public state
of every watched ticket in one pass (``Branch.public_many``), then hands each page the new
state only when it differs from what it last got.

Two kinds of pass keep this cheap with hundreds of pages open while tellers call. The tickets
an event is about (the one called, finished, moved…) are computed at once, so the customer
whose number is called sees it within the event's delivery. Everyone else's state (one fewer
ahead, a new estimate) changes with every call, and computing all of it costs milliseconds per
hundred tickets: that pass runs at most once per ``min_pass_s`` (a second), with all the events
of that second, so its cost per call falls as calls come faster instead of growing with them;
and it takes only the tickets near the front (at most ``near_ahead`` ahead, or in a state
without a place), while those further back, whose page moves a line at a time, are taken with
them a share at a time, each once per ``far_pass_s`` (ten seconds). The positions are played on
a copy of the hall taken under the live view's lock and computed outside it
(``Reads.public_many``), so a call-next never waits for a pass, and the engine's writer never
waits for a page. A page that does not read keeps only the newest state (nothing queues up
behind a sleeping phone). Between events a pass runs every ``refresh_s`` while pages are open,
so an estimate does not go stale on a quiet afternoon and a business day that ends is seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
import math
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
        min_pass_s: float = 1.0,
        far_pass_s: float = 10.0,
        near_ahead: int = 20,
    ) -> None:
        self.hub = hub
        self.compute = compute
        self.max_pages = max_pages
        self.max_per_ticket = max_per_ticket
        self.refresh_s = refresh_s
        self.min_pass_s = min_pass_s
        self.far_pass_s = far_pass_s
        self.near_ahead = near_ahead
        #: Watched tickets further back than ``near_ahead``, with when each was last computed.
        self._far: dict[str, float] = {}
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
        #: Watched tickets an event was about since the last pass: computed at once.
        self._urgent: set[str] = set()
        #: Whether events came that may change anyone's state since the last full pass.
        self._dirty = False
        self._last_full = -float("inf")
        self.direct_passes = 0

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
            self._far.pop(watcher.ticket_id, None)

    # ------------------------------------------------------------ the feed
    def needs(self, sub: Subscriber) -> bool:
        """Whether the hub's stream ``sub`` needs events now: any stream but this watch's own
        feed, and the feed while a page (or a reminder) follows a ticket. With nothing open,
        a ticket's state is computed afresh when a page opens."""
        return sub is not self._sub or bool(self.watchers)

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

    # The hub's Sink: it hands over each batch of events; this notes that some came, and which
    # watched tickets they were about.
    def take(self, messages: Sequence[Outgoing]) -> bool:
        for m in messages:
            kind = _event_type(m.text)
            if kind in QUIET_TYPES:
                continue
            self._dirty = True
            if kind.startswith("ticket.") and self.watchers:
                self._urgent.update(i for i in _ticket_ids(m.text) if i in self.watchers)
            self._changed.set()
        return True

    def drop(self, code: int, reason: str) -> None:
        """The hub let go of the feed: subscribe again and recompute, so no change is missed."""
        self._sub = None
        self._dirty = True
        self._changed.set()

    async def _run(self) -> None:
        self._subscribe()
        loop = asyncio.get_running_loop()
        while True:
            try:
                timed_out = await self._wait_for_change(loop.time())
                if self._sub is None:
                    self._subscribe()
                urgent, self._urgent = self._urgent, set()
                if not self.watchers:
                    self._dirty = False
                    continue
                due = loop.time() - self._last_full >= self.min_pass_s
                if (self._dirty and due) or timed_out:
                    self._dirty = False
                    self._last_full = loop.time()
                    await self.refresh(everyone=timed_out)
                elif urgent:
                    await self.refresh(list(urgent))
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly down: the next event tries again
                log.warning("ticket watch pass failed", exc_info=True)
                self._dirty = True
                await asyncio.sleep(1.0)

    async def _wait_for_change(self, now: float) -> bool:
        """Wait for events, or until the full pass the events so far wait for is due, or the
        refresh period; returns whether it waited for nothing but time."""
        if self._dirty and self.watchers:
            timeout: float | None = max(0.0, self._last_full + self.min_pass_s - now)
        else:
            timeout = self.refresh_s if self.watchers else None
        if self._urgent:
            timeout = 0.0
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return not self._dirty
        finally:
            self._changed.clear()
        return False

    async def refresh(self, ids: list[str] | None = None, everyone: bool = False) -> None:
        """One pass: compute the state of the given watched tickets, send those that changed.

        Without ids: every ticket near the front, and of those further back the share that
        brings each of them round once per ``far_pass_s`` (the longest computed first), so no
        pass carries them all at once; ``everyone``: all of them (the quiet refresh)."""
        now = asyncio.get_running_loop().time()
        full = ids is None
        if ids is None:
            if everyone or not self._far:
                ids = list(self.watchers)
            else:
                share = math.ceil(len(self._far) * self.min_pass_s / self.far_pass_s)
                oldest = heapq.nsmallest(share, self._far.items(), key=lambda item: item[1])
                ids = [i for i in self.watchers if i not in self._far]
                ids.extend(i for i, _ in oldest)
        tick, found = await self._compute(ids)
        for ticket_id, state in found.items():
            ahead = state.get("ahead")
            if isinstance(ahead, int) and ahead > self.near_ahead:
                self._far[ticket_id] = now
            else:
                self._far.pop(ticket_id, None)
            self._apply(tick, ticket_id, encode_state(state))
        if full:  # counted once done: a test or a reader sees a pass's states as sent
            self.passes += 1
        else:
            self.direct_passes += 1

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


def _ticket_ids(message: str) -> list[str]:
    """The ids a ``ticket.*`` event's ticket is followed by (a phone follows a transferred
    ticket by its first visit's id)."""
    try:
        data = json.loads(message)["data"]
    except (ValueError, KeyError, TypeError):
        return []
    out: list[str] = []
    for key in ("ticket", "new_ticket"):
        t = data.get(key) if isinstance(data, dict) else None
        if isinstance(t, dict):
            out.extend(str(v) for v in (t.get("origin_id"), t.get("id")) if v)
    return out
