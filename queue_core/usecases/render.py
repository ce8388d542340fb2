"""The hall as of a commit, rendering that commit's events and answers once (``wire.py``).

Every waiting ticket the commit's events carry gets its position (people ahead, the routing
forecast of its wait) in one play of the counters for all of them; each ticket is rendered
once, for its event and for its use case's answer alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from queue_core import wire
from queue_core.domain.announcements import Announcement
from queue_core.domain.care import HelpRequest
from queue_core.domain.counters import Counter
from queue_core.domain.devices import DeviceReport
from queue_core.domain.events import DomainEvent, TicketIssued
from queue_core.domain.hall import Position
from queue_core.domain.staffing import AdviceRecord
from queue_core.domain.tickets import Ticket
from queue_core.usecases.live import LiveView
from queue_core.usecases.privacy import Erased
from queue_core.usecases.tickets import Issued


class HallAtCommit:
    """What ``wire.event_data`` needs to know of the hall at this commit."""

    def __init__(self, live: LiveView, now: float, tickets: Sequence[Ticket]) -> None:
        self.live = live
        self.config = live.config
        self.now = now
        self.queue = wire.queue(live.summary(now))
        waiting = [t for t in tickets if t.is_waiting]
        self._positions: dict[str, Position | None] = (
            live.positions(waiting, now) if waiting else {}
        )
        self._bodies: dict[int, tuple[Ticket, wire.TicketBody]] = {}

    def position(self, t: Ticket) -> Position | None:
        if not t.is_waiting:
            return None
        if t.id not in self._positions:
            self._positions[t.id] = self.live.position(t, self.now)
        return self._positions[t.id]

    def ticket(self, t: Ticket) -> wire.TicketBody:
        found = self._bodies.get(id(t))
        if found is None:
            found = self._bodies[id(t)] = (t, wire.ticket(t, self.config, self.position(t)))
        return found[1]

    def waiting_at(self, counter: int) -> int:
        return self.live.waiting_at(counter)

    def announcement_active(self, a: Announcement) -> bool:
        day = self.live.day or self.live.business_day(self.now)
        return a.active(self.now, day)

    def event_data(self, event: DomainEvent) -> dict[str, Any]:
        if isinstance(event, TicketIssued):
            # What the ticket tells its customer now is what its call will be measured against.
            self.live.tell(event.ticket, self.position(event.ticket))
        return wire.event_data(event, self)

    def counter(self, c: Counter) -> wire.CounterBody:
        return wire.counter(
            c, self.live.current.get(c.number), self.waiting_at(c.number), self.config
        )

    def body(self, value: object) -> Any:
        """A use case's result as the API answers it."""
        if isinstance(value, Ticket):
            return self.ticket(value)
        if isinstance(value, Issued):
            return self.ticket(value.ticket)
        if isinstance(value, Counter):
            return self.counter(value)
        if isinstance(value, Announcement):
            return wire.announcement(value, self.announcement_active(value), self.config.zone)
        if isinstance(value, AdviceRecord):
            return wire.advice(value, self.config)
        if isinstance(value, DeviceReport):
            return wire.device_report(value, self.config.zone)
        if isinstance(value, HelpRequest):
            return wire.help_request(value, self.config.zone)
        if isinstance(value, Erased):
            return wire.ErasedBody(erased=value.erased)
        return value
