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
from dataclasses import dataclass
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
from queue_core.domain.waiting import WaitingIndex
from queue_core.store.models import CounterRow, ticket_from_row
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
        stale = day.change([*unclosed, *current.values()], counters.values(), now)
        self.version, self.day = version, None if stale else day
        self.waiting, self.counters, self.current = waiting, counters, current
        self.held = held
        self.numbers, self.buckets = {}, {}
        self.times, self.arrivals = times, arrivals

    # ------------------------------------------------------------------ changing
    def put(self, t: Ticket) -> None:
        """A ticket's new state (the waiting index keeps it only while it is in the line)."""
        self.waiting.put(t)
        if t.is_held:
            self.held[t.id] = t
        else:
            self.held.pop(t.id, None)

    def get(self, ticket_id: str) -> Ticket | None:
        """A waiting ticket, in the line or held."""
        return self.waiting.get(ticket_id) or self.held.get(ticket_id)

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
        once for all of them."""
        return hall.positions_of(
            tickets,
            self.waiting,
            self.counter_states(),
            now,
            self.policy,
            self.times,
            self.arrivals,
        )

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
        return hall.summary(codes, self.waiting, states, now, self.policy, self.times, newcomer)

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

    def positions(self, services: Iterable[str], now: float) -> dict[str, Position]:
        """Every waiting ticket's position in the given services (one pass per service)."""
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
        return places
