"""The plan for the day: hour by hour, as few counters as keep the hall within the target."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from queue_core.domain.staffing import StaffingRules
from queue_core.sim.model import CHECK_IN_SPREAD_S, customers
from queue_core.sim.plan import plan_day
from queue_core.sim.scenario import AppointmentSpec, Scenario, load, missing_sources, parse
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


def test_booked_appointments_in_a_window_get_that_hour_more_counters() -> None:
    """Forty large-cash appointments booked between 10:00 and 11:00 on an ordinary morning:
    the plan staffs that hour with more counters than the same morning without them."""
    rules = StaffingRules(max_over_share=0.15)
    plain_day = morning("weekday", 2)
    booked_day = replace(
        plain_day,
        appointments=(
            AppointmentSpec("A", 3600.0, 5400.0, 20),
            AppointmentSpec("A", 5400.0, 7200.0, 20),
        ),
    )
    plain = plan_day(plain_day, by_name("aging:1"), rules)
    booked = plan_day(booked_day, by_name("aging:1"), rules)
    assert len(booked.hours[1].counters) > len(plain.hours[1].counters)
    assert booked.counter_hours > plain.counter_hours


def test_the_plan_does_not_buy_its_share_with_long_waits() -> None:
    """A lax target alone staffs few counters and lets the mean wait run to minutes; with the
    bound on the hour's mean wait every hour keeps to it (or has every counter)."""
    lax = StaffingRules(max_over_share=0.5, max_mean_s=1e9, max_longest_s=1e9)
    bounded = replace(lax, max_mean_s=30.0)
    day = morning("weekday", 2)
    loose = plan_day(day, by_name("aging:1"), lax)
    kept = plan_day(day, by_name("aging:1"), bounded)
    assert max(h.mean_s for h in loose.hours) > 60.0
    assert kept.counter_hours > loose.counter_hours
    for hour in kept.hours:
        assert hour.mean_s <= 30.0 or len(hour.counters) == len(day.counters)


def test_a_scenarios_appointments_come_on_top_of_its_walk_ins_with_their_head_start() -> None:
    day = load("weekday")
    booked = replace(day, appointments=(AppointmentSpec("A", 3600.0, 5400.0, 12, "gold"),))
    walk_ins = customers(day, random.Random(5))
    everyone = customers(booked, random.Random(5))
    holders = [c for c in everyone if c.queued_lead_s > 0]
    assert len(everyone) == len(walk_ins) + 12 and len(holders) == 12
    for c in holders:
        assert (c.service, c.tier) == ("A", "gold")
        assert 3600.0 - CHECK_IN_SPREAD_S <= c.arrival <= 5400.0
        # In the queue as if arrived the head start before max(check-in, window start).
        expected = max(c.arrival, 3600.0) - booked.head_start_s
        assert c.arrival - c.queued_lead_s == pytest.approx(expected)


def test_a_scenario_file_books_appointments_with_a_source_line() -> None:
    data = {
        "scenario": {"date": "2026-03-13", "opening": "09:00", "closing": "12:00"},
        "services": [{"code": "A", "mean_s": 150, "arrivals": [10, 10, 10]}],
        "counters": [{"number": 1, "services": ["A"]}],
        "appointments": [{"service": "A", "window": ["10:00", "10:30"], "count": 6}],
    }
    scenario = parse(data, "booked")
    assert scenario.appointments == (AppointmentSpec("A", 3600.0, 5400.0, 6),)
    assert "appointments" in missing_sources(data)
