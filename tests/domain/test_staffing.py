"""The staffing advice's vocabulary: what kind of day it is, and whether an advice was followed."""

from __future__ import annotations

from datetime import date

import pytest

from queue_core.domain.errors import IllegalMove
from queue_core.domain.routing import CounterView
from queue_core.domain.staffing import (
    EXPIRE_AFTER_S,
    OBSERVED_S,
    AdviceRecord,
    Change,
    CounterNow,
    day_type,
    followed,
    observe,
    outcomes,
    resolve,
    review,
)


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


def _record(**kw: object) -> AdviceRecord:
    base: dict[str, object] = dict(
        id=1, business_day="2026-12-14", given_at=1000.0, change=Change("open", 5, 1600.0),
        before_over=0.46, after_over=0.31, before_mean_s=300.0, after_mean_s=180.0,
    )  # fmt: skip
    base.update(kw)
    return AdviceRecord(**base)  # type: ignore[arg-type]


def test_an_advice_says_its_figure() -> None:
    assert _record().text.startswith("open counter 5: waits over 3 min in the next hour 46% → 31%")


def test_the_lobby_follows_or_dismisses_an_open_advice_once() -> None:
    done = resolve(_record(), "dismissed", 1200.0, "lobby")
    assert (done.state, done.resolved_at, done.resolved_by) == ("dismissed", 1200.0, "lobby")
    with pytest.raises(IllegalMove) as refused:
        resolve(done, "followed", 1300.0, "lobby")
    assert refused.value.code == "advice_closed"
    with pytest.raises(IllegalMove):
        resolve(_record(), "expired", 1300.0, "lobby")


def test_an_open_advice_is_followed_when_the_counter_opens_and_expires_when_long_due() -> None:
    closed = CounterNow(CounterView(5, ("C",)), "closed")
    opened = CounterNow(CounterView(5, ("C",)), "open")
    assert review(_record(), closed, 1700.0).state == "open"
    assert review(_record(), opened, 1700.0).state == "followed"
    late = review(_record(), closed, 1600.0 + EXPIRE_AFTER_S + 1)
    assert (late.state, late.resolved_at) == ("expired", 1600.0 + EXPIRE_AFTER_S + 1)
    assert review(late, opened, 9999.0) is late


def test_the_hour_after_an_advice_is_observed_once_every_wait_is_known() -> None:
    a = _record()
    hour_later = a.given_at + OBSERVED_S
    assert observe(a, [100.0, 400.0], hour_later - 1, 180.0) is a  # the hour is not over
    assert observe(a, [100.0, None], hour_later, 180.0) is a  # one may still be within
    seen = observe(a, [100.0, 400.0, 200.0, 50.0], hour_later, 180.0)
    assert (seen.observed_over, seen.observed_n) == (0.5, 4)
    assert observe(seen, [1000.0], hour_later + 60, 180.0) is seen


def test_the_days_outcomes_pool_the_hours_after_by_what_was_done() -> None:
    """Followed advice came out near its forecast with the change, advice set aside near its
    forecast as things stood; an hour not yet counted and open advice weigh nothing."""
    day = [
        _record(id=1, state="followed", observed_over=0.30, observed_n=30),
        _record(id=2, state="followed", before_over=0.26, after_over=0.11, observed_over=0.10,
                observed_n=10),
        _record(id=3, state="followed"),  # its hour is not over yet
        _record(id=4, state="dismissed", observed_over=0.50, observed_n=20),
        _record(id=5),  # still open
    ]  # fmt: skip
    followed_, dismissed = outcomes(day)
    assert (followed_.state, followed_.advice, followed_.observed_advice) == ("followed", 3, 2)
    assert followed_.customers == 40
    assert followed_.forecast_before == pytest.approx((0.46 * 30 + 0.26 * 10) / 40)
    assert followed_.forecast_after == pytest.approx((0.31 * 30 + 0.11 * 10) / 40)
    assert followed_.observed == pytest.approx((0.30 * 30 + 0.10 * 10) / 40)
    assert (dismissed.state, dismissed.customers, dismissed.observed) == ("dismissed", 20, 0.5)
    waiting = outcomes([_record(state="expired")])
    assert [(o.state, o.advice, o.customers, o.observed) for o in waiting] == [
        ("expired", 1, 0, None)
    ]
    assert outcomes([_record()]) == ()
