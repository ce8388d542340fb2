"""The hall played forward from now: what the next hour holds, with or without a change.

``HallNow`` is the hall as the engine sees it at one moment (waiting tickets, counters and their
current customers, recent service times and arrival rates): the engine builds it from its live
view, the simulator from its day. ``play`` runs it forward for ``horizon_s`` of arrivals with
the routing policy itself (``choose_next`` over the waiting groups' heads, as the engine calls)
and then lets the counters serve whoever is left, so every customer waiting now or arriving
within the hour gets a wait. A ``Change`` (open a counter, close one, let one take another
service) applies at its time. ``forecast`` repeats the play over a few seeded replications with
the same random customers for every change compared (common random numbers), so differences
between changes are not noise between draws.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from queue_core.domain.estimate import GroupHeads
from queue_core.domain.routing import CounterView, can_call, choose_next
from queue_core.domain.staffing import Change, HallNow, Outlook
from queue_core.domain.tickets import Status, Ticket

#: A counter that went to pause is expected back after this long.
PAUSE_S = 300.0
#: The play ends this long after the last arrival even if some are still waiting.
DRAIN_S = 2 * 3600.0


@dataclass(slots=True)
class _Counter:
    view: CounterView
    open: bool
    free_at: float | None = None  # busy until, when serving
    since: float | None = None


Push = Callable[[float, int, object], None]


@dataclass(slots=True)
class _Draws:
    """One replication's random customers: the arrivals and every visit's length, drawn
    before the play so that each change compared meets the same customers (the same draws
    whatever the order of calls)."""

    arrivals: list[Ticket]
    visit: dict[str, float]
    busy_left: dict[int, float]


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1.0 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


def draw(hall: HallNow, rng: random.Random) -> _Draws:
    """The random part of one replication."""
    until = min(hall.now + 3600.0, hall.closing_at)

    def visit(service: str) -> float:
        if rng.random() > hall.show_rate:
            return hall.grace_s
        return _lognormal(rng, hall.means.get(service, 300.0), hall.cv)

    busy_left = {}
    for c in hall.counters:
        if c.busy_service is not None and c.busy_since is not None:
            mean = hall.means.get(c.busy_service, 300.0)
            left = _lognormal(rng, mean, hall.cv) - (hall.now - c.busy_since)
            # A customer past the usual time: what remains is drawn afresh, shortened.
            busy_left[c.view.number] = left if left > 0 else 0.3 * _lognormal(rng, mean, hall.cv)
    found = []
    for (service, tier, rank, green), rate in sorted(hall.rates.items()):
        if rate <= 0:
            continue
        t, k = hall.now + rng.expovariate(rate), 0
        while t < until:
            found.append(
                Ticket(
                    id=f"+{service}{tier}{int(green)}{k}", number="+", service=service,
                    tier=tier, tier_rank=rank, green_channel=green, status=Status.WAITING,
                    issued_at=t, queued_at=t, business_day="",
                )
            )  # fmt: skip
            t, k = t + rng.expovariate(rate), k + 1
    found.sort(key=lambda t: t.issued_at)
    visits = {t.id: visit(t.service) for t in (*hall.waiting, *found)}
    return _Draws(found, visits, busy_left)


@dataclass(slots=True)
class _Play:
    """One replication: a small event loop over the domain's routing."""

    hall: HallNow
    draws: _Draws
    changes: Sequence[Change]
    waits: list[tuple[Ticket, float]] = field(default_factory=list)
    open_s: float = 0.0
    left: int = 0
    busy_s: dict[int, float] = field(default_factory=dict)

    def run(self) -> None:
        hall = self.hall
        until = min(hall.now + 3600.0, hall.closing_at)
        index = GroupHeads(hall.waiting)
        self.left = len(hall.waiting)
        counters: dict[int, _Counter] = {}
        events: list[tuple[float, int, int, object]] = []
        order = 0

        def push(at: float, kind: int, data: object) -> None:
            nonlocal order
            order += 1
            heapq.heappush(events, (at, kind, order, data))

        for spec in hall.counters:
            number = spec.view.number
            counters[number] = _Counter(spec.view, spec.state == "open")
            if spec.state == "paused":
                push(hall.now + PAUSE_S, 1, Change("open", number, hall.now + PAUSE_S))
            if (left := self.draws.busy_left.get(number)) is not None:
                counters[number].free_at = hall.now + left
                push(hall.now + left, 0, number)
        for change in self.changes:
            push(max(change.at, hall.now), 1, change)
        for t in self.draws.arrivals:
            push(t.issued_at, 2, t)
        for number, c in counters.items():
            if c.open:
                c.since = hall.now
                if c.free_at is None:
                    push(hall.now, 0, number)
        end, at = until + DRAIN_S, hall.now
        while events:
            at, kind, _, data = heapq.heappop(events)
            if at > end:
                break
            if kind == 2:
                assert isinstance(data, Ticket)
                index.add(data)
                self.left += 1
                # An idle counter had nobody to call: now it has this ticket, if it may.
                for c in counters.values():
                    if c.open and c.free_at is None and can_call(c.view, data):
                        self.call(c, index, at, push)
                        break
            elif kind == 1:
                assert isinstance(data, Change)
                self.apply(counters, data, at, index, push)
            else:
                assert isinstance(data, int)
                c = counters[data]
                c.free_at = None
                if c.open:
                    self.call(c, index, at, push)
            if not events or (at >= until and self.left == 0):
                break
        last = min(end, max(at, until))
        for c in counters.values():
            if c.open and c.since is not None:
                self.open_s += max(0.0, until - c.since)
        for group in index.groups.values():
            self.waits.extend((t, last - t.issued_at) for t in group)

    def call(self, c: _Counter, index: GroupHeads, at: float, push: Push) -> None:
        chosen = choose_next(c.view, index.heads(at), at, self.hall.policy)
        if chosen is None:
            return
        index.remove_head(chosen)
        self.left -= 1
        self.waits.append((chosen, at - chosen.issued_at))
        visit = self.draws.visit.get(chosen.id, self.hall.grace_s)
        c.free_at = at + visit
        if at < self.hall.now + 3600.0:
            number = c.view.number
            self.busy_s[number] = self.busy_s.get(number, 0.0) + visit
        push(c.free_at, 0, c.view.number)

    def apply(
        self, counters: dict[int, _Counter], change: Change, at: float, index: GroupHeads,
        push: Push,
    ) -> None:  # fmt: skip
        c = counters.get(change.counter)
        if c is None:
            return
        until = min(self.hall.now + 3600.0, self.hall.closing_at)
        if change.kind == "close":
            if c.open and c.since is not None:
                self.open_s += max(0.0, min(at, until) - c.since)
            c.open, c.since = False, None
            return
        if change.services:
            extra = tuple(s for s in change.services if s not in c.view.services)
            c.view = replace(c.view, services=(*c.view.services, *extra))
        if not c.open:
            c.open, c.since = True, at
        if c.free_at is None:
            self.call(c, index, at, push)


def _outlook(plays: Sequence[_Play], hall: HallNow) -> Outlook:
    waits = [w for p in plays for _, w in p.waits]
    n = len(waits)
    attained: dict[str, float] = {}
    for level in hall.policy.targets:
        mine = [w for p in plays for t, w in p.waits if hall.policy.level_of(t) == level]
        if mine:
            attained[level.name] = sum(1 for w in mine if w <= level.within_s) / len(mine)
    busy: dict[int, float] = {}
    for p in plays:
        for number, seconds in p.busy_s.items():
            busy[number] = busy.get(number, 0.0) + seconds / len(plays)
    by_service: dict[str, list[float]] = {}
    for p in plays:
        for t, w in p.waits:
            by_service.setdefault(t.service, []).append(w)
    per_play = tuple(
        sum(1 for _, w in p.waits if w > hall.over_s) / len(p.waits) if p.waits else 0.0
        for p in plays
    )
    longest = [max((w for _, w in p.waits), default=0.0) for p in plays]
    return Outlook(
        longest_s=sum(longest) / len(longest) if longest else 0.0,
        over_by_play=per_play,
        busy_s=busy,
        over_by_service={
            s: sum(1 for w in found if w > hall.over_s) / len(found)
            for s, found in sorted(by_service.items())
        },
        customers=round(n / max(len(plays), 1)),
        over_share=sum(1 for w in waits if w > hall.over_s) / n if n else 0.0,
        mean_s=sum(waits) / n if n else 0.0,
        attained=attained,
        counter_hours=sum(p.open_s for p in plays) / max(len(plays), 1) / 3600.0,
    )


def forecast(
    hall: HallNow, changes: Sequence[Change] = (), replications: int = 4, seed: int = 0
) -> Outlook:
    """The coming hour's customers if ``changes`` are made, over seeded replications."""
    return compare(hall, [changes], replications, seed)[0]


def draw_all(hall: HallNow, replications: int, seed: int) -> list[_Draws]:
    """The random customers of each replication (the same for every change compared)."""
    return [draw(hall, random.Random(seed * 1000 + k)) for k in range(replications)]


def compare(
    hall: HallNow, options: Sequence[Sequence[Change]], replications: int = 4, seed: int = 0
) -> list[Outlook]:
    """``forecast`` for each set of changes, all on the same random customers."""
    draws = draw_all(hall, replications, seed)
    out = []
    for changes in options:
        plays = []
        for d in draws:
            play = _Play(hall, d, changes)
            play.run()
            plays.append(play)
        out.append(_outlook(plays, hall))
    return out
