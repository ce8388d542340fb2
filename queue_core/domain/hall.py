"""The hall as a whole: positions, estimated waits and the per-service summary.

Pure functions over the waiting tickets and the counters' state: what the API returns as
``ahead`` / ``estimated_wait_s``, what ``GET /services`` shows, and the "please get ready" list
that the hall display takes from the events (it never sorts tickets itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from queue_core.domain.estimate import (
    Arrivals,
    CounterLoad,
    Forecast,
    OpenCounter,
    ServiceTimes,
    estimate_all,
    estimate_from_counts,
    forecast_positions,
)
from queue_core.domain.routing import CounterView, Policy, competing_services, sort_key
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.wait_range import WaitRange
from queue_core.domain.waiting import WaitingIndex

#: How many numbers the "please get ready" list holds per service.
NEXT_COUNT = 5
#: Up to this many waiting, estimates play the counters forward with the routing policy; a
#: hall with more (a benchmark, a backlog) gets the one-pass estimate, which costs far less.
FORECAST_LIMIT = 300


@dataclass(frozen=True, slots=True)
class CounterState:
    """A counter as routing and estimates see it now."""

    view: CounterView
    state: str  # open | paused | closed
    current: Ticket | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def load(self) -> CounterLoad:
        busy = self.current
        if busy is None or busy.status not in (Status.CALLED, Status.SERVING):
            return CounterLoad(self.view.number, None)
        return CounterLoad(self.view.number, busy.called_at, busy.service)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a waiting ticket stands: how many will be called before it, and roughly when.

    ``ahead`` is what "您前面还有 N 人等候" says: the tickets waiting now that will be called
    before this one at a counter that could call it. When the counters are played forward
    (``estimate.forecast_positions``, up to ``FORECAST_LIMIT`` waiting) both numbers come from
    the same play, so a short wait never comes with a long line; otherwise ``ahead`` counts
    the tickets of the services sharing a counter with it that the hall would call first, and
    the wait is worked out from those counts.
    """

    ahead: int
    estimated_wait_s: int | None = None
    #: The wait as the range shown ("约 8–12 分钟"), calibrated on the branch's recent errors
    #: (``domain.wait_range``); set by the live view, None without an estimate.
    wait_range: WaitRange | None = None


@dataclass(frozen=True, slots=True)
class ServiceSummary:
    waiting: int
    estimated_wait_s: int | None
    next: tuple[str, ...]
    wait_range: WaitRange | None = None


def _serving_counters(service: str, counters: Sequence[CounterState]) -> list[CounterState]:
    return [c for c in counters if c.is_open and service in c.view.services]


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


def _open_counters(counters: Sequence[CounterState]) -> list[OpenCounter]:
    out = []
    for c in counters:
        if c.is_open:
            load = c.load()
            out.append(OpenCounter(c.view, load.busy_since, load.busy_service))
    return out


def positions_for_service(
    service: str,
    waiting: Iterable[Ticket],
    counters: Sequence[CounterState],
    now: float,
    policy: Policy,
    times: ServiceTimes,
    arrivals: Arrivals | None = None,
) -> dict[str, Position]:
    """Position and estimated wait of every waiting ticket of ``service``, in the order the
    hall calls them (tickets of services sharing a counter with it merged in).

    When the queue is small enough to play, both come from the forecast that plays the open
    counters forward with the routing policy (``estimate.forecast_positions``); on a very
    crowded day the place in the hall's order and the one-pass estimate instead.
    """
    open_views = [c.view for c in counters if c.is_open]
    rivals = competing_services(service, open_views)
    pool = [t for t in waiting if t.is_waiting]
    merged = sorted(
        (t for t in pool if t.service in rivals), key=lambda t: sort_key(t, now, policy)
    )
    place = {t.id: i for i, t in enumerate(merged) if t.service == service}
    if not _serving_counters(service, counters):
        return {ident: Position(i, None) for ident, i in place.items()}
    if len(pool) <= FORECAST_LIMIT:
        found = forecast_positions(
            pool,
            _open_counters(counters),
            now,
            policy,
            times,
            arrivals=arrivals,
            targets=list(place),
        )
        return {
            ident: Position(f.ahead, _round(f.wait_s)) if (f := found.get(ident)) else Position(i)
            for ident, i in place.items()
        }
    loads = [c.load() for c in _serving_counters(service, counters)]
    waits = estimate_all([t.service for t in merged], loads, now, times)
    return {
        t.id: Position(i, _round(waits[i]) if waits is not None else None)
        for i, t in enumerate(merged)
        if t.service == service
    }


def position_of(
    ticket: Ticket,
    waiting: WaitingIndex,
    counters: Sequence[CounterState],
    now: float,
    policy: Policy,
    times: ServiceTimes,
    arrivals: Arrivals | None = None,
) -> Position | None:
    """One waiting ticket's position (it need not be in ``waiting`` yet); None if not waiting.

    With ``arrivals`` and at most ``FORECAST_LIMIT`` ahead, the wait is the routing forecast
    (which counts the customers who will still arrive and overtake); otherwise, or for the
    cheap per-event summaries, the counters are played forward over the counts ahead.
    """
    if not ticket.is_waiting:
        return None
    rivals = competing_services(ticket.service, [c.view for c in counters if c.is_open])
    ahead = waiting.ahead_counts(ticket, rivals, now, policy)
    n_ahead = sum(ahead.values())
    serving = _serving_counters(ticket.service, counters)
    if not serving:
        return Position(n_ahead, None)
    if arrivals is not None and len(waiting) <= FORECAST_LIMIT:
        pool = list(waiting)
        if not any(t.id == ticket.id for t in pool):
            pool.append(ticket)
        found = forecast_positions(
            pool, _open_counters(counters), now, policy, times,
            arrivals=arrivals, targets=[ticket.id],
        ).get(ticket.id)  # fmt: skip
        if found is not None:
            return Position(found.ahead, _round(found.wait_s))
    wait = estimate_from_counts(ahead, [c.load() for c in serving], now, times)
    return Position(n_ahead, _round(wait))


def summary(
    services: Sequence[str],
    waiting: WaitingIndex,
    counters: Sequence[CounterState],
    now: float,
    policy: Policy,
    times: ServiceTimes,
    newcomer: Ticket,
) -> dict[str, ServiceSummary]:
    """Per service: how many wait, the wait a newcomer of the default tier can expect, and the
    next numbers in call order. ``newcomer`` is a template ticket (default tier, issued now)."""
    counts = waiting.count_by_service()
    out: dict[str, ServiceSummary] = {}
    for code in services:
        probe = replace(newcomer, id="\uffff", number="\uffff", service=code)
        position = position_of(probe, waiting, counters, now, policy, times)
        out[code] = ServiceSummary(
            waiting=counts.get(code, 0),
            estimated_wait_s=position.estimated_wait_s if position else None,
            next=tuple(t.number for t in waiting.first(code, NEXT_COUNT, now, policy)),
        )
    return out


def positions_of(
    tickets: Sequence[Ticket],
    waiting: WaitingIndex,
    counters: Sequence[CounterState],
    now: float,
    policy: Policy,
    times: ServiceTimes,
    arrivals: Arrivals | None = None,
) -> dict[str, Position | None]:
    """``position_of`` for several tickets at once, by ticket id: the counters are played
    forward once for all of them (what a commit of several new tickets needs)."""
    out: dict[str, Position | None] = {}
    need: list[Ticket] = []
    open_views = [c.view for c in counters if c.is_open]

    def by_counts(t: Ticket, serving: list[CounterState]) -> Position:
        rivals = competing_services(t.service, open_views)
        ahead = waiting.ahead_counts(t, rivals, now, policy)
        if not serving:
            return Position(sum(ahead.values()), None)
        wait = estimate_from_counts(ahead, [c.load() for c in serving], now, times)
        return Position(sum(ahead.values()), _round(wait))

    for t in tickets:
        if not t.is_waiting:
            out[t.id] = None
        elif not _serving_counters(t.service, counters):
            out[t.id] = by_counts(t, [])
        else:
            out[t.id] = None  # (its place in the answer's order: filled below)
            need.append(t)
    found: dict[str, Forecast] = {}
    if arrivals is not None and len(waiting) <= FORECAST_LIMIT and need:
        pool = list(waiting)
        pool.extend(t for t in need if t.id not in waiting)
        found = forecast_positions(
            pool,
            _open_counters(counters),
            now,
            policy,
            times,
            arrivals=arrivals,
            targets=[t.id for t in need],
            grouped=waiting,
        )
    # The estimate from the counts ahead only where the play did not call the ticket.
    for t in need:
        f = found.get(t.id)
        out[t.id] = (
            Position(f.ahead, _round(f.wait_s))
            if f is not None
            else by_counts(t, _serving_counters(t.service, counters))
        )
    return out
