"""Wait estimators compared on simulated days: the engine's and the literature's simple ones.

Each takes the hall as it is when a ticket is issued (``DayState``, no knowledge of the future)
and the new ticket, and returns the seconds until it will be called (None: no counter open).

- ``engine``: the engine's estimate, :func:`queue_core.domain.estimate.forecast_wait` (routing
  played forward, no-shows and the expected newcomers included).
- ``engine v0``: the engine's first estimate, :func:`~queue_core.domain.estimate.estimate_wait`
  on the tickets ahead in the hall's order and the open counters that serve the service, with
  plain mean service times.
- ``queue length``: (people waiting for the same service + 1) × its mean service time ÷ its open
  counters (the "QL" estimator of Whitt 1999, Ibrahim & Whitt 2009).
- ``last to enter service``: the wait of the last customer of the same class (service, tier,
  green channel; else the same service) to be called ("LES", Ibrahim & Whitt 2009).
- ``head of line``: how long the first waiting customer of the same class (else service) has
  waited so far ("HOL", Ibrahim & Whitt 2009).

The three simple ones are given the one thing every counter knows: when an open counter that
serves the ticket is idle, the wait is 0.
"""

from __future__ import annotations

from collections.abc import Callable

from queue_core.domain.estimate import CounterLoad, estimate_wait, forecast_wait
from queue_core.domain.routing import competing_services, order_for_hall
from queue_core.domain.tickets import Ticket
from queue_core.sim.model import DayState


def _idle_counter(state: DayState, ticket: Ticket) -> bool:
    return any(c.busy_since is None for c in state.open_counters(ticket.service))


def engine(state: DayState, ticket: Ticket) -> float | None:
    return forecast_wait(
        ticket, state.waiting, state.open_counters(), state.now, state.policy, state.times,
        state.arrivals,
    )  # fmt: skip


def engine_v0(state: DayState, ticket: Ticket) -> float | None:
    counters = state.open_counters(ticket.service)
    views = [c.view for c in counters]
    rivals = competing_services(ticket.service, views)
    order = order_for_hall(
        [t for t in state.waiting if t.service in rivals], state.now, state.policy
    )
    ahead = [t.service for t in order[: [t.id for t in order].index(ticket.id)]]
    loads = [CounterLoad(c.view.number, c.busy_since, c.busy_service) for c in counters]
    return estimate_wait(ahead, loads, state.now, state.plain_times)


def queue_length(state: DayState, ticket: Ticket) -> float | None:
    counters = state.open_counters(ticket.service)
    if not counters:
        return None
    if _idle_counter(state, ticket):
        return 0.0
    ahead = sum(1 for t in state.waiting if t.service == ticket.service and t.id != ticket.id)
    return (ahead + 1) * state.plain_times.mean(ticket.service) / len(counters)


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
    same = [
        t
        for t in others
        if (t.tier_rank, t.green_channel) == (ticket.tier_rank, ticket.green_channel)
    ]
    line = same or others
    return state.now - min(t.queued_at for t in line) if line else 0.0


#: The estimators ``branchq compare`` measures, by the name used in the tables.
ESTIMATORS: dict[str, Callable[[DayState, Ticket], float | None]] = {
    "engine": engine,
    "engine v0": engine_v0,
    "queue length": queue_length,
    "last to enter service": last_to_enter,
    "head of line": head_of_line,
}
