"""The staffing advice: the look-ahead plays the hall forward with the engine's routing, and the
advice opens, widens or closes counters with the figure that says why."""

from __future__ import annotations

from dataclasses import replace

from queue_core.domain.routing import CounterView, Policy
from queue_core.domain.staffing import Change, CounterNow, HallNow, StaffingRules
from queue_core.domain.tickets import Status, Ticket
from queue_core.sim.advice import advise
from queue_core.sim.lookahead import compare, forecast
from queue_core.sim.metrics import day_figures
from queue_core.sim.model import simulate_day
from queue_core.sim.runs import scenario_variant
from queue_core.sim.selectors import branch_policy, by_name
from queue_core.sim.staffing import advised_day

NOW = 1_800_000_000.0
RULES = StaffingRules(max_over_share=0.15, reaction_s=300.0)


def waiting(n: int, service: str = "A", spacing: float = 20.0) -> tuple[Ticket, ...]:
    return tuple(
        Ticket(
            id=f"{service}{k}", number=f"{service}{k:03d}", service=service, tier="normal",
            tier_rank=0, green_channel=False, status=Status.WAITING,
            issued_at=NOW - spacing * (n - k), queued_at=NOW - spacing * (n - k),
            business_day="2026-03-13",
        )
        for k in range(n)
    )  # fmt: skip


def counter(
    number: int, services: tuple[str, ...], state: str = "open", **more: object
) -> CounterNow:
    base = CounterNow(CounterView(number, services), state, opened_at=NOW - 7200)
    return replace(base, **more)  # type: ignore[arg-type]


def hall(counters: tuple[CounterNow, ...], queue: tuple[Ticket, ...], per_hour: float) -> HallNow:
    return HallNow(
        now=NOW,
        closing_at=NOW + 5 * 3600,
        waiting=queue,
        counters=counters,
        means={"A": 180.0, "B": 300.0},
        rates={("A", "normal", 0, False): per_hour / 3600.0},
        policy=Policy(),
    )


def test_the_same_seed_plays_the_same_hour_and_another_counter_shortens_it() -> None:
    busy = hall((counter(1, ("A",)), counter(2, ("A",)), counter(3, ("A",), "closed")),
                waiting(20), per_hour=50)  # fmt: skip
    assert forecast(busy, seed=3) == forecast(busy, seed=3)
    as_is, opened = compare(busy, [[], [Change("open", 3, NOW + 300)]], replications=8, seed=3)
    assert opened.over_share < as_is.over_share and opened.mean_s < as_is.mean_s
    assert opened.counter_hours > as_is.counter_hours
    assert as_is.customers >= 20 + 40


def test_an_overloaded_hall_raises_an_alert_and_the_advice_opens_a_counter() -> None:
    busy = hall((counter(1, ("A",)), counter(2, ("A",)), counter(3, ("A", "B"), "closed")),
                waiting(20), per_hour=50)  # fmt: skip
    found = advise(busy, RULES)
    assert found.alert and found.outlook.over_share > RULES.max_over_share
    (advice,) = found.advice
    assert advice.change == Change("open", 3, NOW + RULES.reaction_s)
    assert advice.after.over_share <= advice.before.over_share - RULES.min_gain
    assert advice.describe().startswith("open counter 3: waits over 3 min in the next hour")
    # Once advised (pending), it is not advised again: the next best builds on it.
    again = advise(busy, RULES, pending=[advice.change])
    assert all(a.change.counter != 3 for a in again.advice)


def test_a_counter_that_may_take_the_waiting_service_is_asked_to() -> None:
    busy = hall((counter(1, ("A",)), counter(4, ("B",), may_take=("B", "A"))),
                waiting(20), per_hour=40)  # fmt: skip
    (advice,) = advise(busy, RULES).advice
    assert advice.change == Change("take", 4, NOW + RULES.reaction_s, ("A",))
    assert "counter 4 can also take A" in advice.describe()
    # A counter whose teller cannot take A is never asked to.
    stuck = replace(busy, counters=(counter(1, ("A",)), counter(4, ("B",))))
    assert advise(stuck, RULES).advice == ()


def test_a_quiet_hall_lets_the_least_busy_counter_close_but_never_the_last_for_a_service() -> None:
    quiet = hall((counter(1, ("A",)), counter(2, ("A",)), counter(3, ("A",)), counter(5, ("B",))),
                 waiting(1), per_hour=8)  # fmt: skip
    found = advise(quiet, RULES)
    assert not found.alert
    (advice,) = found.advice
    assert advice.change.kind == "close" and advice.change.counter in (1, 2, 3)
    assert advice.after.over_high <= RULES.max_over_share
    # A counter opened only minutes ago is given its hour before anything closes.
    fresh = replace(quiet, counters=(*quiet.counters[:3], counter(5, ("B",), opened_at=NOW - 60)))
    assert advise(fresh, RULES).advice == ()


def test_following_the_advice_rescues_a_pension_day_staffed_like_a_weekday() -> None:
    unplanned = scenario_variant("pension_day@weekday")
    policy = branch_policy()
    static = day_figures(simulate_day(unplanned, by_name("aging:1"), 1), policy)
    day, follower = advised_day(unplanned, by_name("aging:1"), 1, RULES)
    advised = day_figures(day, policy)
    assert follower.given and follower.alerts
    first_at, first = follower.given[0]
    assert first.change.kind == "open" and first_at == day.open_at  # the morning rush, at once
    assert advised.by_class["all"].over_share < static.by_class["all"].over_share / 2
    assert advised.counter_hours > static.counter_hours  # it costs counter-hours, and says so


def test_no_counter_is_advised_to_close_if_without_it_the_hour_passes_the_bound() -> None:
    """The quiet hall could spare a counter by its share over 3 minutes alone; a branch whose
    bound on the mean or the longest wait the hour without it would pass hears nothing."""
    quiet = hall((counter(1, ("A",)), counter(2, ("A",)), counter(3, ("A",)), counter(5, ("B",))),
                 waiting(1), per_hour=8)  # fmt: skip
    found = advise(quiet, RULES)
    (advice,) = found.advice
    assert advice.change.kind == "close"
    before, after = found.outlook, advice.after
    assert after.longest_s > before.longest_s and after.mean_s > before.mean_s
    for bound in (
        {"max_longest_s": (before.longest_s + after.longest_s) / 2},
        {"max_mean_s": (before.mean_s + after.mean_s) / 2},
    ):
        assert advise(quiet, replace(RULES, **bound)).advice == ()  # type: ignore[arg-type]
