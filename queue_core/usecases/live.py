"""The live view: the branch's hall in memory, what call-next and every estimate work from.

Loaded from the database and kept up to date by the use cases as they change it, so that a
call-next costs no query. It is valid for one ``seq`` of the event log (``version``): the
writer checks it at the start of every transaction, and a read before it answers, and reloads
it when another engine process has written to the same database (or a transaction failed).
``day`` is the business day it holds nothing earlier than; None until that is known.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_core.config import BranchConfig
from queue_core.domain import hall
from queue_core.domain.business_day import BusinessDay
from queue_core.domain.counters import Counter
from queue_core.domain.estimate import Arrivals, ServiceTimes
from queue_core.domain.hall import Position, ServiceSummary
from queue_core.domain.routing import CounterView, Policy
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.wait_range import RangeCalibration
from queue_core.domain.waiting import WaitingIndex
from queue_core.store.models import CounterRow, EventRow, ticket_from_row
from queue_core.store.pending import TICKETS

ACTIVE = (Status.CALLED, Status.SERVING)


class LiveView:
    """The waiting tickets, the counters and who is at each desk, recent service times and
    arrivals, and the daily numbers and rate buckets as far as looked up."""

    def __init__(self, config: BranchConfig, clock: Callable[[], float]) -> None:
        self.config = config
        self.clock = clock
        self.policy = config.routing.policy_object()
        self.views: dict[int, CounterView] = {c.number: c.view() for c in config.counters}
        #: Held by the writer while a transaction's use cases run, and by every read.
        self.lock = threading.RLock()
        self.version = -1
        self.day: BusinessDay | None = None
        self.waiting = WaitingIndex()
        #: Waiting tickets out of the line because their paper ticket did not print.
        self.held: dict[str, Ticket] = {}
        self.counters: dict[int, Counter] = {}
        self.current: dict[int, Ticket] = {}
        #: The last number handed out per (business day, prefix).
        self.numbers: dict[tuple[str, str], int] = {}
        #: Token buckets (tokens, stamp) by name: the kiosks' rate limit.
        self.buckets: dict[str, tuple[float, float]] = {}
        self.times = self._fresh_times()
        self.arrivals = Arrivals()
        #: When each device's last health report became an event (``devices.ReportHealth``);
        #: this process's, kept across reloads.
        self.device_news: dict[str, float] = {}
        #: The wait range's calibration, and the estimate each waiting ticket was told at issue.
        self.ranges = RangeCalibration()
        self.told: dict[str, float] = {}

    def _fresh_times(self) -> ServiceTimes:
        return ServiceTimes({s.code: s.expected_service_s for s in self.config.services})

    # ------------------------------------------------------------------ the day
    def business_day(self, now: float) -> BusinessDay:
        info = self.config.branch
        return BusinessDay.of(now, self.config.zone, info.opening, info.closing)

    def is_today(self, now: float) -> bool:
        """Whether the view is known to hold nothing of a day before ``now``'s."""
        return self.day is not None and self.day.contains(now)

    # ------------------------------------------------------------------ loading
    def reload(self, session: Session, version: int) -> None:
        """Load the hall from the database as of ``version`` (the log's last seq)."""

        # Tickets are read with Core (rows, not ORM objects): nothing of them stays in the
        # session's identity map to go stale when the transaction writes them (store.pending).
        def tickets(query: Any) -> list[Ticket]:
            return [ticket_from_row(r) for r in session.execute(query).mappings()]

        now = self.clock()
        unclosed = tickets(select(TICKETS).where(TICKETS.c.status == "waiting"))
        waiting = WaitingIndex.of(unclosed)
        held = {t.id: t for t in unclosed if t.is_held}
        rows = list(session.scalars(select(CounterRow)))
        counters = {r.number: r.to_domain() for r in rows}
        for row in rows:
            session.expunge(row)
        ids = {c.current_id: c.number for c in counters.values() if c.current_id}
        current = {
            ids[t.id]: t for t in tickets(select(TICKETS).where(TICKETS.c.id.in_(list(ids))))
        }
        times = self._fresh_times()
        for service in self.config.services:
            recent = tickets(
                select(TICKETS)
                .where(TICKETS.c.service == service.code, TICKETS.c.status == "finished")
                .order_by(TICKETS.c.finished_at.desc())
                .limit(times.window)
            )
            for t in reversed(recent):
                if t.finished_at and t.called_at:
                    times.record(service.code, t.finished_at - t.called_at)
        skipped = tickets(
            select(TICKETS)
            .where(TICKETS.c.status == "skipped")
            .order_by(TICKETS.c.finished_at.desc())
            .limit(50)
        )
        for t in reversed(skipped):
            if t.finished_at and t.called_at:
                times.record_skip(t.service, t.finished_at - t.called_at)
        arrivals = Arrivals()
        for t in tickets(
            select(TICKETS)
            .where(TICKETS.c.issued_at >= now - arrivals.window_s, TICKETS.c.visit == 1)
            .order_by(TICKETS.c.issued_at)
        ):
            arrivals.record(t)
        day = self.business_day(now)
        self.ranges, self.told = self._ranges_of(session, day.start)
        stale = day.change([*unclosed, *current.values()], counters.values(), now)
        self.version, self.day = version, None if stale else day
        self.waiting, self.counters, self.current = waiting, counters, current
        self.held = held
        self.numbers, self.buckets = {}, {}
        self.times, self.arrivals = times, arrivals

    @staticmethod
    def _ranges_of(session: Session, since: float) -> tuple[RangeCalibration, dict[str, float]]:
        """The range's calibration as today's calls left it: each ticket issued today with
        the estimate its ``ticket.issued`` event told, against its wait if it was called."""
        told: dict[str, float] = {}
        for data in session.scalars(
            select(EventRow.data)
            .where(EventRow.type == "ticket.issued", EventRow.at >= since)
            .order_by(EventRow.seq)
        ):
            ticket = data.get("ticket") or {}
            wait = ticket.get("estimated_wait_s")
            if ticket.get("visit", 1) == 1 and isinstance(wait, int | float) and "id" in ticket:
                told[ticket["id"]] = float(wait)
        ranges = RangeCalibration()
        if told:
            called = session.execute(
                select(TICKETS.c.id, TICKETS.c.issued_at, TICKETS.c.called_at)
                .where(TICKETS.c.id.in_(list(told)), TICKETS.c.called_at.is_not(None))
                .order_by(TICKETS.c.called_at)
            )
            for ident, issued_at, called_at in called:
                ranges.record(told.pop(ident), called_at - issued_at)
        return ranges, told

    # ------------------------------------------------------------------ changing
    def put(self, t: Ticket) -> None:
        """A ticket's new state (the waiting index keeps it only while it is in the line); a
        first call teaches the wait range how the estimate told at issue came out."""
        self.waiting.put(t)
        if t.is_held:
            self.held[t.id] = t
        else:
            self.held.pop(t.id, None)
        if t.id in self.told and not t.is_waiting and not t.is_held:
            estimate = self.told.pop(t.id)
            if t.called_at is not None:
                self.ranges.record(estimate, t.called_at - t.issued_at)

    def get(self, ticket_id: str) -> Ticket | None:
        """A waiting ticket, in the line or held."""
        return self.waiting.get(ticket_id) or self.held.get(ticket_id)

    def tell(self, t: Ticket, position: Position | None) -> None:
        """The estimate a newly issued ticket was told (its event carries it)."""
        if t.visit == 1 and position is not None and position.estimated_wait_s is not None:
            self.told[t.id] = float(position.estimated_wait_s)

    def ranged(self, p: Position | None) -> Position | None:
        """``p`` with the range of its wait."""
        if p is None or p.estimated_wait_s is None:
            return p
        return replace(p, wait_range=self.ranges.range_for(p.estimated_wait_s))

    def seat(self, counter: Counter, t: Ticket | None) -> None:
        """``counter``'s new state, with ``t`` at its desk (None or a closed visit: free)."""
        self.counters[counter.number] = counter
        if t is None or t.status not in ACTIVE:
            self.current.pop(counter.number, None)
        else:
            self.current[counter.number] = t

    # ------------------------------------------------------------------ the hall
    def counter_states(self) -> list[hall.CounterState]:
        out = []
        for c in self.config.counters:
            found = self.counters.get(c.number)
            state = found.state.value if found else "closed"
            out.append(hall.CounterState(self.views[c.number], state, self.current.get(c.number)))
        return out

    def served_by(self) -> list[tuple[Counter, tuple[str, ...]]]:
        """Each counter's state with the services it serves."""
        return [
            (self.counters[n], view.services)
            for n, view in self.views.items()
            if n in self.counters
        ]

    def positions(self, tickets: Sequence[Ticket], now: float) -> dict[str, Position | None]:
        """Where each ticket stands (None when it does not wait), the counters played forward
        once for all of them, with the range of each wait."""
        found = hall.positions_of(
            tickets,
            self.waiting,
            self.counter_states(),
            now,
            self.policy,
            self.times,
            self.arrivals,
        )
        return {ident: self.ranged(p) for ident, p in found.items()}

    def copy(self) -> HallCopy:
        """What ``positions`` reads, copied (cheap: containers of frozen objects), so that a
        play of the counters for many tickets (the phone pages' feed) runs outside the lock
        and the writer never waits for it."""
        return HallCopy(
            list(self.waiting),
            self.counter_states(),
            self.policy,
            self.times.copy(),
            self.arrivals.copy(),
            self.ranges.copy(),
        )

    def position(self, t: Ticket, now: float) -> Position | None:
        return self.positions([t], now)[t.id]

    def summary(self, now: float) -> dict[str, ServiceSummary]:
        """Per service: how many wait, a newcomer's wait, the next numbers (every event's
        ``queue``)."""
        tier = self.config.default_tier
        newcomer = Ticket(
            id="",
            number="",
            service="",
            tier=tier.code,
            tier_rank=tier.rank,
            green_channel=False,
            status=Status.WAITING,
            issued_at=now,
            queued_at=now,
            business_day="",
        )
        codes = [s.code for s in self.config.services]
        states = self.counter_states()
        found = hall.summary(codes, self.waiting, states, now, self.policy, self.times, newcomer)
        return {
            code: replace(s, wait_range=self.ranges.range_for(s.estimated_wait_s))
            for code, s in found.items()
        }

    def waiting_at(self, number: int) -> int:
        """How many waiting tickets counter ``number`` may call."""
        view = self.views.get(number)
        return self.waiting.count_for(view) if view is not None else 0


@dataclass(frozen=True, slots=True)
class HallCopy:
    """The hall as of one moment, for positions computed away from the live view."""

    waiting: list[Ticket]
    counters: list[hall.CounterState]
    policy: Policy
    times: ServiceTimes
    arrivals: Arrivals
    ranges: RangeCalibration

    def positions(self, services: Iterable[str], now: float) -> dict[str, Position]:
        """Every waiting ticket's position in the given services (one pass per service), with
        the range of its wait."""
        places: dict[str, Position] = {}
        for service in sorted(services):
            places.update(
                hall.positions_for_service(
                    service,
                    self.waiting,
                    self.counters,
                    now,
                    self.policy,
                    self.times,
                    self.arrivals,
                )
            )
        return {
            ident: replace(p, wait_range=self.ranges.range_for(p.estimated_wait_s))
            for ident, p in places.items()
        }
