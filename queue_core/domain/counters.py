"""The counter: its states, the teller who holds it, and the moves between them.

A counter is ``closed`` at the start of every business day; a teller *opens* it and from then on
*holds* it: only that teller works it (calls, pauses, closes) until it closes or a colleague
explicitly *takes it over*. The lobby manager and a counter's hardware keypad act on a counter
without holding it: what they do is recorded under the teller who holds it.

Like ``tickets.MOVES``, the moves are a table, and every refusal is an ``IllegalMove`` with a
stable code (``cannot_pause_closed``, ``counter_busy``, ``counter_held``…). Times are epoch
seconds passed in; this module never reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from queue_core.domain.errors import IllegalMove


class CounterState(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


OPEN, PAUSED, CLOSED = CounterState.OPEN, CounterState.PAUSED, CounterState.CLOSED

#: The moves a counter may make, by action, as (from states) -> to state.
MOVES: dict[str, tuple[frozenset[CounterState], CounterState]] = {
    "open": (frozenset({CLOSED, PAUSED}), OPEN),
    "pause": (frozenset({OPEN}), PAUSED),
    "resume": (frozenset({PAUSED}), OPEN),
    "close": (frozenset({OPEN, PAUSED}), CLOSED),
    # A colleague takes a counter over (its teller left without closing it): it is theirs, open.
    "take_over": (frozenset({OPEN, PAUSED}), OPEN),
}

#: The one key of a keypad, or the one button, that says "I am (not) available": the action it
#: means in each state.
AVAILABILITY = {OPEN: "pause", PAUSED: "resume", CLOSED: "open"}

#: States in which a counter still serves its services today (a paused counter comes back).
SERVING_STATES = frozenset({OPEN, PAUSED})


def default_name(number: int) -> str:
    """A counter's name when the branch gives it none: "3号窗口"."""
    return f"{number}号窗口"


def default_name_en(number: int) -> str:
    """Its English name when the branch gives none: "Counter 3"."""
    return f"Counter {number}"


@dataclass(frozen=True, slots=True)
class Counter:
    """A counter's live state (its services and name stay in the branch configuration).

    ``teller`` is the login of the teller who holds it (None when closed, or opened by the
    lobby manager or a keypad with no teller logged in). ``current_id`` is the ticket at the
    desk (called or being served). ``since`` is when the state last changed.
    """

    number: int
    state: CounterState = CLOSED
    teller: str | None = None
    paused_reason: str | None = None
    current_id: str | None = None
    since: float = 0.0

    @property
    def is_open(self) -> bool:
        return self.state is OPEN

    @property
    def busy(self) -> bool:
        """A customer is at the desk (called or being served)."""
        return self.current_id is not None


def check_move(counter: Counter, action: str) -> CounterState:
    """The state ``action`` leads to from the counter's state, or ``IllegalMove``."""
    sources, target = MOVES[action]
    if counter.state not in sources:
        raise IllegalMove(
            f"counter {counter.number} is {counter.state.value}: cannot {action.replace('_', ' ')}",
            code=f"cannot_{action}_{counter.state.value}",
        )
    return target


def check_holder(counter: Counter, teller: str | None) -> None:
    """A teller may work a counter that nobody else holds; the lobby and keypads (``None``)
    always may."""
    if teller is not None and counter.teller not in (None, teller):
        raise IllegalMove(
            f"counter {counter.number} is held by {counter.teller}: take it over first, "
            "or ask the lobby manager to close it",
            code="counter_held",
        )


def _held_by(counter: Counter, teller: str | None) -> str | None:
    """Who holds the counter after ``teller`` (None: the lobby, a keypad) worked it."""
    return teller if teller is not None else counter.teller


def open_counter(counter: Counter, now: float, teller: str | None) -> Counter:
    """Open (or, from paused, reopen) the counter; a teller opening it holds it."""
    check_holder(counter, teller)
    state = check_move(counter, "open")
    held = _held_by(counter, teller) if counter.state is PAUSED else teller
    return replace(counter, state=state, teller=held, paused_reason=None, since=now)


def pause(counter: Counter, now: float, teller: str | None, reason: str | None = None) -> Counter:
    """The teller steps away: the counter keeps its customer's place and calls nobody."""
    check_holder(counter, teller)
    state = check_move(counter, "pause")
    return replace(
        counter, state=state, teller=_held_by(counter, teller), paused_reason=reason, since=now
    )


def resume(counter: Counter, now: float, teller: str | None) -> Counter:
    """Back from a pause."""
    check_holder(counter, teller)
    state = check_move(counter, "resume")
    return replace(
        counter, state=state, teller=_held_by(counter, teller), paused_reason=None, since=now
    )


def close(counter: Counter, now: float, teller: str | None) -> Counter:
    """Close for the day (or for now); refused while a customer is at the desk."""
    check_holder(counter, teller)
    state = check_move(counter, "close")
    if counter.busy:
        raise IllegalMove(
            f"counter {counter.number} still has a customer: finish, skip or transfer first",
            code="counter_busy",
        )
    return replace(counter, state=state, teller=None, paused_reason=None, since=now)


def take_over(counter: Counter, now: float, teller: str) -> Counter:
    """A teller takes over a counter another left open or paused; its customer stays."""
    state = check_move(counter, "take_over")
    return replace(counter, state=state, teller=teller, paused_reason=None, since=now)


def check_can_call(counter: Counter, teller: str | None) -> None:
    """A counter calls only when open, with nobody at the desk, by whoever may work it."""
    check_holder(counter, teller)
    if counter.state is not OPEN:
        raise IllegalMove(
            f"counter {counter.number} is {counter.state.value}", f"counter_{counter.state.value}"
        )
    if counter.busy:
        raise IllegalMove(
            f"counter {counter.number} still has a customer: finish or skip it", "counter_busy"
        )


def worked_by(counter: Counter, teller: str | None) -> Counter:
    """The counter after ``teller`` worked it: a teller working an unheld counter holds it."""
    check_holder(counter, teller)
    held = _held_by(counter, teller)
    return counter if held == counter.teller else replace(counter, teller=held)


def with_current(counter: Counter, ticket_id: str | None, now: float) -> Counter:
    """The counter with ``ticket_id`` at the desk (None: the desk is free)."""
    if counter.current_id == ticket_id:
        return counter
    return replace(counter, current_id=ticket_id, since=now)


def end_of_day(counter: Counter, now: float) -> Counter:
    """A counter at the end of the business day: closed, held by nobody, desk free."""
    if counter.state is CLOSED and counter.teller is None and counter.current_id is None:
        return counter
    return replace(
        counter, state=CLOSED, teller=None, paused_reason=None, current_id=None, since=now
    )


def serves_today(service: str, counters: Iterable[tuple[Counter, tuple[str, ...]]]) -> bool:
    """Whether a service is being served today: some counter serving it is open or paused (a
    counter paused for lunch comes back). ``counters`` pairs each with its services."""
    return any(c.state in SERVING_STATES and service in services for c, services in counters)
