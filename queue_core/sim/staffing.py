"""The staffing advice followed on simulated days, against the branch's static plan.

``AdviceFollower`` looks at the simulated hall every ``every_s`` as the engine would (its live
view only: waiting tickets, counters, recent service times, today's arrivals so far), asks
``advice.advise`` and makes the first advised change ``reaction_s`` later, as a lobby manager
who reads the console and fetches a teller. Its arrival forecast is the day type's profile (the
scenario's hourly rates, what the branch knows of pension days) scaled by how today's arrivals
so far compare with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from queue_core.domain.estimate import ArrivalClass
from queue_core.domain.staffing import Advice, Change, CounterNow, HallNow, StaffingRules
from queue_core.sim.advice import advise
from queue_core.sim.model import CounterChange, Day, DayResult
from queue_core.sim.scenario import Scenario
from queue_core.sim.selectors import Selector


def class_shares(scenario: Scenario, service: str) -> dict[ArrivalClass, float]:
    """The share of each customer class among a service's arrivals."""
    spec = scenario.service(service)
    green = spec.green_share if spec.green_share is not None else scenario.green_share
    out: dict[ArrivalClass, float] = {}
    for tier, share in spec.tiers or scenario.tiers:
        rank = scenario.tier_ranks.get(tier, 0)
        out[(service, tier, rank, True)] = share * green
        out[(service, tier, rank, False)] = share * (1.0 - green)
    return out


def profile_rates(scenario: Scenario, start_s: float, end_s: float) -> dict[str, float]:
    """Each service's mean arrivals per second between two offsets from opening."""
    out = {}
    for spec in scenario.services:
        total = 0.0
        for hour, rate in enumerate(spec.arrivals):
            lo, hi = max(start_s, 3600.0 * hour), min(end_s, 3600.0 * (hour + 1))
            if hi > lo:
                total += rate * (hi - lo) / 3600.0
        out[spec.code] = total / max(end_s - start_s, 1.0)
    return out


def expected_rates(day: Day, now: float) -> dict[ArrivalClass, float]:
    """The coming hour's arrivals per class: the profile, scaled by today's level so far."""
    return profile_forecast(day.scenario, now - day.t0, len(day.outcomes))


def profile_forecast(scenario: Scenario, offset_s: float, seen: int) -> dict[ArrivalClass, float]:
    """The coming hour's arrivals per class, ``offset_s`` after opening with ``seen`` customers
    so far: the day type's hourly profile, scaled by how today compares with it (between half
    and twice the profile, shrunk towards it early in the day)."""
    expected = sum(profile_rates(scenario, 0.0, offset_s).values()) * offset_s
    level = min(2.0, max(0.5, (seen + 5.0) / (expected + 5.0)))
    out: dict[ArrivalClass, float] = {}
    # The coming hour's rate is the profile's over what is left of it before the doors close
    # (the look-ahead draws arrivals only until then).
    until = max(min(offset_s + 3600.0, scenario.day_s), offset_s + 1.0)
    for service, rate in profile_rates(scenario, offset_s, until).items():
        for cls, share in class_shares(scenario, service).items():
            out[cls] = rate * share * level
    return out


def hall_now(day: Day, now: float, rules: StaffingRules) -> HallNow:
    """The simulated hall as the engine would see it at ``now``."""
    state = day.state
    counters = []
    specs = {c.number: c for c in day.scenario.counters}
    for number, c in sorted(state.counters.items()):
        busy = state.tickets[c.current] if c.current else None
        counters.append(
            CounterNow(
                view=c.view,
                state="open" if c.open and not c.closing else "closed",
                busy_service=busy.service if busy else None,
                busy_since=c.busy_since if busy else None,
                opened_at=c.opened_at,
                closed_at=c.closed_at,
                may_take=(*specs[number].services, *specs[number].may_take),
            )
        )
    grace = sum(state.times.skips) / len(state.times.skips) if state.times.skips else 45.0
    return HallNow(
        now=now,
        closing_at=day.t0 + day.scenario.day_s,
        waiting=tuple(state.index),
        counters=tuple(counters),
        means={s.code: state.times.mean(s.code) for s in day.scenario.services},
        rates=expected_rates(day, now),
        policy=state.policy,
        show_rate=state.times.show_rate(),
        grace_s=grace,
        over_s=rules.over_s,
    )


@dataclass
class AdviceFollower:
    """Asks for advice every ``every_s`` and makes the first change advised, after the
    reaction time; remembers each advice given."""

    rules: StaffingRules
    every_s: float = 600.0
    given: list[tuple[float, Advice]] = field(default_factory=list)
    pending: list[Change] = field(default_factory=list)
    alerts: int = 0

    def tick(self, day: Day, now: float) -> Sequence[tuple[float, CounterChange]]:
        self.pending = [c for c in self.pending if c.at > now]
        hall = hall_now(day, now, self.rules)
        forecast = advise(hall, self.rules, self.pending, seed=day.seed * 1000 + int(now) % 997)
        self.alerts += forecast.alert
        if not forecast.advice:
            return []
        first = forecast.advice[0]
        self.given.append((now, first))
        self.pending.append(first.change)
        change = first.change
        return [(change.at, CounterChange(change.kind, change.counter, change.services))]


#: How often the simulated lobby manager looks at the advice (the engine computes it every
#: minute; a change cannot be made faster than the reaction time anyway).
EVERY_S = 600.0


def advised_day(
    scenario: Scenario,
    selector: Selector,
    seed: int,
    rules: StaffingRules,
    every_s: float = EVERY_S,
) -> tuple[DayResult, AdviceFollower]:
    """One day of ``scenario`` with the staffing advice followed."""
    follower = AdviceFollower(rules, every_s)
    day = Day(scenario, selector, seed, ticker=follower)
    return day.run(), follower
