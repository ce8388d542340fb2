"""The staffing advice's vocabulary: what kind of day it is, and whether an advice was followed."""

from __future__ import annotations

from datetime import date

from queue_core.domain.routing import CounterView
from queue_core.domain.staffing import Change, CounterNow, day_type, followed


def test_the_13th_and_the_days_after_are_pension_days_the_months_ends_wage_days() -> None:
    assert [day_type(date(2026, 3, d)) for d in (12, 13, 14, 15, 16)] == [
        "weekday", "pension_day", "pension_day", "pension_day", "weekday"
    ]  # fmt: skip
    assert [day_type(date(2026, 3, d)) for d in (1, 2, 3, 29, 30, 31)] == [
        "wage_day", "wage_day", "weekday", "weekday", "wage_day", "wage_day"
    ]  # fmt: skip
    assert day_type(date(2026, 2, 27)) == "wage_day" and day_type(date(2026, 12, 31)) == "wage_day"
    assert day_type(date(2026, 3, 13), pension_days=(10,)) == "weekday"


def test_an_advice_is_followed_when_the_counter_is_as_it_asked() -> None:
    closed = CounterNow(CounterView(9, ("A", "B")), "closed")
    opened = CounterNow(CounterView(9, ("A", "B")), "open")
    assert followed(Change("open", 9, 0.0), opened) and not followed(Change("open", 9, 0.0), closed)
    assert followed(Change("close", 9, 0.0), closed) and not followed(
        Change("close", 9, 0.0), opened
    )
    take = Change("take", 4, 0.0, ("V",))
    assert not followed(take, CounterNow(CounterView(4, ("B", "D", "A")), "open"))
    assert followed(take, CounterNow(CounterView(4, ("B", "D", "A", "V")), "open"))
    assert not followed(Change("open", 5, 0.0, ("A",)), CounterNow(CounterView(5, ("C",)), "open"))
