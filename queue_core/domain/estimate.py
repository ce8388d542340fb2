"""How long a waiting ticket will wait: people ahead and the counters that will serve them.

The estimate plays the counters forward: each open counter that serves the ticket's service is
free after its current customer's expected remaining time; each ticket ahead takes the next
free counter for the mean recent service time of its own service; the ticket's wait is when
a counter next comes free after all of them. Service times come from the recent history
(``ServiceTimes``), falling back to the branch's configured expectation.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

#: Beyond this many people ahead the counters are played forward in bulk, not one by one.
_EXACT_LIMIT = 400
#: A customer at the counter is never expected to finish sooner than this share of a mean.
_MIN_REMAINING_SHARE = 0.15


@dataclass(frozen=True, slots=True)
class CounterLoad:
    """An open counter that can serve the ticket: when its current customer started (or None)."""

    number: int
    busy_since: float | None
    busy_service: str | None = None


@dataclass(slots=True)
class ServiceTimes:
    """Recent service durations per service (a moving window), with configured defaults."""

    defaults: Mapping[str, float]
    window: int = 30
    recent: dict[str, deque[float]] = field(default_factory=dict)

    def record(self, service: str, seconds: float) -> None:
        """Add one finished service's duration (called → finished)."""
        if seconds <= 0:
            return
        self.recent.setdefault(service, deque(maxlen=self.window)).append(seconds)

    def mean(self, service: str) -> float:
        """The mean of the recent window, shrunk towards the default while the window is short."""
        default = float(self.defaults.get(service, 180.0))
        seen = self.recent.get(service)
        if not seen:
            return default
        # Bayesian-style shrinkage: five pseudo-observations at the configured default.
        prior = 5
        return (sum(seen) + prior * default) / (len(seen) + prior)


def remaining(load: CounterLoad, now: float, times: ServiceTimes) -> float:
    """Expected seconds until this counter is free."""
    if load.busy_since is None or load.busy_service is None:
        return 0.0
    mean = times.mean(load.busy_service)
    return max(mean - (now - load.busy_since), _MIN_REMAINING_SHARE * mean)


def estimate_wait(
    ahead: Iterable[str],
    counters: Iterable[CounterLoad],
    now: float,
    times: ServiceTimes,
) -> float | None:
    """Seconds until the ticket is called, given the services of the tickets ahead of it.

    ``ahead`` lists one service code per ticket that will be called before it by the same
    counters; ``counters`` are the open counters that serve it. None when no counter is open
    for it (the wait cannot be estimated: the service is closed).
    """
    free = sorted(remaining(c, now, times) for c in counters)
    if not free:
        return None
    ahead_list = list(ahead)
    if len(ahead_list) > _EXACT_LIMIT:
        work = sum(free) + sum(times.mean(s) for s in ahead_list)
        return work / len(free)
    heapq.heapify(free)
    for service in ahead_list:
        soonest = heapq.heappop(free)
        heapq.heappush(free, soonest + times.mean(service))
    return free[0]


def estimate_all(
    ordered: Iterable[str],
    counters: Iterable[CounterLoad],
    now: float,
    times: ServiceTimes,
) -> list[float] | None:
    """The estimated wait of every ticket of a queue at once, in one pass.

    ``ordered`` lists the service of each waiting ticket in call order; the result gives, for
    each position, the seconds until that ticket is called (the same as ``estimate_wait`` with
    everything before it as ``ahead``). None when no counter is open for the queue.
    """
    free = sorted(remaining(c, now, times) for c in counters)
    if not free:
        return None
    heapq.heapify(free)
    waits: list[float] = []
    for service in ordered:
        soonest = heapq.heappop(free)
        waits.append(soonest)
        heapq.heappush(free, soonest + times.mean(service))
    return waits
