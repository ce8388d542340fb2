"""The counter's state machine and who holds it: every legal move, a typed refusal otherwise."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain import counters as c
from queue_core.domain.counters import AVAILABILITY, MOVES, Counter, CounterState
from queue_core.domain.errors import IllegalMove

OPEN, PAUSED, CLOSED = CounterState.OPEN, CounterState.PAUSED, CounterState.CLOSED


@pytest.mark.parametrize("action", sorted(MOVES))
@pytest.mark.parametrize("state", list(CounterState))
def test_every_illegal_move_is_refused_with_a_code(action: str, state: CounterState) -> None:
    sources, target = MOVES[action]
    counter = Counter(3, state)
    if state in sources:
        assert c.check_move(counter, action) is target
        return
    with pytest.raises(IllegalMove) as info:
        c.check_move(counter, action)
    assert info.value.code == f"cannot_{action}_{state.value}"


def test_the_teller_who_opens_a_counter_holds_it_through_a_pause_until_it_closes() -> None:
    opened = c.open_counter(Counter(3), 10, "t03")
    assert (opened.state, opened.teller, opened.since) == (OPEN, "t03", 10)
    paused = c.pause(opened, 20, "t03", "lunch")
    assert (paused.state, paused.teller, paused.paused_reason) == (PAUSED, "t03", "lunch")
    resumed = c.resume(paused, 30, None)  # the lobby manager resumes it: still t03's
    assert (resumed.state, resumed.teller, resumed.paused_reason) == (OPEN, "t03", None)
    closed = c.close(resumed, 40, "t03")
    assert (closed.state, closed.teller) == (CLOSED, None)


def test_another_teller_is_refused_until_taking_the_counter_over() -> None:
    held = c.open_counter(Counter(3), 10, "t03")
    for move in (
        lambda: c.pause(held, 11, "t05"),
        lambda: c.close(held, 11, "t05"),
        lambda: c.check_can_call(held, "t05"),
        lambda: c.worked_by(held, "t05"),
    ):
        with pytest.raises(IllegalMove) as info:
            move()
        assert info.value.code == "counter_held"
    taken = c.take_over(c.pause(held, 12, "t03"), 13, "t05")
    assert (taken.state, taken.teller) == (OPEN, "t05")
    c.check_can_call(taken, "t05")
    with pytest.raises(IllegalMove):
        c.check_can_call(taken, "t03")


def test_the_lobby_and_keypads_work_a_counter_without_holding_it() -> None:
    opened_by_lobby = c.open_counter(Counter(3), 10, None)
    assert opened_by_lobby.teller is None
    assert c.worked_by(opened_by_lobby, None).teller is None
    assert c.worked_by(opened_by_lobby, "t03").teller == "t03"  # a teller working it holds it


def test_a_counter_calls_only_when_open_with_a_free_desk() -> None:
    for state, code in ((CLOSED, "counter_closed"), (PAUSED, "counter_paused")):
        with pytest.raises(IllegalMove) as info:
            c.check_can_call(Counter(3, state), None)
        assert info.value.code == code
    busy = c.with_current(Counter(3, OPEN), "ticket-1", 5)
    with pytest.raises(IllegalMove) as info:
        c.check_can_call(busy, None)
    assert info.value.code == "counter_busy"
    with pytest.raises(IllegalMove) as info:
        c.close(busy, 6, None)
    assert info.value.code == "counter_busy"


def test_the_availability_key_means_the_move_each_state_allows() -> None:
    for state, action in AVAILABILITY.items():
        assert state in MOVES[action][0]


@given(
    moves=st.lists(
        st.tuples(
            st.sampled_from(["open", "pause", "resume", "close", "take_over", "call", "free"]),
            st.sampled_from(["t03", "t05", None]),
        ),
        max_size=30,
    )
)
def test_a_counter_is_held_only_while_it_works_and_never_closes_with_a_customer(
    moves: list[tuple[str, str | None]],
) -> None:
    counter = Counter(3)
    for k, (move, teller) in enumerate(moves):
        try:
            if move == "open":
                counter = c.open_counter(counter, k, teller)
            elif move == "pause":
                counter = c.pause(counter, k, teller)
            elif move == "resume":
                counter = c.resume(counter, k, teller)
            elif move == "close":
                counter = c.close(counter, k, teller)
            elif move == "take_over" and teller is not None:
                counter = c.take_over(counter, k, teller)
            elif move == "call":
                c.check_can_call(counter, teller)
                counter = c.with_current(c.worked_by(counter, teller), f"t{k}", k)
            elif move == "free":
                counter = c.with_current(counter, None, k)
        except IllegalMove:
            continue
        if counter.state is CLOSED:
            assert counter.teller is None and counter.current_id is None
        if counter.current_id is not None:
            assert counter.state is not CLOSED


def test_end_of_day_closes_and_frees_every_counter() -> None:
    busy = c.with_current(c.open_counter(Counter(3), 10, "t03"), "ticket-1", 11)
    ended = c.end_of_day(busy, 100)
    assert (ended.state, ended.teller, ended.current_id, ended.since) == (CLOSED, None, None, 100)
    assert c.end_of_day(Counter(3), 100) == Counter(3)
