"""How long a waiting ticket will wait: people ahead and the counters that will serve them.

The estimate plays the counters forward: each open counter that serves the ticket's service is
free after its current customer's expected remaining time; each ticket ahead takes the next
free counter for the mean recent service time of its own service; the ticket's wait is when
a counter next comes free after all of them. Service times come from the recent history
(``ServiceTimes``), falling back to the branch's configured expectation.

Two refinements, measured in ``docs/wait-estimate.md`` (``branchq compare``):

- A ticket ahead is not always a customer: some walked away or miss the call, and then the
  counter only spends the grace time before skipping. ``ServiceTimes`` learns the share of calls
  that end in a skip and how long a skip takes, and ``expected_visit`` weighs the two. With no
  skip recorded it equals ``mean``, so ``estimate_wait`` is unchanged on a fresh history.
- ``forecast_calls`` plays the counters forward with the real routing rules
  (:mod:`queue_core.domain.routing`): each counter's own services and preference order, the
  care window, tiers and aging, and the customers expected to arrive meanwhile (``Arrivals``),
  who may overtake a waiting ticket under priority. That is what makes an estimate honest for a
  normal customer on a VIP-heavy morning, where "people ahead" alone is too optimistic.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from functools import partial
from itertools import chain

from queue_core.domain.routing import (
    CounterView,
    Order,
    Policy,
    PolicyKind,
    aging_parts,
    arrival_key,
    can_call,
    counter_order,
    group_key,
)
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.waiting import WaitingIndex

#: Beyond this many people ahead the counters are played forward in bulk, not one by one.
_EXACT_LIMIT = 400
#: A customer at the counter is never expected to finish sooner than this share of a mean.
_MIN_REMAINING_SHARE = 0.15
#: How often (in calls) a forecast asks again whether a ticket it waits for is out of reach.
_LET_GO_EVERY = 16


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
    #: Recent calls' outcomes, True when the customer came (a window over all services).
    shows: deque[bool] = field(default_factory=lambda: deque(maxlen=100))
    #: Recent skips' durations (called → skipped): what a no-show costs a counter.
    skips: deque[float] = field(default_factory=lambda: deque(maxlen=50))

    def copy(self) -> ServiceTimes:
        """An independent copy, to read while the original keeps recording."""
        return ServiceTimes(
            self.defaults,
            self.window,
            {service: deque(d, maxlen=d.maxlen) for service, d in self.recent.items()},
            deque(self.shows, maxlen=self.shows.maxlen),
            deque(self.skips, maxlen=self.skips.maxlen),
        )

    def record(self, service: str, seconds: float) -> None:
        """Add one finished service's duration (called → finished)."""
        if seconds <= 0:
            return
        self.recent.setdefault(service, deque(maxlen=self.window)).append(seconds)
        self.shows.append(True)

    def record_skip(self, service: str, seconds: float) -> None:
        """Add one skip (a called customer who did not come) and how long the counter waited."""
        self.shows.append(False)
        if seconds > 0:
            self.skips.append(seconds)

    def show_rate(self) -> float:
        """The share of calls that find their customer, shrunk towards 1 on a short window."""
        prior = 10
        return (sum(self.shows) + prior) / (len(self.shows) + prior)

    def expected_visit(self, service: str) -> float:
        """Expected seconds a counter spends on one ticket ahead: a service or a skip."""
        mean = self.mean(service)
        if not self.skips:
            return mean
        rate = self.show_rate()
        return rate * mean + (1.0 - rate) * (sum(self.skips) / len(self.skips))

    def mean(self, service: str) -> float:
        """The mean of the recent window, shrunk towards the default while the window is short."""
        default = float(self.defaults.get(service, 180.0))
        seen = self.recent.get(service)
        if not seen:
            return default
        # Bayesian-style shrinkage: five pseudo-observations at the configured default.
        prior = 5
        return (sum(seen) + prior * default) / (len(seen) + prior)


class _VisitTimes(dict[str, float]):
    """``expected_visit`` per service, computed once per estimate (it sums whole windows)."""

    def __init__(self, times: ServiceTimes) -> None:
        super().__init__()
        self.times = times

    def __missing__(self, service: str) -> float:
        value = self[service] = self.times.expected_visit(service)
        return value


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
    visit = _VisitTimes(times)
    if len(ahead_list) > _EXACT_LIMIT:
        work = sum(free) + sum(visit[s] for s in ahead_list)
        return work / len(free)
    heapq.heapify(free)
    for service in ahead_list:
        soonest = heapq.heappop(free)
        heapq.heappush(free, soonest + visit[service])
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
    visit = _VisitTimes(times)
    waits: list[float] = []
    for service in ordered:
        soonest = heapq.heappop(free)
        waits.append(soonest)
        heapq.heappush(free, soonest + visit[service])
    return waits


#: A class of arriving customers: (service, tier, tier rank, green channel).
ArrivalClass = tuple[str, str, int, bool]


@dataclass(slots=True)
class Arrivals:
    """Recent issues by customer class, to expect how many more arrive while a ticket waits."""

    window_s: float = 1800.0
    seen: deque[tuple[float, ArrivalClass]] = field(default_factory=deque)
    #: Per class in ``seen``: the places (record numbers) of its arrivals there, oldest first;
    #: what ``rates`` counts and orders by, without going through the window every forecast.
    _places: dict[ArrivalClass, deque[int]] = field(default_factory=dict)
    _recorded: int = 0

    def copy(self) -> Arrivals:
        """An independent copy, to read while the original keeps recording."""
        places = {cls: deque(q) for cls, q in self._places.items()}
        return Arrivals(self.window_s, deque(self.seen), places, self._recorded)

    def record(self, ticket: Ticket) -> None:
        """Note one issued ticket (call in issue order)."""
        cls = (ticket.service, ticket.tier, ticket.tier_rank, ticket.green_channel)
        self.seen.append((ticket.issued_at, cls))
        self._places.setdefault(cls, deque()).append(self._recorded)
        self._recorded += 1

    def rates(self, now: float) -> dict[ArrivalClass, float]:
        """Arrivals per second of each class over the last ``window_s`` seconds, the classes
        in the order of their first arrival in the window."""
        seen, places = self.seen, self._places
        while seen and seen[0][0] < now - self.window_s:
            _, cls = seen.popleft()
            mine = places[cls]
            mine.popleft()
            if not mine:
                del places[cls]
        ordered = sorted(places.items(), key=lambda item: item[1][0])
        return {cls: len(mine) / self.window_s for cls, mine in ordered}

    def expected(self, now: float, horizon_s: float) -> list[Ticket]:
        """Customers expected within ``horizon_s``: each class evenly at its recent rate.

        A class seen once in the window arrives every ``window_s`` seconds, the first half a
        gap from now; these stand-ins only take part in a forecast, never in a queue.
        """
        return list(self.coming(now, horizon_s))

    def coming(self, now: float, horizon_s: float) -> Iterator[Ticket]:
        """``expected``, made one at a time in time order."""
        return heapq.merge(*self.streams(now, horizon_s), key=_issued_at)

    def streams(self, now: float, horizon_s: float) -> list[Iterator[Ticket]]:
        """``expected`` as one stream per class, each made one at a time in time order: a
        forecast makes only the stand-ins that reach the head of their group."""
        return [
            _arrivals_of(cls, now, 1.0 / rate, now + horizon_s)
            for cls, rate in self.rates(now).items()
        ]


def _arrivals_of(cls: ArrivalClass, now: float, gap: float, until: float) -> Iterator[Ticket]:
    at, k = now + gap / 2.0, 0
    service, tier, rank, green = cls
    prefix = _stand_in_prefix(cls)
    while at <= until:
        yield StandIn(f"{prefix}{k}", service, tier, rank, green, at)
        at += gap
        k += 1


def _stand_in_prefix(cls: ArrivalClass) -> str:
    service, tier, _, green = cls
    return f"~{service}{tier}{int(green)}"


def _stand_in(cls: ArrivalClass, at: float, k: int) -> Ticket:
    """The ``k``-th customer of a class expected, at ``at`` (what ``_arrivals_of`` makes)."""
    service, tier, rank, green = cls
    return StandIn(f"{_stand_in_prefix(cls)}{k}", service, tier, rank, green, at)


_set = object.__setattr__


class StandIn(Ticket):
    """An expected customer in a forecast: a waiting ticket of its class issued (and queued)
    at ``at``, numbered ``~``, every other field at its default.

    A forecast makes hundreds of them (most calls of a long play are of customers still to
    come), and a ``Ticket`` sets each of its thirty-odd fields one by one: a stand-in sets
    the seven that differ and reads the rest from the class, the very values a ``Ticket``
    built with those seven would hold (``tests/domain/test_estimate.py`` checks it)."""

    __slots__ = ()

    def __init__(
        self, ident: str, service: str, tier: str, rank: int, green: bool, at: float
    ) -> None:
        _set(self, "id", ident)
        _set(self, "service", service)
        _set(self, "tier", tier)
        _set(self, "tier_rank", rank)
        _set(self, "green_channel", green)
        _set(self, "issued_at", at)
        _set(self, "queued_at", at)


def _defaults() -> dict[str, object]:
    """The fields a stand-in does not set, as ``Ticket`` defaults them (``status``,
    ``number``, ``business_day``: what every stand-in holds)."""
    out: dict[str, object] = {"number": "~", "status": Status.WAITING, "business_day": ""}
    for f in fields(Ticket):
        if f.name not in out and f.default is not MISSING:
            out[f.name] = f.default
    return out


for _name, _value in _defaults().items():
    setattr(StandIn, _name, _value)


@dataclass(frozen=True, slots=True)
class OpenCounter:
    """An open counter as a forecast sees it: its routing view and its current customer."""

    view: CounterView
    busy_since: float | None = None
    busy_service: str | None = None

    def load(self) -> CounterLoad:
        return CounterLoad(self.view.number, self.busy_since, self.busy_service)


def _issued_at(ticket: Ticket) -> float:
    return ticket.issued_at


def _fifo(ticket: Ticket) -> tuple[float, float, str, str]:
    return (ticket.queued_at, ticket.issued_at, ticket.number, ticket.id)


class _Peekable:
    """An iterator whose next item can be looked at before it is taken."""

    def __init__(self, items: Iterator[Ticket]) -> None:
        self._items = items
        self._next: Ticket | None = next(items, None)

    def __bool__(self) -> bool:
        return self._next is not None

    def first(self) -> Ticket:
        assert self._next is not None
        return self._next

    def pop(self) -> Ticket:
        item = self.first()
        self._next = next(self._items, None)
        return item


class GroupHeads:
    """Waiting tickets by routing group; within a group the order is first come, first served,
    so only each group's head can be called next (routing's rule 3).

    Expected arrivals join their group behind everyone already waiting, so a group's stand-ins
    stay a lazy stream (``expect``): one is made only when it comes to the head of its group.
    A busy day expects thousands of arrivals within a long wait, and almost all of them are
    still behind when the ticket forecast is called.
    """

    def __init__(self, tickets: Iterable[Ticket]) -> None:
        self.groups: dict[object, deque[Ticket]] = {}
        self.tails: dict[object, _Peekable] = {}
        for ticket in sorted(tickets, key=_fifo):
            self.add(ticket)

    @classmethod
    def of(cls, grouped: WaitingIndex, others: Iterable[Ticket] = ()) -> GroupHeads:
        """``GroupHeads([*grouped, *others])`` from the index's groups, which are already in
        first come, first served order: no sort of the whole hall per forecast."""
        heads = cls(())
        groups = heads.groups
        for key, tickets in grouped.groups.items():
            groups[(key, None)] = deque(tickets)
        for ticket in grouped.fronted.values():
            groups[heads.key(ticket)] = deque([ticket])
        for ticket in sorted(others, key=_fifo):
            group = groups.setdefault(heads.key(ticket), deque())
            at = next((i for i, t in enumerate(group) if _fifo(t) > _fifo(ticket)), len(group))
            group.insert(at, ticket)
        return heads

    @staticmethod
    def key(ticket: Ticket) -> object:
        """The ticket's group here: its routing group, or a group of its own at the front
        (a ticket at the front is ordered by its own rule)."""
        return (group_key(ticket), ticket.id if ticket.front_at is not None else None)

    def add(self, ticket: Ticket) -> None:
        self.groups.setdefault(self.key(ticket), deque()).append(ticket)

    def expect(self, streams: Iterable[Iterator[Ticket]]) -> None:
        """Customers expected to arrive, one time-ordered stream per class (``Arrivals``)."""
        by_group: dict[object, list[Iterator[Ticket]]] = {}
        for stream in streams:
            first = next(stream, None)
            if first is not None:
                by_group.setdefault(self.key(first), []).append(chain([first], stream))
        for key, parts in by_group.items():
            merged = parts[0] if len(parts) == 1 else heapq.merge(*parts, key=_issued_at)
            self.tails[key] = _Peekable(merged)
            self.groups.setdefault(key, deque())

    def heads(self, at: float, keys: Iterable[object] | None = None) -> list[Ticket]:
        """The head of each group (of ``keys``, else of all) as of ``at``, expected arrivals
        by then included."""
        return [t for _, t in self.keyed_heads(at, self.groups if keys is None else keys)]

    def keyed_heads(self, at: float, keys: Iterable[object]) -> list[tuple[object, Ticket]]:
        """``heads`` of ``keys``, each with its group's key."""
        out = []
        groups, tails = self.groups, self.tails
        for key in keys:
            group = groups[key]
            if group:
                out.append((key, group[0]))
            elif (tail := tails.get(key)) and tail.first().issued_at <= at:
                out.append((key, tail.first()))
        return out

    def first_head(
        self, at: float, keys: Iterable[object], order: Order
    ) -> tuple[object, Ticket] | None:
        """The head of ``keys``' groups as of ``at`` that ``order`` puts first, with its
        group's key (``min`` of ``keyed_heads`` by ``order``, without building the list)."""
        groups, tails = self.groups, self.tails
        best: tuple[object, Ticket] | None = None
        best_key: tuple[object, ...] = ()
        for key in keys:
            group = groups[key]
            if group:
                ticket = group[0]
            elif (tail := tails.get(key)) and tail.first().issued_at <= at:
                ticket = tail.first()
            else:
                continue
            rank = order(ticket, at)
            if best is None or rank < best_key:
                best, best_key = (key, ticket), rank
        return best

    def aging_entries(
        self, policy: Policy, counter: CounterView, keys: Iterable[object]
    ) -> list[tuple[object, tuple[int, float], float]]:
        """Per group of ``keys``: (its key, front rank, head start) under the aging policy at
        ``counter`` (``routing.aging_parts``: the same for every ticket of a group)."""
        out = []
        for key in keys:
            group = self.groups[key]
            first = group[0] if group else self.tails[key].first()
            out.append((key, *aging_parts(policy, counter, first)))
        return out

    def first_aging(
        self, at: float, entries: Iterable[tuple[object, tuple[int, float], float]], rate: float
    ) -> tuple[object, Ticket] | None:
        """``first_head`` under the aging policy, from the groups' ``aging_entries``: each
        head's key is built as ``routing.counter_order``'s (the same floats), the arrival
        compared only between equal claims."""
        groups, tails = self.groups, self.tails
        best: tuple[object, Ticket] | None = None
        best_rank: tuple[tuple[int, float], float] = ((0, 0.0), 0.0)
        for key, front, head_start in entries:
            group = groups[key]
            if group:
                ticket = group[0]
            elif (tail := tails.get(key)) and tail.first().issued_at <= at:
                ticket = tail.first()
            else:
                continue
            rank = (front, -(head_start + rate * max(0.0, at - ticket.queued_at) / 60.0))
            if (
                best is None
                or rank < best_rank
                or (rank == best_rank and arrival_key(ticket) < arrival_key(best[1]))
            ):
                best, best_rank = (key, ticket), rank
        return best

    def callable_by(self, counter: CounterView) -> list[object]:
        """The groups ``counter`` may call (a group's tickets share service and target)."""
        out = []
        for key, group in self.groups.items():
            first = group[0] if group else self.tails[key].first()
            if can_call(counter, first):
                out.append(key)
        return out

    def next_arrival(self, at: float) -> float | None:
        """When the next expected customer after ``at`` arrives."""
        later = [t.first().issued_at for t in self.tails.values() if t and t.first().issued_at > at]
        return min(later, default=None)

    def remove_head(self, ticket: Ticket, key: object | None = None) -> None:
        """Take a group's head away (it was called); ``key``: its group's, when known."""
        key = self.key(ticket) if key is None else key
        group = self.groups[key]
        if group and group[0] is ticket:
            group.popleft()
            return
        tail = self.tails[key]
        assert tail.first() is ticket
        tail.pop()


class _Play:
    """The calls the open ``counters`` are expected to make, in order (``calls``).

    A counter comes free after its current customer's expected remaining time, calls whom the
    routing ``policy`` gives it, and is busy for that ticket's expected visit
    (``ServiceTimes.expected_visit``). Customers expected to arrive (``arrivals``) join the
    queue at their time and may be called first. The play ends at ``horizon_s``.
    """

    def __init__(
        self,
        waiting: Sequence[Ticket],
        counters: Sequence[OpenCounter],
        now: float,
        policy: Policy,
        times: ServiceTimes,
        arrivals: Arrivals | None,
        horizon_s: float,
        grouped: WaitingIndex | None = None,
    ) -> None:
        if grouped is None:
            heads = GroupHeads(t for t in waiting if t.status is Status.WAITING)
        else:
            others = (t for t in waiting if t.status is Status.WAITING and t.id not in grouped)
            heads = GroupHeads.of(grouped, others)
        self.heads = heads
        if arrivals is not None:
            heads.expect(arrivals.streams(now, horizon_s))
        self.end = now + horizon_s
        #: When each counter next chooses (each counter is in it once, between calls too).
        self.free = [(now + remaining(c.load(), now, times), c.view.number) for c in counters]
        heapq.heapify(self.free)
        self.views = views = {c.view.number: c.view for c in counters}
        # What each counter may call never changes during the play: found once, not per call.
        self.groups = {n: heads.callable_by(view) for n, view in views.items()}
        self.visit = _VisitTimes(times)
        self.policy = policy

    def _choosers(self) -> dict[int, Callable[[float], tuple[object, Ticket] | None]]:
        """Per counter: its routing choice among the group heads at a moment."""
        heads, policy = self.heads, self.policy
        out: dict[int, Callable[[float], tuple[object, Ticket] | None]] = {}
        for n, view in self.views.items():
            if policy.kind is PolicyKind.AGING:
                # The time-free parts of each group's key, once per group (not per ticket).
                entries = heads.aging_entries(policy, view, self.groups[n])
                out[n] = partial(heads.first_aging, entries=entries, rate=policy.aging_rate)
            else:
                out[n] = partial(
                    heads.first_head, keys=self.groups[n], order=counter_order(policy, view)
                )
        return out

    def calls(self) -> Iterator[tuple[float, Ticket, CounterView]]:
        """The calls in order: (when, whom, where)."""
        heads, free, views, visit, end = self.heads, self.free, self.views, self.visit, self.end
        groups, tails = heads.groups, heads.tails
        choose = self._choosers()
        while free:
            at, number = heapq.heappop(free)
            if at > end:
                return
            # choose_next over the heads this counter may call (all waiting, all callable)
            first = choose[number](at)
            if first is None:
                if (later := heads.next_arrival(at)) is not None:
                    heapq.heappush(free, (later, number))
                continue
            key, chosen = first
            # (``heads.remove_head``, the group known)
            group = groups[key]
            if group and group[0] is chosen:
                group.popleft()
            else:
                tails[key].pop()
            # (pushed before the call is told, so that between calls ``free`` is whole)
            heapq.heappush(free, (at + visit[chosen.service], number))
            yield at, chosen, views[number]

    def out_of_reach(self, ticket: Ticket) -> Callable[[], bool]:
        """A test of whether the play surely ends before it calls ``ticket`` (waiting in it
        now), true from then on: asked between calls, as often as wanted.

        Its group is first come, first served: the tickets before it in its group are called
        first, each by a counter that may call the group and keeps that counter for the
        group's visit; with ``k`` such counters one of them makes at least ``p // k + 1`` of
        those ``p + 1`` calls, so none comes before the soonest of them is free plus
        ``p // k`` visits. Past the horizon (by a second, far more than any rounding), the
        play would never call it."""
        key = GroupHeads.key(ticket)
        group = self.heads.groups.get(key)
        if not group or all(t is not ticket for t in group):
            return lambda: False
        # Nobody behind it in its group is called before it: how many there are stays put.
        behind = len(group) - 1 - next(i for i, t in enumerate(group) if t is ticket)
        serving = {n for n, keys in self.groups.items() if key in keys}
        visit, end, free = self.visit[ticket.service], self.end + 1.0, self.free

        def beyond() -> bool:
            soonest = [at for at, n in free if n in serving]
            if not soonest:
                return True
            ahead = len(group) - 1 - behind
            return min(soonest) + (ahead // len(soonest)) * visit > end

        return beyond


def forecast_calls(
    waiting: Sequence[Ticket],
    counters: Sequence[OpenCounter],
    now: float,
    policy: Policy,
    times: ServiceTimes,
    *,
    arrivals: Arrivals | None = None,
    targets: Collection[str] | None = None,
    horizon_s: float = 4 * 3600.0,
) -> dict[str, float]:
    """Seconds from ``now`` until each waiting ticket is called, by ticket id.

    The open ``counters`` are played forward with the routing rules (``_play``). Tickets no
    open counter can call, or not called within ``horizon_s``, are left out. With ``targets``
    the play stops once those tickets are called.
    """
    found = forecast_positions(
        waiting, counters, now, policy, times,
        arrivals=arrivals, targets=targets, horizon_s=horizon_s,
    )  # fmt: skip
    return {ident: f.wait_s for ident, f in found.items()}


@dataclass(frozen=True, slots=True)
class Forecast:
    """A waiting ticket in the play: seconds until it is called, and its people ahead."""

    wait_s: float
    #: Tickets waiting now that the play calls before it (strictly earlier) at a counter that
    #: could call it: those who take a counter this ticket could have had. Customers still to
    #: come who would overtake count in ``wait_s`` only (they are not in the hall yet); a
    #: ticket served by counters this one never uses is not ahead of it, however early it is
    #: called; nor is one called at the same moment at another counter.
    ahead: int


def forecast_positions(
    waiting: Sequence[Ticket],
    counters: Sequence[OpenCounter],
    now: float,
    policy: Policy,
    times: ServiceTimes,
    *,
    arrivals: Arrivals | None = None,
    targets: Collection[str] | None = None,
    horizon_s: float = 4 * 3600.0,
    grouped: WaitingIndex | None = None,
) -> dict[str, Forecast]:
    """Each waiting ticket's ``Forecast`` (by id) from one play of the counters: its wait and
    its people ahead come from the same calls, so the two always agree. See ``forecast_calls``.

    ``grouped``: the index that holds every waiting ticket of ``waiting`` but a few (the hall's
    own, which keeps them grouped in order), so that the play need not sort them again.
    """
    present = {t.id for t in waiting if t.status is Status.WAITING}
    wanted = set(targets) if targets is not None else set(present)
    wanted &= present
    # The calls of tickets waiting now, in time order: what "ahead" counts at a target's call.
    calls: list[tuple[float, CounterView]] = []
    found: dict[str, Forecast] = {}
    if not wanted:
        return found
    play = _Play(waiting, counters, now, policy, times, arrivals, horizon_s, grouped)
    # A target the play would never reach is let go as soon as that is sure, so that the play
    # stops with the last one it does call, not at the horizon (the answer is the same).
    chasing = {t.id: play.out_of_reach(t) for t in waiting if t.id in wanted}

    def let_go() -> None:
        for ident in [i for i, beyond in chasing.items() if beyond()]:
            del chasing[ident]
            wanted.discard(ident)

    let_go()
    for n, (at, chosen, view) in enumerate(play.calls(), 1):
        if chosen.id in wanted:
            ahead = sum(1 for when, v in calls if when < at and can_call(v, chosen))
            found[chosen.id] = Forecast(at - now, ahead)
            wanted.discard(chosen.id)
            del chasing[chosen.id]
        elif n % _LET_GO_EVERY == 0:
            let_go()
        if not wanted:
            break
        if chosen.id in present:
            calls.append((at, view))
    return found


def forecast_wait(
    ticket: Ticket,
    waiting: Sequence[Ticket],
    counters: Sequence[OpenCounter],
    now: float,
    policy: Policy,
    times: ServiceTimes,
    arrivals: Arrivals | None = None,
) -> float | None:
    """Seconds until ``ticket`` (one of ``waiting``, or a new one) is called; None if no open
    counter can call it. See :func:`forecast_calls`."""
    pool = list(waiting) if any(t.id == ticket.id for t in waiting) else [*waiting, ticket]
    found = forecast_calls(
        pool, counters, now, policy, times, arrivals=arrivals, targets=[ticket.id]
    )
    return found.get(ticket.id)


#: Up to this many people ahead the counters are played forward one by one from counts.
_COUNTS_EXACT_LIMIT = 100


def estimate_from_counts(
    ahead: Mapping[str, int],
    counters: Iterable[CounterLoad],
    now: float,
    times: ServiceTimes,
) -> float | None:
    """``estimate_wait`` from the number of tickets ahead per service (their order unknown).

    With many ahead the counters' queue is treated as a flow: the work ahead shared by the open
    counters, which differs from playing them forward one by one by less than one service time
    divided by the number of counters. This keeps the per-event summary cheap on a crowded day.
    """
    total = sum(ahead.values())
    if total <= _COUNTS_EXACT_LIMIT:
        return estimate_wait(
            [s for s, n in sorted(ahead.items()) for _ in range(n)], counters, now, times
        )
    free = [remaining(c, now, times) for c in counters]
    if not free:
        return None
    visit = _VisitTimes(times)
    work = sum(free) + sum(n * visit[s] for s, n in ahead.items())
    return work / len(free)
