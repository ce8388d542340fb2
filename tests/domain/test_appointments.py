"""Appointments: booking limits, the check-in window, no-shows, and the bounded head start
that puts an appointment ahead of recent walk-ins of its class and behind longer waits."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queue_core.domain import appointments as appt
from queue_core.domain.appointments import Appointment, AppointmentRules, AppointmentStatus
from queue_core.domain.errors import IllegalMove, InvalidInput
from queue_core.domain.routing import CounterView, Policy, PolicyKind, choose_next
from tests.domain.builders import ticket

MIN = 60.0
RULES = AppointmentRules(head_start_s=15 * MIN, early_s=15 * MIN, per_slot=2)
OPEN, CLOSE = 9 * 3600.0, 17 * 3600.0
CASH = CounterView(2, ("A",))


def booked(start: float = 10 * 3600.0, **more: object) -> Appointment:
    base = Appointment(
        id="ap1", code="482913", service="A", day="2026-11-13", start=start,
        end=start + 30 * MIN, status=AppointmentStatus.BOOKED, booked_at=0.0,
        booked_by="lobby:lobby", tier="normal",
    )  # fmt: skip
    return replace(base, **more)  # type: ignore[arg-type]


def test_booking_needs_an_open_window_in_hours_and_in_time() -> None:
    day_before = 10 * 3600.0 - 86400
    appt.check_booking(10 * 3600, 10.5 * 3600, day_before, 1, RULES, OPEN, CLOSE)
    refusals = [
        ((10 * 3600, 10.5 * 3600, day_before, 2), "window_full"),
        ((8 * 3600, 8.5 * 3600, day_before - 7200, 0), "outside_opening_hours"),
        ((10 * 3600, 11.5 * 3600, day_before, 0), "invalid_window"),
        ((10 * 3600, 10.5 * 3600, 9.5 * 3600, 0), "too_late_to_book"),
        ((10 * 3600, 10.5 * 3600, day_before - 8 * 86400, 0), "too_early_to_book"),
    ]
    for (start, end, now, taken), code in refusals:
        with pytest.raises((IllegalMove, InvalidInput)) as info:
            appt.check_booking(start, end, now, taken, RULES, OPEN, CLOSE)
        assert info.value.code == code
    assert len(appt.windows(OPEN, CLOSE, RULES)) == 16


def test_check_in_is_allowed_from_early_until_the_window_ends() -> None:
    a = booked()
    with pytest.raises(IllegalMove) as early:
        appt.check_in(a, a.start - 16 * MIN, RULES)
    assert early.value.code == "too_early"
    with pytest.raises(IllegalMove) as late:
        appt.check_in(a, a.end + 1, RULES)
    assert late.value.code == "appointment_missed"
    arrived = appt.check_in(a, a.start - 5 * MIN, RULES)
    assert arrived.status is AppointmentStatus.ARRIVED and arrived.checked_in_at == a.start - 300
    with pytest.raises(IllegalMove) as twice:
        appt.check_in(arrived, a.start, RULES)
    assert twice.value.code == "cannot_check_in_arrived"


def test_a_window_without_check_in_is_released_as_a_no_show() -> None:
    a = booked()
    assert not appt.is_overdue(a, a.end, RULES)
    assert appt.is_overdue(a, a.end + 1, RULES)
    released = appt.release(a, a.end + 60)
    assert released.status is AppointmentStatus.NO_SHOW
    assert not appt.is_overdue(released, a.end + 120, RULES)
    with pytest.raises(IllegalMove):
        appt.cancel(released, a.end + 120)


def test_early_and_late_check_ins_earn_nothing_beyond_the_head_start() -> None:
    a = booked()
    assert appt.queue_time(a, a.start - 10 * MIN, RULES) == a.start - 15 * MIN  # early
    assert appt.queue_time(a, a.start + 20 * MIN, RULES) == a.start + 5 * MIN  # late


@given(
    walked_in=st.floats(min_value=0, max_value=3600),
    checked_in=st.floats(min_value=0, max_value=3600),
    waited=st.floats(min_value=0, max_value=3600),
    kind=st.sampled_from(list(PolicyKind)),
)
def test_an_appointment_overtakes_only_walk_ins_of_less_than_the_head_start(
    walked_in: float, checked_in: float, waited: float, kind: PolicyKind
) -> None:
    """Same class, one counter: the appointment goes first exactly when the walk-in arrived
    less than the head start before the appointment's place in time."""
    now = max(walked_in, checked_in) + waited
    a = booked(start=checked_in)
    walk = ticket("A001", at=walked_in)
    holder = ticket("A002", at=checked_in, queued_at=appt.queue_time(a, checked_in, RULES))
    first = choose_next(CASH, [walk, holder], now, Policy(kind))
    assert first is not None
    if walked_in < checked_in - RULES.head_start_s:
        assert first is walk
    elif walked_in > checked_in - RULES.head_start_s:
        assert first is holder
