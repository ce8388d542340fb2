"""The plan for the day: hour by hour, as few counters as keep the hall within the target."""

from __future__ import annotations

from dataclasses import replace

from queue_core.domain.staffing import StaffingRules
from queue_core.sim.plan import plan_day
from queue_core.sim.scenario import Scenario, load
from queue_core.sim.selectors import by_name


def morning(name: str, hours: int) -> Scenario:
    """The first ``hours`` of a scenario's day (the doors close after them)."""
    scenario = load(name)
    services = tuple(replace(s, arrivals=s.arrivals[:hours]) for s in scenario.services)
    return replace(scenario, services=services, closing=f"{9 + hours:02d}:00")


def test_the_pension_morning_is_planned_with_more_counters_than_a_weekday_morning() -> None:
    rules = StaffingRules(max_over_share=0.15)
    pension = plan_day(morning("pension_day", 2), by_name("aging:1"), rules)
    weekday = plan_day(morning("weekday", 2), by_name("aging:1"), rules)
    assert len(pension.hours) == len(weekday.hours) == 2
    assert pension.counter_hours > weekday.counter_hours
    for plan, scenario in ((pension, morning("pension_day", 2)), (weekday, morning("weekday", 2))):
        for hour in plan.hours:
            assert 8 in hour.counters  # the care window stays open
            served = {s for c in scenario.counters if c.number in hour.counters for s in c.services}
            assert served >= {s.code for s in scenario.services}
            assert hour.over_share <= rules.max_over_share or len(hour.counters) == 10
    # The plan is a staffing the simulator can run.
    staffed = pension.staffing(morning("pension_day", 2))
    assert {c.number for c in staffed if c.open} == set(pension.hours[0].counters) | set(
        pension.hours[1].counters
    )
