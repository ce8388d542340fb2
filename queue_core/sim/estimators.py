"""Wait estimators compared on simulated days: the engine's and the literature's.

Each takes the hall as it is when a ticket is issued (``DayState``, no knowledge of the future)
and the new ticket, and returns the seconds until it will be called (None: no counter open).

- ``engine``: the engine's estimate, :func:`queue_core.domain.estimate.forecast_wait` (routing
  played forward, no-shows and the expected newcomers included).
- ``engine v0``: the engine's first estimate, :func:`~queue_core.domain.estimate.estimate_wait`
  on the tickets ahead in the hall's order and the open counters that serve the service, with
  plain mean service times.
- ``queue length``: (people waiting for the same service + 1) × its mean service time ÷ its open
  counters (the "QL" estimator of Whitt 1999, Ibrahim & Whitt 2009).
- ``class-aware queue length``: the same, counting only the waiting customers of the same
  service and the same or a higher class (green channel, then tier rank): those a priority rule
  calls first.
- ``work-ahead queue length``: the tickets ahead in the hall's call order among the services
  that share a counter with this one, each at its own service's mean time, plus one more
  completion (as in the queue length's ``+ 1``), shared by the open counters that serve it. A
  ticket ahead that
  other counters can serve too loads this ticket's counters only with their share of its
  counters: ``m_i · k_i / c_i`` for ``c_i`` open counters serving it, ``k_i`` of them this
  ticket's.
- ``last to enter service``: the wait of the last customer of the same class (service, tier,
  green channel; else the same service) to be called ("LES", Ibrahim & Whitt 2009).
- ``head of line``: how long the first waiting customer of the same class (else service) has
  waited so far ("HOL", Ibrahim & Whitt 2009).
- ``LES refined`` and ``HOL refined``: the delay-history estimators refined for time-varying
  arrivals after Ibrahim & Whitt, "Real-time delay estimation based on delay history in
  many-server service systems with time-varying arrivals", POMS 20(5), 2011: the observed delay
  is turned into the number of customers ahead through the arrival-rate function (known, as
  there; here the scenario's hourly rates), and that number into a delay through the
  service capacity. HOL: the head of the line arrived at ``t − w``, so about
  ``Λ(t) − Λ(t − w)`` wait and the delay is ``(Λ(t) − Λ(t − w) + 1) · m / c``. LES: the last
  customer called arrived at ``a`` and was called at ``t_L``; in the fluid model the new
  customer waits ``(Λ(t) − Λ(a) + 1) · m / c − (t − t_L)``. With a constant rate and a
  balanced hall both equal the plain HOL and LES delays.

The simple ones are given the one thing every counter knows: when an open counter that serves
the ticket is idle, the wait is 0.
"""

from __future__ import annotations

from collections.abc import Callable

from queue_core.domain.estimate import CounterLoad, estimate_wait, forecast_wait
from queue_core.domain.routing import competing_services, order_for_hall
from queue_core.domain.tickets import Ticket
from queue_core.sim.model import DayState


def _idle_counter(state: DayState, ticket: Ticket) -> bool:
    return any(c.busy_since is None for c in state.open_counters(ticket.service))


def _rank(ticket: Ticket) -> tuple[bool, int]:
    return (ticket.green_channel, ticket.tier_rank)


def engine(state: DayState, ticket: Ticket) -> float | None:
    return forecast_wait(
        ticket, state.waiting, state.open_counters(), state.now, state.policy, state.times,
        state.arrivals,
    )  # fmt: skip


def _hall_ahead(state: DayState, ticket: Ticket) -> list[Ticket] | None:
    """The waiting tickets the hall calls before ``ticket`` among the services that share an
    open counter with it (None when no counter is open for it)."""
    counters = state.open_counters(ticket.service)
    if not counters:
        return None
    rivals = competing_services(ticket.service, [c.view for c in counters])
    order = order_for_hall(
        [t for t in state.waiting if t.service in rivals], state.now, state.policy
    )
    return order[: [t.id for t in order].index(ticket.id)]


def engine_v0(state: DayState, ticket: Ticket) -> float | None:
    ahead = _hall_ahead(state, ticket)
    if ahead is None:
        return None
    counters = state.open_counters(ticket.service)
    loads = [CounterLoad(c.view.number, c.busy_since, c.busy_service) for c in counters]
    return estimate_wait([t.service for t in ahead], loads, state.now, state.plain_times)


def _queue_length(
    state: DayState, ticket: Ticket, counted: Callable[[Ticket], bool]
) -> float | None:
    counters = state.open_counters(ticket.service)
    if not counters:
        return None
    if _idle_counter(state, ticket):
        return 0.0
    ahead = sum(
        1 for t in state.waiting if t.service == ticket.service and t.id != ticket.id and counted(t)
    )
    return (ahead + 1) * state.plain_times.mean(ticket.service) / len(counters)


def queue_length(state: DayState, ticket: Ticket) -> float | None:
    return _queue_length(state, ticket, lambda t: True)


def class_queue_length(state: DayState, ticket: Ticket) -> float | None:
    return _queue_length(state, ticket, lambda t: _rank(t) >= _rank(ticket))


def work_ahead(state: DayState, ticket: Ticket) -> float | None:
    ahead = _hall_ahead(state, ticket)
    if ahead is None:
        return None
    if _idle_counter(state, ticket):
        return 0.0
    counters = state.open_counters(ticket.service)
    mine = {c.view.number for c in counters}
    times = state.plain_times
    share: dict[str, float] = {}
    for service in {t.service for t in ahead}:
        theirs = [c.view.number for c in state.open_counters(service)]
        share[service] = sum(1 for n in theirs if n in mine) / len(theirs)
    work = sum(times.mean(t.service) * share[t.service] for t in ahead)
    # As in the queue-length estimator, (ahead + 1) completions: the ticket's own counters
    # free one more time after those ahead have started.
    return (work + times.mean(ticket.service)) / len(counters)


def last_to_enter(state: DayState, ticket: Ticket) -> float | None:
    if not state.open_counters(ticket.service):
        return None
    if _idle_counter(state, ticket):
        return 0.0
    cls = (ticket.service, ticket.tier_rank, ticket.green_channel)
    return state.last_called.get(cls, state.last_called.get(ticket.service, 0.0))


def head_of_line(state: DayState, ticket: Ticket) -> float | None:
    if not state.open_counters(ticket.service):
        return None
    if _idle_counter(state, ticket):
        return 0.0
    others = [t for t in state.waiting if t.service == ticket.service and t.id != ticket.id]
    same = [t for t in others if _rank(t) == _rank(ticket)]
    line = same or others
    return state.now - min(t.queued_at for t in line) if line else 0.0


def arrived_between(state: DayState, service: str, start: float, end: float) -> float:
    """Λ(end) − Λ(start): customers of ``service`` expected to arrive in between (the
    scenario's hourly rates, as the refined estimators are given the arrival-rate function)."""
    rates = state.rates.get(service, ())
    total = 0.0
    for hour, rate in enumerate(rates):
        lo = max(start, state.open_at + 3600.0 * hour)
        hi = min(end, state.open_at + 3600.0 * (hour + 1))
        if hi > lo:
            total += rate * (hi - lo) / 3600.0
    return total


def _capacity_s(state: DayState, ticket: Ticket) -> float | None:
    """Seconds per service completion for this service: its mean over its open counters."""
    counters = state.open_counters(ticket.service)
    if not counters:
        return None
    return state.plain_times.mean(ticket.service) / len(counters)


def hol_refined(state: DayState, ticket: Ticket) -> float | None:
    per = _capacity_s(state, ticket)
    if per is None:
        return None
    if _idle_counter(state, ticket):
        return 0.0
    others = [t for t in state.waiting if t.service == ticket.service and t.id != ticket.id]
    if not others:
        return per
    head = min(t.queued_at for t in others)
    return (arrived_between(state, ticket.service, head, state.now) + 1.0) * per


def les_refined(state: DayState, ticket: Ticket) -> float | None:
    per = _capacity_s(state, ticket)
    if per is None:
        return None
    if _idle_counter(state, ticket):
        return 0.0
    last = state.last_entry.get(ticket.service)
    if last is None:
        return per
    arrived, entered = last
    ahead = arrived_between(state, ticket.service, arrived, state.now)
    return max(0.0, (ahead + 1.0) * per - (state.now - entered))


#: The estimators ``branchq compare`` measures, by the name used in the tables.
ESTIMATORS: dict[str, Callable[[DayState, Ticket], float | None]] = {
    "engine": engine,
    "engine v0": engine_v0,
    "queue length": queue_length,
    "class-aware queue length": class_queue_length,
    "work-ahead queue length": work_ahead,
    "last to enter service": last_to_enter,
    "head of line": head_of_line,
    "LES refined": les_refined,
    "HOL refined": hol_refined,
}
#: The estimators the engine's must beat (the engine's own first version is not a rival).
BASELINES = tuple(k for k in ESTIMATORS if k not in ("engine", "engine v0"))
