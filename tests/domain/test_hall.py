"""People ahead and the estimated wait, as the ticket prints them: they come from one play of
the counters, so a short wait never comes with a long line (nor the other way round)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain import hall
from queue_core.domain.estimate import Arrivals, ServiceTimes
from queue_core.domain.routing import CounterView, Policy
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.waiting import WaitingIndex

NOW = 1_000_000.0
TIMES = ServiceTimes({"A": 150.0, "B": 300.0, "D": 720.0})
#: The demo branch's counters 2 (cash only) and 4 (non-cash, accounts, then cash).
CASH = CounterView(2, ("A",))
MIXED = CounterView(4, ("B", "D", "A"))


def ticket(number: str, at: float, rank: int = 0, green: bool = False) -> Ticket:
    return Ticket(id=number, number=number, service=number[0],
                  tier="gold" if rank else "normal", tier_rank=rank, green_channel=green,
                  status=Status.WAITING, issued_at=at, queued_at=at,
                  business_day="2026-03-10")  # fmt: skip


def index(tickets: list[Ticket]) -> WaitingIndex:
    return WaitingIndex.of(tickets)


def test_accounts_customers_served_elsewhere_are_not_ahead_of_a_cash_customer() -> None:
    # Five accounts customers (D) wait since earlier; counter 2 (cash only) is free, so the
    # new cash ticket A003 is called at once: nobody is ahead of it, and it waits nothing.
    waiting = [ticket(f"D00{n}", NOW - 600 + n) for n in range(1, 6)]
    a003 = ticket("A003", NOW)
    counters = [hall.CounterState(CASH, "open"), hall.CounterState(MIXED, "open")]
    position = hall.position_of(a003, index(waiting), counters, NOW, Policy(), TIMES, Arrivals())
    assert position == hall.Position(0, 0)
    listed = hall.positions_for_service("A", [*waiting, a003], counters, NOW, Policy(), TIMES)
    assert listed == {"A003": hall.Position(0, 0)}


def test_who_takes_a_counter_this_ticket_could_have_had_is_ahead() -> None:
    # Counter 2 is busy for 100 s more; counter 4 is free and takes D001 (its own business
    # first), so A003 waits for counter 2: one ahead (D001 took counter 4), 100 s.
    d001 = ticket("D001", NOW - 300)
    a003 = ticket("A003", NOW)
    current = _called(ticket("A002", NOW - 400), at=NOW - 50)
    counters = [hall.CounterState(CASH, "open", current), hall.CounterState(MIXED, "open")]
    position = hall.position_of(a003, index([d001]), counters, NOW, Policy(), TIMES, Arrivals())
    assert position == hall.Position(1, 100)


def _called(t: Ticket, at: float) -> Ticket:
    return replace(t, status=Status.CALLED, called_at=at, counter=CASH.number)


SERVICES = ("A", "B", "D")
VIEWS = (CASH, MIXED, CounterView(1, ("A", "B")), CounterView(7, ("V", "D", "A")))


@st.composite
def halls(draw: st.DrawFn) -> tuple[list[Ticket], list[hall.CounterState]]:
    n = draw(st.integers(1, 25))
    tickets = []
    for i in range(n):
        service = draw(st.sampled_from(SERVICES))
        waited = draw(st.floats(0, 3600))
        rank = draw(st.integers(0, 2))
        green = draw(st.booleans())
        tickets.append(ticket(f"{service}{i:03d}", NOW - waited, rank, green))
    views = draw(st.lists(st.sampled_from(VIEWS), min_size=1, max_size=4, unique=True))
    counters = []
    for view in views:
        busy_for = draw(st.none() | st.floats(0, 600))
        current = None
        if busy_for is not None:
            busy = ticket(f"{view.services[0]}9{view.number}", NOW - 900)
            current = _called(busy, NOW - busy_for)
        counters.append(hall.CounterState(view, "open", current))
    return tickets, counters


@settings(max_examples=60, deadline=None)
@given(halls())
def test_in_call_order_the_line_grows_and_the_wait_never_shrinks(
    case: tuple[list[Ticket], list[hall.CounterState]],
) -> None:
    tickets, counters = case
    for service in SERVICES:
        listed = list(hall.positions_for_service(
            service, tickets, counters, NOW, Policy(), TIMES
        ).values())  # fmt: skip
        aheads = [p.ahead for p in listed]
        waits = [p.estimated_wait_s for p in listed]
        assert aheads == sorted(aheads), (service, listed)
        known = [w for w in waits if w is not None]
        assert known == sorted(known), (service, listed)
        assert all(a < len(tickets) for a in aheads)
        if listed and listed[0].estimated_wait_s is not None:
            # Called at once means nobody ahead: those called meanwhile go to other counters.
            assert listed[0].ahead == 0 or listed[0].estimated_wait_s > 0
        for p in listed:
            assert p.estimated_wait_s != 0 or p.ahead == 0, (service, listed)


@settings(max_examples=60, deadline=None)
@given(
    halls(),
    st.lists(st.tuples(st.sampled_from(SERVICES), st.floats(0, 1800)), max_size=20),
    st.sampled_from([4 * 3600.0, 1800.0]),
    st.integers(1, 4),
)
def test_several_tickets_placed_at_once_are_each_placed_alone(
    case: tuple[list[Ticket], list[hall.CounterState]],
    arrived: list[tuple[str, float]],
    window_s: float,
    placed: int,
) -> None:
    """A commit places its tickets in one play (and falls back to the counts ahead only for
    those the play does not reach): each gets what it would alone."""
    tickets, counters = case
    arrivals = Arrivals(window_s)
    for n, (service, ago) in enumerate(sorted(arrived, key=lambda a: -a[1])):
        arrivals.record(ticket(f"{service}8{n:02d}", NOW - ago))
    waiting = index(tickets)
    chosen = tickets[-placed:]
    together = hall.positions_of(chosen, waiting, counters, NOW, Policy(), TIMES, arrivals)
    assert list(together) == [t.id for t in chosen]
    for t in chosen:
        alone = hall.position_of(t, waiting, counters, NOW, Policy(), TIMES, arrivals.copy())
        assert together[t.id] == alone
