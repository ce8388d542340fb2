"""One simulated branch day: a discrete-event simulation over the engine's own rules.

Tickets are the domain's ``Ticket`` rows and change only through its moves (``call``,
``start``, ``skip``, ``finish``); who is called comes from a ``Selector`` (the engine's
``choose_next`` or a compared rule), given what the engine gives it: the heads of the waiting
groups the counter may call (``domain.waiting.WaitingIndex``), since every rule calls one group
in arrival order. The engine's rules also say why (``routing.explain``), kept per customer.
Customers arrive as a Poisson stream per service with hourly rates; each has a patience after
which they walk away (their ticket stays in the queue and is skipped when called, as in a real
hall) and may miss the call anyway (a no-show).
Doors close at closing time; counters go on serving those inside for up to ``overtime_s``.
All randomness comes from one seeded ``random.Random``; the day's clock is simulated.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Protocol

from queue_core.domain import tickets as moves
from queue_core.domain.appointments import (
    Appointment,
    AppointmentRules,
    AppointmentStatus,
    queue_time,
)
from queue_core.domain.estimate import Arrivals, OpenCounter, ServiceTimes
from queue_core.domain.figures import CounterSpan
from queue_core.domain.numbering import format_number
from queue_core.domain.routing import CounterView, Policy, can_call
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.wait_range import RangeCalibration, WaitRange
from queue_core.domain.waiting import WaitingIndex
from queue_core.sim.scenario import AppointmentSpec, Scenario
from queue_core.sim.selectors import EnginePolicy, Selector, rank


class Kind(IntEnum):
    """Event kinds; at equal times lower kinds go first (a counter frees before it calls)."""

    FREE = 0
    CLOSE = 1
    OPEN = 2
    ARRIVAL = 3
    DOORS = 4
    CHANGE = 5
    TICK = 6


@dataclass(frozen=True, slots=True)
class Customer:
    """What only the simulation knows of a customer: when they give up, and whether they come."""

    arrival: float
    service: str
    tier: str
    green: bool
    patience_s: float
    misses_call: bool
    service_s: float
    #: How much earlier than its arrival the ticket's place in time is: an appointment's
    #: bounded head start (``domain.appointments.queue_time``); 0 for a walk-in.
    queued_lead_s: float = 0.0


@dataclass(slots=True)
class Outcome:
    """What happened to one customer, with the estimates their ticket got at issue."""

    ticket_id: str
    service: str
    tier: str
    tier_rank: int
    green: bool
    arrival: float
    called_at: float | None = None
    result: str = "waiting"  # served | no_show | abandoned | waiting
    estimates: dict[str, float | None] = field(default_factory=dict)
    #: Why the counter called this ticket (a ``routing.REASONS`` code; None for other rules).
    reason: str | None = None
    #: The range shown around the engine's estimate at issue.
    range: WaitRange | None = None

    @property
    def wait_s(self) -> float | None:
        return None if self.called_at is None else self.called_at - self.arrival


@dataclass(slots=True)
class Counter:
    spec_open: tuple[tuple[float, float], ...]
    view: CounterView
    open: bool = False
    closing: bool = False
    #: Past closing time: serve those still inside, then shut.
    after_hours: bool = False
    current: str | None = None
    busy_since: float | None = None
    opened_at: float | None = None
    closed_at: float | None = None


@dataclass
class DayState:
    """The hall as an estimator may see it when a ticket is issued (no knowledge of the future)."""

    now: float
    index: WaitingIndex
    counters: dict[int, Counter]
    tickets: dict[str, Ticket]
    times: ServiceTimes
    plain_times: ServiceTimes
    arrivals: Arrivals
    policy: Policy
    last_called: dict[object, float] = field(default_factory=dict)
    #: The scenario's arrivals per hour by service and its opening time: the arrival-rate
    #: function that the refined delay-history estimators are given (known, as in their paper).
    rates: dict[str, tuple[float, ...]] = field(default_factory=dict)
    open_at: float = 0.0
    #: When each service's last called ticket had arrived, and when it was called.
    last_entry: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: The engine's range calibration, learning from each call as the engine does.
    ranges: RangeCalibration = field(default_factory=RangeCalibration)

    @property
    def waiting(self) -> list[Ticket]:
        """The waiting tickets, in issue order."""
        return list(self.index)

    def open_counters(self, service: str | None = None) -> list[OpenCounter]:
        """Open counters (that serve ``service``), with their current customer's service."""
        found = []
        for c in self.counters.values():
            if not c.open or c.closing or (service and service not in c.view.services):
                continue
            busy = self.tickets[c.current].service if c.current else None
            found.append(OpenCounter(c.view, c.busy_since if c.current else None, busy))
        return found


#: An estimator: the hall at issue and the new ticket → seconds until it is called, or None.
Estimator = Callable[[DayState, Ticket], float | None]


@dataclass(frozen=True, slots=True)
class CounterChange:
    """A change to a counter during the day: ``open`` (also taking ``services``), ``close``
    (after its current customer), ``take`` (an open counter also takes ``services``)."""

    kind: str
    counter: int
    services: tuple[str, ...] = ()


class Ticker(Protocol):
    """Looks at the day every ``every_s`` seconds (the staffing advice, followed): returns the
    changes to make and when."""

    every_s: float

    def tick(self, day: Day, now: float) -> Sequence[tuple[float, CounterChange]]: ...


@dataclass
class DayResult:
    """A simulated day: the final ticket rows, each customer's outcome, and the counters' log."""

    scenario: str
    selector: str
    seed: int
    open_at: float
    tickets: list[Ticket]
    outcomes: list[Outcome]
    calls: int
    overtakes: int
    spans: list[CounterSpan]
    end_at: float
    #: Calls that passed over an earlier ticket of the same class (``class_of``) at that counter.
    class_jumps: int = 0

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1.0 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    x = rng.random()
    for name, share in shares:
        x -= share
        if x < 0:
            return name
    return shares[-1][0]


def customers(scenario: Scenario, rng: random.Random) -> list[Customer]:
    """The day's customers: Poisson arrivals per service at each hour's rate, in time order."""
    found: list[Customer] = []
    for spec in scenario.services:
        for hour, rate in enumerate(spec.arrivals):
            if rate <= 0:
                continue
            t = hour * 3600.0 + rng.expovariate(rate / 3600.0)
            while t < (hour + 1) * 3600.0 and t < scenario.day_s:
                green_share = spec.green_share if spec.green_share is not None else None
                patience = (
                    rng.expovariate(1.0 / scenario.patience_mean_s)
                    if scenario.patience_mean_s
                    else math.inf
                )
                found.append(
                    Customer(
                        arrival=t,
                        service=spec.code,
                        tier=_pick(rng, spec.tiers or scenario.tiers),
                        green=rng.random()
                        < (green_share if green_share is not None else scenario.green_share),
                        patience_s=patience,
                        misses_call=rng.random() < scenario.no_show,
                        service_s=(
                            rng.expovariate(1.0 / spec.mean_s)
                            if spec.distribution == "exponential"
                            else _lognormal(rng, spec.mean_s, spec.cv)
                        ),
                    )
                )
                t += rng.expovariate(rate / 3600.0)
    for booked in scenario.appointments:
        found += appointment_customers(scenario, booked, rng)
    return sorted(found, key=lambda c: c.arrival)


#: An appointment holder checks in this long either side of their window's start.
CHECK_IN_SPREAD_S = 600.0


def appointment_customers(
    scenario: Scenario, booked: AppointmentSpec, rng: random.Random
) -> list[Customer]:
    """The customers of ``booked``: each checks in within ``CHECK_IN_SPREAD_S`` of the window's
    start (clipped to the window and to opening hours) and joins the queue where the domain's
    rule puts an appointment (``domain.appointments.queue_time``: the scenario's head start
    over walk-ins of the same class). They booked, so they wait and come to the call; their
    service takes as long as any of that service's."""
    spec = next((s for s in scenario.services if s.code == booked.service), None)
    mean, cv = (spec.mean_s, spec.cv) if spec is not None else (300.0, 0.6)
    rules = AppointmentRules(
        slot_s=booked.end_s - booked.start_s, head_start_s=scenario.head_start_s
    )
    window = Appointment(
        id="", code="", service=booked.service, day="", start=booked.start_s,
        end=booked.end_s, status=AppointmentStatus.BOOKED, booked_at=0.0, booked_by="plan",
        tier=booked.tier, green_channel=booked.green,
    )  # fmt: skip
    out = []
    for _ in range(booked.count):
        start = booked.start_s
        arrive = start + rng.uniform(-CHECK_IN_SPREAD_S, CHECK_IN_SPREAD_S)
        arrive = min(max(arrive, 0.0), booked.end_s, scenario.day_s - 1.0)
        out.append(
            Customer(
                arrival=arrive,
                service=booked.service,
                tier=booked.tier,
                green=booked.green,
                patience_s=math.inf,
                misses_call=False,
                service_s=_lognormal(rng, mean, cv),
                queued_lead_s=arrive - queue_time(window, arrive, rules),
            )
        )
    return out


def _rating(rng: random.Random, wait_s: float) -> int | None:
    """A customer's rating (six in ten rate): worse after a long wait. Assumed shares."""
    if rng.random() > 0.6:
        return None
    table = (
        (0.70, 0.25, 0.05, 0.0, 0.0)
        if wait_s <= 180
        else (0.40, 0.40, 0.15, 0.05, 0.0)
        if wait_s <= 600
        else (0.20, 0.30, 0.30, 0.15, 0.05)
    )
    return 5 - int(_pick(rng, [(str(i), p) for i, p in enumerate(table)]))


class Day:
    """The event loop of one day. ``run`` returns the ``DayResult``."""

    def __init__(
        self,
        scenario: Scenario,
        selector: Selector,
        seed: int,
        estimators: Mapping[str, Estimator] | None = None,
        people: Sequence[Customer] | None = None,
        ticker: Ticker | None = None,
        class_of: Callable[[Ticket], object] | None = None,
    ) -> None:
        self.scenario = scenario
        self.ticker = ticker
        self.selector = selector
        self.seed = seed
        self.rng = random.Random(seed)
        self.people = list(people) if people is not None else customers(scenario, self.rng)
        self.estimators = dict(estimators or {})
        self.t0 = scenario.open_at
        defaults = {s.code: s.mean_s for s in scenario.services}
        policy = selector.policy if isinstance(selector, EnginePolicy) else Policy()
        counters = {
            c.number: Counter(c.open, CounterView(c.number, c.services, c.prefers_green))
            for c in scenario.counters
        }
        self.state = DayState(
            now=self.t0, index=WaitingIndex(), counters=counters, tickets={},
            times=ServiceTimes(defaults), plain_times=ServiceTimes(defaults),
            arrivals=Arrivals(), policy=policy,
            rates={sp.code: sp.arrivals for sp in scenario.services}, open_at=self.t0,
        )  # fmt: skip
        self.outcomes: dict[str, Outcome] = {}
        self.who: dict[str, Customer] = {}
        self.events: list[tuple[float, int, int, object]] = []
        self.order = 0
        self.seq: dict[str, int] = {}
        self.calls = 0
        self.overtakes = 0
        self.class_jumps = 0
        self.class_of = class_of
        self.spans: list[CounterSpan] = []

    def push(self, at: float, kind: Kind, data: object) -> None:
        self.order += 1
        heapq.heappush(self.events, (at, int(kind), self.order, data))

    def run(self) -> DayResult:
        last_close = self.scenario.day_s
        for person in self.people:
            self.push(self.t0 + person.arrival, Kind.ARRIVAL, person)
        for number, counter in self.state.counters.items():
            for start, end in counter.spec_open:
                self.push(self.t0 + start, Kind.OPEN, number)
                if end < last_close:
                    self.push(self.t0 + end, Kind.CLOSE, number)
            # Counters open at closing time keep serving those inside, up to the overtime.
            self.push(self.t0 + last_close, Kind.DOORS, number)
            self.push(self.t0 + last_close + self.scenario.overtime_s, Kind.CLOSE, number)
        if self.ticker is not None:
            self.push(self.t0, Kind.TICK, None)
        end_at = self.t0
        while self.events:
            at, kind, _, data = heapq.heappop(self.events)
            self.state.now = end_at = at
            if kind == Kind.ARRIVAL:
                assert isinstance(data, Customer)
                self.arrive(data, at)
            elif kind == Kind.FREE:
                assert isinstance(data, int)
                self.free(data, at)
            elif kind == Kind.OPEN:
                assert isinstance(data, int)
                self.open(data, at)
            elif kind == Kind.DOORS:
                assert isinstance(data, int)
                self.doors(data, at)
            elif kind == Kind.CHANGE:
                assert isinstance(data, CounterChange)
                self.change(data, at)
            elif kind == Kind.TICK:
                self.tick(at)
            else:
                assert isinstance(data, int)
                self.close(data, at)
        return self.result(end_at)

    def arrive(self, person: Customer, now: float) -> None:
        prefix = person.service
        self.seq[prefix] = self.seq.get(prefix, 0) + 1
        number = format_number(prefix, self.seq[prefix])
        ticket = Ticket(
            id=f"{number}-{self.seed}", number=number, service=person.service,
            tier=person.tier, tier_rank=self.scenario.tier_ranks.get(person.tier, 0),
            green_channel=person.green, status=Status.WAITING, issued_at=now,
            queued_at=now - person.queued_lead_s, business_day=self.scenario.date,
        )  # fmt: skip
        state = self.state
        state.tickets[ticket.id] = ticket
        state.index.put(ticket)
        self.who[ticket.id] = person
        outcome = Outcome(
            ticket.id, ticket.service, ticket.tier, ticket.tier_rank, ticket.green_channel, now
        )
        for name, estimator in self.estimators.items():
            outcome.estimates[name] = estimator(state, ticket)
        outcome.range = state.ranges.range_for(outcome.estimates.get("engine"))
        self.outcomes[ticket.id] = outcome
        state.arrivals.record(ticket)
        self.dispatch(ticket, now)

    def dispatch(self, ticket: Ticket, now: float) -> None:
        """An idle counter had nobody to call; the first that may call the newcomer does."""
        for counter in self.state.counters.values():
            idle = counter.open and not counter.closing and counter.current is None
            if idle and can_call(counter.view, ticket):
                self.call(counter, now)
                return

    def call(self, counter: Counter, now: float) -> None:
        state = self.state
        heads = state.index.heads(counter.view)
        chosen = self.selector.choose(counter.view, heads, now)
        if chosen is None:
            return
        self.calls += 1
        if any(rank(t) > rank(chosen) for t in heads if t.service in counter.view.services):
            self.overtakes += 1
        if self.class_of is not None:
            mine = self.class_of(chosen)
            if any(t.queued_at < chosen.queued_at and self.class_of(t) == mine for t in heads):
                self.class_jumps += 1
        state.index.discard(chosen.id)
        ticket = moves.call(chosen, counter.view.number, now, f"t{counter.view.number:02d}")
        person = self.who[ticket.id]
        outcome = self.outcomes[ticket.id]
        outcome.called_at = now
        if (estimate := outcome.estimates.get("engine")) is not None:
            state.ranges.record(estimate, now - ticket.issued_at)
        if isinstance(self.selector, EnginePolicy):
            outcome.reason = self.selector.reason(counter.view, chosen, heads, now).code
        state.last_called[(ticket.service, ticket.tier_rank, ticket.green_channel)] = now - (
            ticket.issued_at
        )
        state.last_called[ticket.service] = now - ticket.issued_at
        state.last_entry[ticket.service] = (ticket.issued_at, now)
        counter.current, counter.busy_since = ticket.id, now
        gone = now - ticket.issued_at > person.patience_s
        if gone or person.misses_call:
            outcome.result = "abandoned" if gone else "no_show"
            self.push(now + self.scenario.grace_s, Kind.FREE, counter.view.number)
        else:
            ticket = moves.start(ticket, now)
            self.push(now + person.service_s, Kind.FREE, counter.view.number)
        state.tickets[ticket.id] = ticket

    def free(self, number: int, now: float) -> None:
        state = self.state
        counter = state.counters[number]
        assert counter.current is not None and counter.busy_since is not None
        ticket = state.tickets[counter.current]
        spent = now - counter.busy_since
        if ticket.status is Status.SERVING:
            wait = (ticket.called_at or now) - ticket.issued_at
            ticket = moves.finish(ticket, now, _rating(self.rng, wait))
            self.outcomes[ticket.id].result = "served"
            state.times.record(ticket.service, spent)
            state.plain_times.record(ticket.service, spent)
        else:
            ticket = moves.skip(ticket, now)
            state.times.record_skip(ticket.service, spent)
        state.tickets[ticket.id] = ticket
        counter.current = counter.busy_since = None
        if counter.closing:
            self.shut(counter, now)
        else:
            self.call(counter, now)
            if counter.after_hours and counter.current is None:
                self.shut(counter, now)

    def open(self, number: int, now: float) -> None:
        counter = self.state.counters[number]
        counter.open, counter.closing, counter.opened_at = True, False, now
        if counter.current is None:
            self.call(counter, now)

    def tick(self, now: float) -> None:
        assert self.ticker is not None
        for at, change in self.ticker.tick(self, now):
            self.push(max(at, now), Kind.CHANGE, change)
        if now + self.ticker.every_s < self.t0 + self.scenario.day_s:
            self.push(now + self.ticker.every_s, Kind.TICK, None)

    def change(self, change: CounterChange, now: float) -> None:
        """Make a change the staffing advice asked for."""
        counter = self.state.counters.get(change.counter)
        if counter is None:
            return
        if change.kind == "close":
            self.close(change.counter, now)
            return
        extra = tuple(s for s in change.services if s not in counter.view.services)
        if extra:
            counter.view = replace(counter.view, services=(*counter.view.services, *extra))
        if change.kind == "open" and not counter.open:
            self.open(change.counter, now)
        elif counter.open and not counter.closing and counter.current is None:
            self.call(counter, now)

    def doors(self, number: int, now: float) -> None:
        """Closing time: the counter serves whoever is still inside for it, then shuts."""
        counter = self.state.counters[number]
        if not counter.open:
            return
        counter.after_hours = True
        if counter.current is None:
            self.shut(counter, now)

    def close(self, number: int, now: float) -> None:
        counter = self.state.counters[number]
        if not counter.open:
            return
        if counter.current is not None:
            counter.closing = True
        else:
            self.shut(counter, now)

    def shut(self, counter: Counter, now: float) -> None:
        if counter.opened_at is not None:
            teller = f"t{counter.view.number:02d}"
            self.spans.append(
                CounterSpan(counter.view.number, "open", counter.opened_at, now, teller)
            )
        counter.open, counter.closing, counter.opened_at = False, False, None
        counter.after_hours, counter.closed_at = False, now

    def result(self, end_at: float) -> DayResult:
        for ticket in self.state.index:
            outcome = self.outcomes[ticket.id]
            gone = end_at - ticket.issued_at > self.who[ticket.id].patience_s
            outcome.result = "abandoned" if gone else "waiting"
        return DayResult(
            scenario=self.scenario.name, selector=self.selector.name, seed=self.seed,
            open_at=self.t0, tickets=list(self.state.tickets.values()),
            outcomes=list(self.outcomes.values()), calls=self.calls,
            overtakes=self.overtakes, spans=self.spans, end_at=end_at,
            class_jumps=self.class_jumps,
        )  # fmt: skip


def simulate_day(
    scenario: Scenario,
    selector: Selector,
    seed: int,
    estimators: Mapping[str, Estimator] | None = None,
    class_of: Callable[[Ticket], object] | None = None,
) -> DayResult:
    """Simulate one day of ``scenario`` with ``selector`` choosing the calls (``class_of``
    groups customers into the classes whose arrival order is checked at each call)."""
    return Day(scenario, selector, seed, estimators, class_of=class_of).run()
