"""The ``sla`` routing policy: targets per class, arrival order within a class, a bounded wait,
and a reason for every call."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.routing import (
    CounterView,
    Policy,
    PolicyKind,
    ServiceLevel,
    choose_next,
    choose_with_reason,
    explain,
    order_for_counter,
)
from queue_core.domain.tickets import Ticket
from tests.domain.builders import ticket

MIN = 60.0
# The builders name tiers "normal", "rank1", "rank2".
SLA = Policy(
    PolicyKind.SLA,
    targets=(
        ServiceLevel("green channel", 3 * MIN, 0.9, green_channel=True),
        ServiceLevel("diamond", 4 * MIN, 0.9, tiers=("rank2",), green_channel=False),
        ServiceLevel("gold", 5 * MIN, 0.9, tiers=("rank1",), green_channel=False),
        ServiceLevel("normal", 15 * MIN, 0.8, tiers=("normal",), green_channel=False),
    ),
    longest_wait_s=30 * MIN,
)
AGING = Policy(PolicyKind.AGING)
STRICT = replace(AGING, kind=PolicyKind.STRICT)
VIP_WINDOW = CounterView(7, ("V", "A"))
CASH = CounterView(2, ("A", "B"))
CARE = CounterView(8, ("A", "B"), prefers_green=True)


def test_the_class_furthest_into_its_target_is_called_first() -> None:
    gold = ticket("A101", "A", at=0, rank=1)  # 4 of 5 min: 0.8 of its target
    normal = ticket("A001", "A", at=-6 * MIN)  # 10 of 15 min: 0.67
    assert choose_next(CASH, [normal, gold], 4 * MIN, SLA) == gold
    older = ticket("A002", "A", at=-9 * MIN)  # 13 of 15 min: 0.87
    assert choose_next(CASH, [older, gold], 4 * MIN, SLA) == older
    reason = explain(CASH, older, [older, gold], 4 * MIN, SLA)
    assert (reason.code, reason.level) == ("oldest", "normal")


def test_the_counters_service_order_only_breaks_ties_within_a_class() -> None:
    # Counter 7 prefers V, but two gold customers are one class: the earlier goes first.
    v = ticket("V001", "V", at=60, rank=1)
    a = ticket("A001", "A", at=30, rank=1)
    assert choose_next(VIP_WINDOW, [v, a], 200, SLA) == a
    assert choose_next(VIP_WINDOW, [v, replace(a, queued_at=60, issued_at=60)], 200, SLA) == v
    # Under aging the preference costs A 3 points: V goes first although it came later.
    assert choose_next(VIP_WINDOW, [v, a], 200, AGING) == v


def test_whoever_waited_past_the_bound_goes_first_oldest_first() -> None:
    now = 40 * MIN
    long_normal = ticket("A001", "A", at=now - 31 * MIN)
    longer_b = ticket("B001", "B", at=now - 35 * MIN)
    green = ticket("A900", "A", at=now - 2.9 * MIN, green=True)  # 97% of its target
    assert choose_next(CASH, [green, long_normal], now, SLA) == long_normal
    pick = choose_with_reason(CASH, [green, long_normal, longer_b], now, SLA)
    assert pick is not None and pick[0] == longer_b and pick[1].code == "longest_wait"
    # The care window's rule holds in every policy: green first there.
    assert choose_next(CARE, [green, long_normal], now, SLA) == green
    assert explain(CARE, green, [green, long_normal], now, SLA).code == "care_window"


def test_a_stream_of_vips_cannot_hold_a_normal_ticket_past_the_bound() -> None:
    """Two gold customers arrive each minute at a counter serving one a minute (overload)."""
    waiting = [ticket("A001", "A", at=0)]
    called = None
    for minute in range(90):
        now = minute * MIN
        waiting += [ticket(f"A{2 * minute + 100}", "A", at=now + k, rank=1) for k in (0, 1)]
        chosen = choose_next(CASH, waiting, now + 30, SLA)
        assert chosen is not None
        if chosen.number == "A001":
            called = now
            break
        waiting.remove(chosen)
    # Golds at 5-minute targets overtake while the normal ticket is under 3× their wait; the
    # golds' own queue grows, so it is called by the 30-minute bound at the latest.
    assert called is not None and called <= 30 * MIN


classes = st.sampled_from([(0, False), (1, False), (2, False), (0, True), (1, True)])


@settings(max_examples=200, deadline=None)
@given(
    arrivals=st.lists(
        st.tuples(st.integers(0, 3600), st.sampled_from("ABV"), classes),
        min_size=1,
        max_size=30,
        unique_by=lambda a: a[0],
    ),
    counter=st.sampled_from([CASH, VIP_WINDOW, CARE, CounterView(4, ("B", "V", "A"))]),
    start=st.integers(0, 7200),
    gap=st.integers(30, 600),
)
def test_a_counter_calls_each_class_in_arrival_order(
    arrivals: list[tuple[int, str, tuple[int, bool]]],
    counter: CounterView,
    start: int,
    gap: int,
) -> None:
    waiting = [
        ticket(f"{svc}{i:03d}", svc, at=float(at), rank=rank, green=green)
        for i, (at, svc, (rank, green)) in enumerate(arrivals)
    ]
    calls: list[Ticket] = []
    now = float(max(at for at, _, _ in arrivals) + start)
    while (chosen := choose_next(counter, waiting, now, SLA)) is not None:
        calls.append(chosen)
        waiting.remove(chosen)
        now += gap
    for level in SLA.targets:
        mine = [t.queued_at for t in calls if SLA.level_of(t) == level]
        assert mine == sorted(mine)


def test_every_call_says_why() -> None:
    now = 20 * MIN
    a1 = ticket("A001", "A", at=0)
    a2 = ticket("A002", "A", at=15 * MIN, rank=1)
    v1 = ticket("V001", "V", at=12 * MIN, rank=2)
    front = ticket("A009", "A", at=19 * MIN, front_at=now - 1, front_counter=7)

    def why(policy: Policy, pool: list[Ticket], counter: CounterView = VIP_WINDOW) -> str:
        found = choose_with_reason(counter, pool, now, policy)
        assert found is not None
        return found[1].code

    assert why(SLA, [a1, front]) == "front"
    assert why(SLA, [a2]) == "next_in_line"
    assert why(SLA, [a1, a2, v1]) == "over_target"  # diamond, 8 of 4 min
    found = choose_with_reason(VIP_WINDOW, [a1, a2, v1], now, SLA)
    assert found is not None and "diamond: waited 8.0 of 4.0 min" in found[1].describe()
    fresh = ticket("V002", "V", at=now - 2 * MIN, rank=2)  # 2 of 4 min
    assert why(SLA, [ticket("A003", "A", at=now - 5 * MIN), fresh]) == "nearest_target"
    assert why(STRICT, [a1, v1]) == "higher_class"
    assert why(AGING, [a1, v1]) == "head_start"  # diamond 16 + 8 beats normal 20 - 3
    older_a = ticket("A004", "A", at=now - 3 * MIN, rank=2)
    assert why(AGING, [older_a, replace(v1, queued_at=now - 2 * MIN)]) == "preferred_service"
    assert why(AGING, [a1, a2]) == "oldest"


def test_the_worked_example_of_architecture_under_sla() -> None:
    now = 20 * MIN
    a1 = ticket("A001", "A", at=0)  # normal, 20 of 15 min: 1.33
    a2 = ticket("A002", "A", at=15 * MIN, rank=1)  # gold, 5 of 5 min: 1.0
    v1 = ticket("V001", "V", at=12 * MIN, rank=2)  # diamond, 8 of 4 min: 2.0
    a3 = ticket("A003", "A", at=18 * MIN, green=True)  # green, 2 of 3 min: 0.67
    order = order_for_counter(VIP_WINDOW, [a1, a2, v1, a3], now, SLA)
    assert [t.number for t in order] == ["V001", "A001", "A002", "A003"]
