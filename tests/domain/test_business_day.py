"""The business day: its bounds in the branch's zone, and what starting a day does."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from queue_core.domain import counters as c
from queue_core.domain import tickets as t
from queue_core.domain.business_day import BusinessDay
from queue_core.domain.counters import Counter, CounterState
from queue_core.domain.tickets import Status
from tests.domain.builders import ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp()


def test_a_day_runs_midnight_to_midnight_in_the_branch_zone() -> None:
    day = BusinessDay.of(at("2026-11-13 00:00:30"), SHANGHAI)
    assert day.date == "2026-11-13"
    assert (day.start, day.end) == (at("2026-11-13 00:00"), at("2026-11-14 00:00"))
    assert (day.opening, day.closing) == (at("2026-11-13 09:00"), at("2026-11-13 17:00"))
    assert day.contains(at("2026-11-13 23:59:59")) and not day.contains(at("2026-11-12 23:59"))
    assert BusinessDay.of(at("2026-11-13 07:00"), ZoneInfo("UTC")).date == "2026-11-12"


def test_a_new_day_voids_earlier_open_tickets_and_keeps_todays() -> None:
    day = BusinessDay.of(at("2026-11-14 08:00"), SHANGHAI)
    old_waiting = ticket("A007", business_day="2026-11-13")
    old_skipped = t.skip(t.call(ticket("A008", business_day="2026-11-13"), 2, 1), 2)
    today = ticket("A001", business_day="2026-11-14")
    change = day.change([old_waiting, old_skipped, today], [], at("2026-11-14 08:00"))
    assert [v.number for v in change.voided] == ["A007", "A008"]
    assert {v.status for v in change.voided} == {Status.CANCELLED}


def test_a_new_day_closes_yesterdays_counters_and_leaves_todays() -> None:
    now = at("2026-11-14 09:05")
    day = BusinessDay.of(now, SHANGHAI)
    yesterday = c.open_counter(Counter(3), at("2026-11-13 09:00"), "t03")
    paused = c.pause(
        c.open_counter(Counter(5), at("2026-11-13 09:00"), "t05"), at("2026-11-13 12:00"), "t05"
    )
    this_morning = c.open_counter(Counter(2), at("2026-11-14 09:01"), "t02")
    closed_yesterday = Counter(4, since=at("2026-11-13 17:00"))
    change = day.change([], [yesterday, paused, this_morning, closed_yesterday], now)
    assert [(x.number, x.state, x.teller) for x in change.closed] == [
        (3, CounterState.CLOSED, None),
        (5, CounterState.CLOSED, None),
    ]
    assert not day.change([], [this_morning, closed_yesterday], now)


def test_the_kiosk_offers_a_service_while_a_counter_works_it_or_before_the_branch_works() -> None:
    now = at("2026-11-14 08:30")
    day = BusinessDay.of(now, SHANGHAI)
    closed = [(Counter(5), ("C",)), (Counter(7), ("V", "A"))]
    assert day.offers("C", closed, now) and day.offers("V", closed, now)
    lunch = [(Counter(5), ("C",)), (Counter(7, CounterState.PAUSED), ("V", "A"))]
    assert day.offers("V", lunch, now) and not day.offers("C", lunch, now)
    assert not day.offers("C", closed, at("2026-11-14 17:30"))


def test_an_announcement_without_an_end_ends_with_its_day() -> None:
    day = BusinessDay.of(at("2026-11-14 08:00"), SHANGHAI)
    now = at("2026-11-14 08:00")
    assert day.announcement_active(at("2026-11-14 07:50"), None, None, now)
    assert not day.announcement_active(at("2026-11-13 15:00"), None, None, now)
    assert day.announcement_active(at("2026-11-13 15:00"), at("2026-11-14 10:00"), None, now)
    assert not day.announcement_active(at("2026-11-14 07:50"), None, at("2026-11-14 07:55"), now)
