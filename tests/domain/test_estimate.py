"""The wait estimate: what the ticket says before anyone is called."""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import asdict, fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_core.domain.estimate import (
    Arrivals,
    CounterLoad,
    Forecast,
    GroupHeads,
    OpenCounter,
    ServiceTimes,
    _stand_in,
    estimate_all,
    estimate_wait,
    forecast_calls,
    forecast_positions,
    forecast_wait,
    remaining,
)
from queue_core.domain.routing import (
    CounterView,
    Policy,
    PolicyKind,
    can_call,
    choose_next,
    counter_order,
    group_key,
    sort_key,
)
from queue_core.domain.tickets import Status, Ticket
from queue_core.domain.waiting import WaitingIndex

NOW = 1_000_000.0


def ticket(
    n: int, service: str = "A", at: float = NOW, rank: int = 0, green: bool = False
) -> Ticket:
    return Ticket(id=f"{service}{n}", number=f"{service}{n:03d}", service=service,
                  tier="gold" if rank else "normal", tier_rank=rank, green_channel=green,
                  status=Status.WAITING, issued_at=at, queued_at=at,
                  business_day="2026-03-10")  # fmt: skip


def times() -> ServiceTimes:
    return ServiceTimes({"A": 120.0, "B": 300.0, "C": 600.0})


def test_people_ahead_share_the_open_counters() -> None:
    # Two idle counters, three cash customers ahead at 120 s: the fourth waits 120 s... the
    # counters take ahead 1 and 2 at 0, ahead 3 at 120, so the next counter frees at 120.
    counters = [CounterLoad(1, None), CounterLoad(2, None)]
    assert estimate_wait(["A", "A", "A"], counters, NOW, times()) == pytest.approx(120.0)
    assert estimate_wait([], counters, NOW, times()) == 0.0
    assert estimate_wait(["A"], [], NOW, times()) is None


def test_a_busy_counter_frees_after_the_rest_of_its_service() -> None:
    busy = CounterLoad(1, busy_since=NOW - 100.0, busy_service="B")
    assert estimate_wait([], [busy], NOW, times()) == pytest.approx(200.0)


def test_without_skips_the_skip_aware_estimate_is_the_plain_one() -> None:
    plain = times()
    for seconds in (100.0, 140.0):
        plain.record("A", seconds)
    assert plain.expected_visit("A") == plain.mean("A")
    counters = [CounterLoad(1, None)]
    assert estimate_all(["A", "A"], counters, NOW, plain) == [0.0, pytest.approx(plain.mean("A"))]


def test_no_shows_ahead_shorten_the_wait() -> None:
    learned = times()
    for _ in range(20):
        learned.record("A", 120.0)
    for _ in range(20):
        learned.record_skip("A", 40.0)
    # Half the recent calls were skips (shrunk towards none: 20 of 50 with the prior of 10).
    assert learned.show_rate() == pytest.approx(30 / 50)
    visit = learned.expected_visit("A")
    assert 40.0 < visit < learned.mean("A")
    counters = [CounterLoad(1, None)]
    assert estimate_wait(["A"] * 5, counters, NOW, learned) == pytest.approx(5 * visit)


def test_forecast_follows_each_counters_services() -> None:
    # Counter 1 serves only A, counter 2 only C: the C ticket waits for counter 2 alone.
    counters = [OpenCounter(CounterView(1, ("A",))), OpenCounter(CounterView(2, ("C",)))]
    waiting = [ticket(1, "C", NOW - 60), ticket(2, "C", NOW - 30), ticket(1, "A", NOW)]
    calls = forecast_calls(waiting, counters, NOW, Policy(), times())
    assert calls == {"C1": 0.0, "A1": 0.0, "C2": pytest.approx(600.0)}


def test_forecast_puts_a_waiting_vip_ahead_under_priority() -> None:
    counters = [OpenCounter(CounterView(1, ("A",)), busy_since=NOW, busy_service="A")]
    normal = ticket(1, at=NOW - 100)
    gold = ticket(2, at=NOW, rank=1)
    strict = Policy(kind=PolicyKind.STRICT)
    assert forecast_wait(normal, [normal, gold], counters, NOW, strict, times()) == pytest.approx(
        240.0
    )
    fifo = Policy(kind=PolicyKind.FIFO)
    assert forecast_wait(normal, [normal, gold], counters, NOW, fifo, times()) == pytest.approx(
        120.0
    )


def test_forecast_expects_the_vips_still_to_come() -> None:
    # In the last 30 minutes six gold customers came (one every 5 minutes); a normal customer
    # behind one counter busy for ten more minutes (a corporate customer) will see those
    # expected at 2.5, 7.5 and 12.5 minutes called first under strict priority (the third
    # arrives while the counter serves the second).
    arrivals = Arrivals()
    for k in range(6):
        arrivals.record(ticket(100 + k, at=NOW - 1800 + 300 * k, rank=1))
    counters = [OpenCounter(CounterView(1, ("A",)), busy_since=NOW, busy_service="C")]
    normal = ticket(1, at=NOW)
    strict = Policy(kind=PolicyKind.STRICT)
    alone = forecast_wait(normal, [normal], counters, NOW, strict, times())
    expecting = forecast_wait(normal, [normal], counters, NOW, strict, times(), arrivals)
    assert alone == pytest.approx(600.0)
    assert expecting == pytest.approx(600.0 + 3 * 120.0)
    # Under fifo nobody who comes later goes first: the expected arrivals change nothing.
    fifo = Policy(kind=PolicyKind.FIFO)
    assert forecast_wait(normal, [normal], counters, NOW, fifo, times(), arrivals) == alone


def test_forecast_agrees_with_estimate_wait_on_one_service_in_arrival_order() -> None:
    counters = [OpenCounter(CounterView(n, ("A",))) for n in (1, 2, 3)]
    waiting = [ticket(n, at=NOW - 10 * (20 - n)) for n in range(1, 15)]
    calls = forecast_calls(waiting, counters, NOW, Policy(kind=PolicyKind.FIFO), times())
    plain = estimate_all(["A"] * len(waiting), [c.load() for c in counters], NOW, times())
    assert plain is not None
    assert [calls[t.id] for t in waiting] == pytest.approx(plain)


def test_no_open_counter_for_the_service_gives_no_estimate() -> None:
    counters = [OpenCounter(CounterView(1, ("B",)))]
    lone = ticket(1)
    assert forecast_wait(lone, [lone], counters, NOW, Policy(), times()) is None


def _forecast_materialising(
    waiting: list[Ticket],
    counters: list[OpenCounter],
    policy: Policy,
    arrivals: Arrivals,
    horizon_s: float,
) -> dict[str, float]:
    """The forecast played the plain way, every expected arrival added to its group's queue
    as it comes: what the lazy streams of ``forecast_calls`` must agree with."""
    groups: dict[object, deque[Ticket]] = {}

    def key(t: Ticket) -> object:
        return (group_key(t), t.id if t.front_at is not None else None)

    for t in sorted(waiting, key=lambda t: (t.queued_at, t.issued_at, t.number, t.id)):
        groups.setdefault(key(t), deque()).append(t)
    coming = list(arrivals.coming(NOW, horizon_s))
    free = [(NOW + remaining(c.load(), NOW, times()), c.view.number) for c in counters]
    views = {c.view.number: c.view for c in counters}
    heapq.heapify(free)
    wanted, found = {t.id for t in waiting}, {}
    while free and wanted:
        at, number = heapq.heappop(free)
        if at > NOW + horizon_s:
            break
        while coming and coming[0].issued_at <= at:
            arrived = coming.pop(0)
            groups.setdefault(key(arrived), deque()).append(arrived)
        chosen = choose_next(views[number], [g[0] for g in groups.values() if g], at, policy)
        if chosen is None:
            if coming:
                heapq.heappush(free, (max(at, coming[0].issued_at), number))
            continue
        groups[key(chosen)].popleft()
        if chosen.id in wanted:
            wanted.discard(chosen.id)
            found[chosen.id] = at - NOW
        heapq.heappush(free, (at + times().expected_visit(chosen.service), number))
    return found


classes = st.tuples(st.sampled_from("ABC"), st.integers(0, 2), st.booleans())


@settings(max_examples=150, deadline=None)
@given(
    waiting=st.lists(st.tuples(classes, st.floats(0, 3600)), max_size=25),
    arrived=st.lists(st.tuples(classes, st.floats(0, 1800)), max_size=60),
    served=st.lists(st.sets(st.sampled_from("ABC"), min_size=1), min_size=1, max_size=4),
    kind=st.sampled_from(list(PolicyKind)),
    horizon_s=st.sampled_from([600.0, 3600.0, 4 * 3600.0]),
)
def test_forecast_with_lazy_arrivals_agrees_with_adding_every_arrival(
    waiting: list[tuple[tuple[str, int, bool], float]],
    arrived: list[tuple[tuple[str, int, bool], float]],
    served: list[set[str]],
    kind: PolicyKind,
    horizon_s: float,
) -> None:
    tickets = [
        ticket(n, service, NOW - ago, rank, green)
        for n, ((service, rank, green), ago) in enumerate(waiting)
    ]
    arrivals = Arrivals()
    for n, ((service, rank, green), ago) in sorted(
        enumerate(arrived), key=lambda item: -item[1][1]
    ):
        arrivals.record(ticket(1000 + n, service, NOW - ago, rank, green))
    counters = [OpenCounter(CounterView(k + 1, tuple(sorted(s)))) for k, s in enumerate(served)]
    policy = Policy(kind=kind)
    lazy = forecast_calls(
        tickets, counters, NOW, policy, times(), arrivals=arrivals, horizon_s=horizon_s
    )
    assert lazy == _forecast_materialising(tickets, counters, policy, arrivals, horizon_s)


def _positions_by_sort_key(
    waiting: list[Ticket],
    counters: list[OpenCounter],
    policy: Policy,
    arrivals: Arrivals,
    targets: list[str],
    horizon_s: float = 4 * 3600.0,
) -> dict[str, Forecast]:
    """Every forecast replayed the plain way: at each call, ``sort_key`` over every head the
    counter may call; "ahead" counted over all the calls of tickets waiting now; played to
    the horizon. What the forecast's per-counter orders (``routing.counter_order``), its
    aging keys per group, and its letting go of the tickets it cannot reach must agree with
    exactly."""
    heads = GroupHeads(waiting)
    heads.expect(arrivals.streams(NOW, horizon_s))
    free = [(NOW + remaining(c.load(), NOW, times()), c.view.number) for c in counters]
    views = {c.view.number: c.view for c in counters}
    groups = {n: heads.callable_by(view) for n, view in views.items()}
    heapq.heapify(free)
    present = {t.id for t in waiting}
    wanted, found = set(targets) & present, {}
    calls: list[tuple[float, CounterView]] = []
    while free and wanted:
        at, number = heapq.heappop(free)
        if at > NOW + horizon_s:
            break
        view = views[number]
        candidates = heads.keyed_heads(at, groups[number])
        if not candidates:
            if (later := heads.next_arrival(at)) is not None:
                heapq.heappush(free, (later, number))
            continue
        key, chosen = min(candidates, key=lambda kt: sort_key(kt[1], at, policy, view))
        heads.remove_head(chosen, key)
        if chosen.id in wanted:
            ahead = sum(1 for when, v in calls if when < at and can_call(v, chosen))
            found[chosen.id] = Forecast(at - NOW, ahead)
            wanted.discard(chosen.id)
        if chosen.id in present:
            calls.append((at, view))
        heapq.heappush(free, (at + times().expected_visit(chosen.service), number))
    return found


waiting_spec = st.tuples(
    classes,
    st.floats(0, 3600),
    st.sampled_from([None, None, None, 1, 2]),  # a target counter, sometimes
    st.booleans(),  # at the front (for any counter)
)


@settings(max_examples=200, deadline=None)
@given(
    waiting=st.lists(waiting_spec, max_size=40),
    arrived=st.lists(st.tuples(classes, st.floats(0, 1800)), max_size=40),
    served=st.lists(
        st.tuples(
            st.lists(st.sampled_from("ABC"), min_size=1, max_size=3, unique=True),
            st.booleans(),  # the counter prefers the green channel
            st.sampled_from([None, 0.0, 60.0, 400.0]),  # its customer's seconds at the desk
        ),
        min_size=1,
        max_size=4,
    ),
    kind=st.sampled_from(list(PolicyKind)),
    aging_rate=st.sampled_from([0.0, 1.0, 0.3]),
    newcomer=classes,
    horizon_s=st.sampled_from([4 * 3600.0, 3600.0, 900.0, 240.0]),
)
def test_forecast_with_counter_orders_is_the_plain_replay(
    waiting: list[tuple[tuple[str, int, bool], float, int | None, bool]],
    arrived: list[tuple[tuple[str, int, bool], float]],
    served: list[tuple[list[str], bool, float | None]],
    kind: PolicyKind,
    aging_rate: float,
    newcomer: tuple[str, int, bool],
    horizon_s: float,
) -> None:
    """A random hall, a newcomer at the back of its group: the forecast of every ticket
    (people ahead and wait, what the ticket and the phone page show) equals the plain replay
    that orders the heads with ``sort_key`` at every call."""
    tickets = [
        replace(
            ticket(n, service, NOW - ago, rank, green),
            target_counter=target,
            front_at=NOW - ago / 2 if front else None,
        )
        for n, ((service, rank, green), ago, target, front) in enumerate(waiting)
    ]
    service, rank, green = newcomer
    tickets.append(ticket(999, service, NOW, rank, green))
    arrivals = Arrivals()
    for n, ((s, r, g), ago) in sorted(enumerate(arrived), key=lambda item: -item[1][1]):
        arrivals.record(ticket(1000 + n, s, NOW - ago, r, g))
    counters = [
        OpenCounter(
            CounterView(k + 1, tuple(services), prefers_green=green_first),
            None if busy is None else NOW - busy,
            None if busy is None else services[0],
        )
        for k, (services, green_first, busy) in enumerate(served)
    ]
    policy = Policy(kind=kind, aging_rate=aging_rate)
    every = [t.id for t in tickets]
    for targets in (every, [every[-1]], every[-3:]):
        assert forecast_positions(
            tickets,
            counters,
            NOW,
            policy,
            times(),
            arrivals=arrivals,
            targets=targets,
            horizon_s=horizon_s,
        ) == _positions_by_sort_key(tickets, counters, policy, arrivals, targets, horizon_s)


@settings(max_examples=200, deadline=None)
@given(
    waiting=st.lists(waiting_spec, min_size=1, max_size=12),
    services=st.lists(st.sampled_from("ABC"), min_size=1, max_size=3, unique=True),
    green_first=st.booleans(),
    kind=st.sampled_from(list(PolicyKind)),
    later=st.lists(st.floats(0, 7200), min_size=1, max_size=4),
)
def test_a_counters_order_ranks_as_sort_key_at_every_moment(
    waiting: list[tuple[tuple[str, int, bool], float, int | None, bool]],
    services: list[str],
    green_first: bool,
    kind: PolicyKind,
    later: list[float],
) -> None:
    tickets = [
        replace(
            ticket(n, service, NOW - ago, rank, green),
            front_at=NOW - ago / 2 if front else None,
            front_counter=target,
        )
        for n, ((service, rank, green), ago, target, front) in enumerate(waiting)
    ]
    view = CounterView(1, tuple(services), prefers_green=green_first)
    policy = Policy(kind=kind)
    order = counter_order(policy, view)
    for dt in later:  # the same order function asked again later, as a forecast does
        at = NOW + dt
        assert sorted(tickets, key=lambda t: order(t, at)) == sorted(
            tickets, key=lambda t: sort_key(t, at, policy, view)
        )
        for t in tickets:  # the very same values (aging's tail nested)
            key, plain = order(t, at), sort_key(t, at, policy, view)
            if kind is PolicyKind.AGING:
                assert (*key[:2], *key[2]) == plain  # type: ignore[misc]
            else:
                assert key == plain


@settings(max_examples=100, deadline=None)
@given(
    cls=classes,
    tier=st.sampled_from(["normal", "gold"]),
    at=st.floats(0, 1e9),
    k=st.integers(0, 10**6),
)
def test_a_stand_in_is_the_ticket_it_stands_for(
    cls: tuple[str, int, bool], tier: str, at: float, k: int
) -> None:
    """A forecast's expected customer reads, field by field, as the plain ``Ticket``."""
    service, rank, green = cls
    made = _stand_in((service, tier, rank, green), at, k)
    plain = Ticket(
        id=f"~{service}{tier}{int(green)}{k}",
        number="~",
        service=service,
        tier=tier,
        tier_rank=rank,
        green_channel=green,
        status=Status.WAITING,
        issued_at=at,
        queued_at=at,
        business_day="",
    )
    assert isinstance(made, Ticket)
    assert {f.name: getattr(made, f.name) for f in fields(Ticket)} == asdict(plain)
    assert made.is_waiting and hash(made) == hash(plain)


@settings(max_examples=100, deadline=None)
@given(
    steps=st.lists(
        st.tuples(classes, st.sampled_from(["normal", "gold"]), st.floats(0, 900), st.booleans()),
        max_size=60,
    ),
    window_s=st.sampled_from([60.0, 600.0, 1800.0]),
)
def test_arrival_rates_are_the_window_counted_again(
    steps: list[tuple[tuple[str, int, bool], str, float, bool]], window_s: float
) -> None:
    """The rates kept as arrivals come and leave the window are the window counted afresh,
    class by class in the order of their first arrival there (the order a forecast's
    stand-ins are made in)."""
    arrivals, plain = Arrivals(window_s), deque[tuple[float, tuple[str, str, int, bool]]]()
    at = NOW
    for (service, rank, green), tier, gap, ask in steps:
        at += gap
        arrivals.record(replace(ticket(0, service, at, rank, green), tier=tier))
        plain.append((at, (service, tier, rank, green)))
        if ask:
            copied = arrivals.copy()
            while plain and plain[0][0] < at - window_s:
                plain.popleft()
            counts: dict[tuple[str, str, int, bool], int] = {}
            for _, cls in plain:
                counts[cls] = counts.get(cls, 0) + 1
            expected = [(cls, n / window_s) for cls, n in counts.items()]
            assert list(arrivals.rates(at).items()) == expected
            assert list(copied.rates(at).items()) == expected


@settings(max_examples=100, deadline=None)
@given(waiting=st.lists(waiting_spec, max_size=30), others=st.integers(0, 3))
def test_group_heads_from_the_hall_index_are_the_sorted_ones(
    waiting: list[tuple[tuple[str, int, bool], float, int | None, bool]], others: int
) -> None:
    """The forecast's groups taken from the hall's index (plus a few tickets not in it yet)
    are the ones it would sort out of the whole list, in the same order."""
    tickets = [
        replace(
            ticket(n, service, NOW - ago, rank, green),
            target_counter=target,
            front_at=NOW - ago / 2 if front else None,
        )
        for n, ((service, rank, green), ago, target, front) in enumerate(waiting)
    ]
    indexed, extra = tickets[others:], tickets[:others]
    grouped = GroupHeads.of(WaitingIndex.of(indexed), extra)
    plain = GroupHeads(tickets)
    assert {k: list(g) for k, g in grouped.groups.items()} == {
        k: list(g) for k, g in plain.groups.items()
    }
