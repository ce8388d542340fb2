"""The simulated day: nobody is lost, the engine's rules decide, a seed gives one day."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.figures import daily_figures
from queue_core.domain.tickets import Status
from queue_core.sim.model import simulate_day
from queue_core.sim.scenario import SCENARIO_DIR, Scenario, available, load, missing_sources
from queue_core.sim.selectors import COMPARED, by_name

SCENARIOS = {name: load(name) for name in available()}


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(sorted(SCENARIOS)),
    policy=st.sampled_from(COMPARED),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_every_arrival_is_served_abandoned_missed_or_still_waiting(
    name: str, policy: str, seed: int
) -> None:
    day = simulate_day(SCENARIOS[name], by_name(policy), seed)
    results = [o.result for o in day.outcomes]
    assert set(results) <= {"served", "abandoned", "no_show", "waiting"}
    assert len(day.outcomes) == len(day.tickets)
    # Ticket rows agree with the outcomes: a served customer's row finished, others did not.
    rows = {t.id: t for t in day.tickets}
    for outcome in day.outcomes:
        row = rows[outcome.ticket_id]
        if outcome.result == "served":
            assert row.status is Status.FINISHED
        elif outcome.result == "no_show":
            assert row.status is Status.SKIPPED
        elif outcome.result == "waiting":
            assert row.status is Status.WAITING
        else:  # walked away: skipped when called, or never called
            assert row.status in (Status.SKIPPED, Status.WAITING)
    figures = daily_figures(day.tickets, tz=ZoneInfo("Asia/Shanghai"))
    assert figures["issued"] == len(day.outcomes)
    assert figures["served"] == results.count("served")


def test_the_same_seed_gives_the_same_day_and_another_seed_another() -> None:
    weekday = SCENARIOS["weekday"]
    first = simulate_day(weekday, by_name("aging"), 7)
    again = simulate_day(weekday, by_name("aging"), 7)
    other = simulate_day(weekday, by_name("aging"), 8)
    assert [t.called_at for t in first.tickets] == [t.called_at for t in again.tickets]
    assert len(first.tickets) != len(other.tickets) or first.tickets != other.tickets


def test_strict_priority_never_passes_over_a_higher_class() -> None:
    day = simulate_day(SCENARIOS["pension_day"], by_name("strict"), 3)
    assert day.calls > 500 and day.overtakes == 0
    fifo = simulate_day(SCENARIOS["pension_day"], by_name("fifo"), 3)
    assert fifo.overtakes > 50


def test_counters_call_only_their_services_and_only_while_open() -> None:
    scenario = SCENARIOS["lunch_dip"]
    day = simulate_day(scenario, by_name("aging"), 5)
    specs = {c.number: c for c in scenario.counters}
    for ticket in day.tickets:
        if ticket.called_at is None:
            continue
        spec = specs[ticket.counter or 0]
        assert ticket.service in spec.services
        offset = ticket.called_at - day.open_at
        assert any(a <= offset for a, _ in spec.open)
        # Counter 1 is at lunch 11:30-12:30: it calls nobody then.
        if spec.number == 1:
            assert not 9000 <= offset < 12600


def _waits(scenario: Scenario, seeds: range) -> tuple[float, float, int]:
    """Mean wait, share over 3 minutes and customers over a few days."""
    tz = ZoneInfo("Asia/Shanghai")
    days = [
        daily_figures(simulate_day(scenario, by_name("aging"), s).tickets, tz=tz) for s in seeds
    ]
    n = len(days)
    return (
        sum(d["waits"]["mean_s"] for d in days) / n,
        sum(d["waits"]["over_threshold_share"] for d in days) / n,
        sum(d["issued"] for d in days),
    )


def test_the_pension_morning_needs_the_branch_plan() -> None:
    pension = SCENARIOS["pension_day"]
    # The same day staffed like a weekday: no flexible windows, counter 4 non-cash first.
    weekday_plan = replace(pension, counters=SCENARIOS["weekday"].counters)
    unplanned, planned, weekday = (
        _waits(s, range(1, 4)) for s in (weekday_plan, pension, SCENARIOS["weekday"])
    )
    assert unplanned[0] > 2 * weekday[0] and unplanned[1] > 2 * weekday[1]
    assert unplanned[2] > weekday[2]
    assert planned[0] < unplanned[0] / 2 and planned[1] < unplanned[1] / 2


def test_every_figure_of_every_scenario_has_a_source_line() -> None:
    for name, scenario in SCENARIOS.items():
        with (SCENARIO_DIR / f"{name}.toml").open("rb") as fh:
            assert missing_sources(tomllib.load(fh)) == [], name
        assert scenario.expected_arrivals() > 300
    lacking = {"scenario": {"opening": "09:00"}, "services": [{"code": "A", "mean_s": 100}]}
    assert missing_sources(lacking) == [
        "opening", "services.A.mean_s", "counters.services", "counters.open"
    ]  # fmt: skip
