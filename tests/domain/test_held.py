"""A ticket counts only once printed: a held ticket is out of the line until released."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain import tickets as moves
from queue_core.domain.business_day import BusinessDay
from queue_core.domain.errors import IllegalMove
from queue_core.domain.routing import CounterView, Policy, PolicyKind, choose_next
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.waiting import WaitingIndex
from tests.domain.builders import ticket

AGING = Policy(PolicyKind.AGING, aging_rate=1.0, tier_step=8, green_bonus=20, preference_step=3)
CASH = CounterView(2, ("A",))


def test_a_held_ticket_still_waits_but_is_not_in_the_line() -> None:
    held = moves.hold(ticket("A001"), 10.0, "paper_out")
    assert held.status is Status.WAITING
    assert held.is_held and not held.is_waiting
    assert (held.held_reason, held.held_at) == ("paper_out", 10.0)
    assert choose_next(CASH, [held], 20.0, AGING) is None
    assert len(WaitingIndex.of([held])) == 0


def test_a_held_ticket_cannot_be_called_moved_or_transferred_only_released_or_closed() -> None:
    held = moves.hold(ticket("A001"), 10.0, "offline")
    with pytest.raises(IllegalMove) as refused:
        moves.call(held, 2, 20.0)
    assert refused.value.code == "cannot_call_held"
    with pytest.raises(IllegalMove) as refused:
        moves.transfer(held, 20.0, "x", service="B")
    assert refused.value.code == "cannot_transfer_held"
    assert moves.cancel(held, 20.0).status is Status.CANCELLED
    assert moves.cancel(held, 20.0).held_reason is None
    assert moves.expire(held, 20.0).status is Status.CANCELLED
    assert moves.release(held, 20.0).is_waiting


def test_release_gives_back_the_place_of_the_issue_time() -> None:
    first, later = ticket("A001", at=0.0), ticket("A002", at=60.0)
    held = moves.hold(first, 5.0, "paper_out")
    assert choose_next(CASH, [held, later], 120.0, AGING) == later
    back = moves.release(held, 300.0)
    assert back.queued_at == 0.0
    assert choose_next(CASH, [back, later], 320.0, AGING) == back


def test_holding_twice_keeps_the_first_time_and_the_newest_reason() -> None:
    once = moves.hold(ticket("A001"), 10.0, "paper_out")
    twice = moves.hold(once, 50.0, "cover_open")
    assert (twice.held_at, twice.held_reason) == (10.0, "cover_open")


def test_only_a_waiting_ticket_is_held_and_only_a_held_one_released() -> None:
    called = moves.call(ticket("A001"), 2, 5.0)
    with pytest.raises(IllegalMove) as refused:
        moves.hold(called, 6.0, "paper_out")
    assert refused.value.code == "cannot_hold_called"
    with pytest.raises(IllegalMove) as refused:
        moves.release(ticket("A002"), 6.0)
    assert refused.value.code == "not_held"
    with pytest.raises(IllegalMove) as refused:
        moves.hold(ticket("A003"), 6.0, "")
    assert refused.value.code == "hold_reason_missing"


_tickets = st.lists(
    st.builds(
        lambda n, at, rank, green, held: (
            moves.hold(ticket(f"A{n:03d}", at=at, rank=rank, green=green), at, "paper_out")
            if held
            else ticket(f"A{n:03d}", at=at, rank=rank, green=green)
        ),
        st.integers(1, 999),
        st.floats(0, 3600),
        st.integers(0, 2),
        st.booleans(),
        st.booleans(),
    ),
    max_size=25,
    unique_by=lambda t: t.number,
)


@settings(max_examples=200, deadline=None)
@given(tickets=_tickets, now=st.floats(3600, 7200))
def test_held_tickets_are_never_called_nor_counted_ahead(tickets: list[Ticket], now: float) -> None:
    index = WaitingIndex.of(tickets)
    in_line = [t for t in tickets if not t.is_held]
    assert len(index) == len(in_line)
    pick = choose_next(CASH, index.heads(CASH), now, AGING)
    assert pick == choose_next(CASH, in_line, now, AGING)
    assert pick is None or not pick.is_held
    for t in in_line:
        ahead = index.ahead_of(t, {"A"}, now, AGING)
        assert not any(o.is_held for o in ahead)
    # Releasing them all gives the hall it would have had if none had failed to print.
    released = [moves.release(t, now) if t.is_held else t for t in tickets]
    plain = [replace(t, held_reason=None, held_at=None) for t in tickets]
    assert choose_next(CASH, released, now, AGING) == choose_next(CASH, plain, now, AGING)


def test_a_new_business_day_voids_yesterdays_held_tickets_too() -> None:
    day = BusinessDay.of(1_794_000_000.0, ZoneInfo("Asia/Shanghai"))
    held = moves.hold(ticket("A001", business_day="2026-01-01"), 10.0, "paper_out")
    change = day.change([held], [], 1_794_000_000.0)
    (voided,) = change.voided
    assert voided.status is Status.CANCELLED and not voided.is_held
