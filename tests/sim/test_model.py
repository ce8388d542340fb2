"""The simulated day: nobody is lost, the engine's rules decide, a seed gives one day."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.figures import daily_figures
from queue_core.domain.tickets import Status
from queue_core.sim.model import simulate_day
from queue_core.sim.scenario import available, load
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


def test_the_pension_morning_is_worse_than_a_weekday() -> None:
    tz = ZoneInfo("Asia/Shanghai")
    pension = daily_figures(
        simulate_day(SCENARIOS["pension_day"], by_name("aging"), 2).tickets, tz=tz
    )
    weekday = daily_figures(simulate_day(SCENARIOS["weekday"], by_name("aging"), 2).tickets, tz=tz)
    assert pension["waits"]["mean_s"] > 2 * weekday["waits"]["mean_s"]
    assert pension["waits"]["over_threshold_share"] > 2 * weekday["waits"]["over_threshold_share"]
    assert pension["issued"] > weekday["issued"]


def test_scenarios_state_their_sources() -> None:
    for scenario in SCENARIOS.values():
        assert len(scenario.sources) >= 3
        assert scenario.expected_arrivals() > 300
