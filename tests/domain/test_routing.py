"""Routing: who a counter calls next under each policy, and that nobody starves with aging."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.routing import (
    CounterView,
    Policy,
    PolicyKind,
    choose_next,
    claim,
    order_for_counter,
)
from queue_core.domain.tickets import Ticket
from queue_core.domain.waiting import WaitingIndex
from tests.domain.builders import ticket

AGING = Policy(PolicyKind.AGING, aging_rate=1.0, tier_step=8, green_bonus=20, preference_step=3)
STRICT = replace(AGING, kind=PolicyKind.STRICT)
FIFO = replace(AGING, kind=PolicyKind.FIFO)
VIP_WINDOW = CounterView(7, ("V", "A"))
CASH = CounterView(2, ("A",))
MIN = 60.0


def numbers(tickets: list[Ticket]) -> list[str]:
    return [t.number for t in tickets]


def test_worked_example_from_architecture() -> None:
    """The example in ARCHITECTURE.md: at 09:20, counter 7 (V, A) chooses among four."""
    now = 20 * MIN
    a1 = ticket("A001", "A", at=0)  # normal, waited 20 min: claim 20
    a2 = ticket("A002", "A", at=15 * MIN, rank=1)  # gold, 5 min: 8 + 5 = 13
    v1 = ticket("V001", "V", at=12 * MIN, rank=2)  # diamond, 8 min: 16 + 8 = 24
    a3 = ticket("A003", "A", at=18 * MIN, green=True)  # green, 2 min: 20 + 2 = 22
    claims = {
        t.number: claim(t, now, AGING, VIP_WINDOW.services.index(t.service))
        for t in (a1, a2, v1, a3)
    }
    # Counter 7 prefers V: A tickets lose 3 points there.
    assert claims == {"A001": 17.0, "A002": 10.0, "V001": 24.0, "A003": 19.0}
    order = order_for_counter(VIP_WINDOW, [a1, a2, v1, a3], now, AGING)
    assert numbers(order) == ["V001", "A003", "A001", "A002"]
    assert numbers(order_for_counter(VIP_WINDOW, [a1, a2, v1, a3], now, STRICT)) == [
        "A003",
        "V001",
        "A002",
        "A001",
    ]
    assert numbers(order_for_counter(VIP_WINDOW, [a1, a2, v1, a3], now, FIFO)) == [
        "A001",
        "V001",
        "A002",
        "A003",
    ]


def test_counter_only_calls_its_services_and_its_transfers() -> None:
    b = ticket("B001", "B", at=0)
    to_5 = ticket("A009", "A", at=0, target_counter=5)
    a = ticket("A001", "A", at=10)
    assert choose_next(CASH, [b, to_5], 100, AGING) is None
    assert choose_next(CASH, [b, to_5, a], 100, AGING) == a
    assert choose_next(CounterView(5, ("C",)), [b, to_5, a], 100, AGING) == to_5


def test_reassigned_to_front_comes_first_for_its_counter_only() -> None:
    old = ticket("A001", "A", at=0, rank=2)
    front = ticket("A005", "A", at=50, front_at=60, front_counter=2)
    assert choose_next(CASH, [old, front], 100, AGING) == front
    assert choose_next(CounterView(3, ("A",)), [old, front], 100, AGING) == old


def test_care_window_takes_green_channel_first() -> None:
    vip = ticket("A001", "A", at=0, rank=2)
    elder = ticket("A002", "A", at=90, green=True)
    care = CounterView(8, ("A", "B"), prefers_green=True)
    assert choose_next(care, [vip, elder], 100, STRICT) == elder
    assert choose_next(care, [vip, elder], 100 * MIN, AGING) == elder


def _serve_one_counter(policy: Policy, minutes: int) -> float | None:
    """Two gold customers arrive each minute, one is served each minute; one normal ticket
    waits from the start. Returns the minute it is called, or None."""
    waiting = [ticket("A001", "A", at=0)]
    for minute in range(minutes):
        now = minute * MIN
        waiting += [
            ticket(f"A{2 * minute + 100}", "A", at=now, rank=1),
            ticket(f"A{2 * minute + 101}", "A", at=now + 1, rank=1),
        ]
        chosen = choose_next(CASH, waiting, now + 30, policy)
        assert chosen is not None
        if chosen.number == "A001":
            return now
        waiting.remove(chosen)
    return None


def test_aging_never_starves_a_normal_ticket_where_strict_does() -> None:
    called = _serve_one_counter(AGING, 120)
    assert called is not None
    # Head start of gold is 8 points = 8 minutes at rate 1; the queue of older golds grows
    # by one a minute, so the normal ticket goes after at most ~2 × 8 minutes.
    assert called <= 17 * MIN
    assert _serve_one_counter(STRICT, 120) is None


tickets_strategy = st.lists(
    st.builds(
        lambda n, svc, at, rank, green, front, target: ticket(
            f"{svc}{n:03d}",
            svc,
            at=float(at),
            rank=rank,
            green=green,
            front_at=float(at + 1) if front else None,
            front_counter=(2 if front == 2 else None) if front else None,
            target_counter=target,
        ),
        st.integers(1, 999),
        st.sampled_from("ABV"),
        st.integers(0, 3600),
        st.integers(0, 2),
        st.booleans(),
        st.sampled_from([0, 0, 0, 1, 2]),
        st.sampled_from([None, None, None, 2, 5]),
    ),
    max_size=40,
    unique_by=lambda t: t.number,
)


@settings(max_examples=300, deadline=None)
@given(
    tickets=tickets_strategy,
    now=st.floats(3600, 7200),
    kind=st.sampled_from(list(PolicyKind)),
    counter=st.sampled_from([CASH, VIP_WINDOW, CounterView(8, ("A", "B"), True)]),
)
def test_group_heads_give_the_same_choice_as_a_full_scan(
    tickets: list[Ticket], now: float, kind: PolicyKind, counter: CounterView
) -> None:
    policy = replace(AGING, kind=kind)
    index = WaitingIndex.of(tickets)
    assert choose_next(counter, index.heads(counter), now, policy) == choose_next(
        counter, tickets, now, policy
    )
    for t in tickets:
        expected = sum(
            1
            for o in tickets
            if o.id != t.id
            and o.service in {"A", "V"}
            and _hall_key(o, now, policy) < _hall_key(t, now, policy)
        )
        if t.service in {"A", "V"}:
            assert len(index.ahead_of(t, {"A", "V"}, now, policy)) == expected
            assert sum(index.ahead_counts(t, {"A", "V"}, now, policy).values()) == expected


def _hall_key(t: Ticket, now: float, policy: Policy) -> tuple[object, ...]:
    from queue_core.domain.routing import sort_key

    return sort_key(t, now, policy)
