"""Appointments in the engine, on an injected clock: booking a window (the lobby, and the phone
where the branch allows it) within its capacity and the booking limits; the check-in that puts
the customer ahead of the walk-ins of their class by the head start and no further; the
no-show released once the window is over; the events; the day's figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_core.config import BranchConfig, load_config
from queue_core.domain import remote
from queue_core.domain.appointments import day_figures
from queue_core.domain.errors import DomainError
from queue_core.security import door_key
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.appointments import (
    BookAppointment,
    CancelAppointment,
    CheckInAppointments,
    ReleaseNoShows,
)
from queue_core.usecases.counters import CallNext, Finish, MoveCounter
from queue_core.usecases.tickets import IssueTicket

PHONE = "0123456789abcdef0123456789abcdef"
SECRET = b"k" * 32
MIN = 60.0
#: 2025-11-13 10:30 in Shanghai: the start of a booking window (09:00 + 3 × 30 min).
TEN_THIRTY = 1_763_001_000.0
DAY = "2025-11-13"
TOMORROW = "2025-11-14"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def configured(**settings: object) -> BranchConfig:
    config = load_config()
    appointments = config.appointments.model_copy(update={"phone": True, **settings})
    remote_settings = config.remote.model_copy(update={"enabled": True})
    return config.model_copy(update={"appointments": appointments, "remote": remote_settings})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    found = Store(f"sqlite:///{tmp_path / 'q.db'}")
    yield found
    found.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(TEN_THIRTY - 86400)  # the day before, at 10:30


@pytest.fixture
def branch(store: Store, clock: Clock) -> Iterator[Branch]:
    found = Branch(configured(per_slot=2), store, SECRET, clock=clock)
    yield found
    found.stop()


def refused(branch: Branch, command: object) -> str:
    with pytest.raises(DomainError) as caught:
        branch.execute_sync(command)  # type: ignore[arg-type]
    return caught.value.code


def book(branch: Branch, start: float = TEN_THIRTY, **more: object) -> BookAppointment:
    fields: dict[str, object] = {"booked_by": "lobby:lobby1", **more}
    return BookAppointment(service="A", day=DAY, start=start, **fields)  # type: ignore[arg-type]


def test_the_lobby_books_tomorrows_windows_within_their_capacity(
    branch: Branch, clock: Clock
) -> None:
    run = branch.execute_sync
    first = run(book(branch, note="50 000 元现金")).value
    assert first.status.value == "booked" and remote.is_check_in_code(first.code)
    assert (first.start, first.end) == (TEN_THIRTY, TEN_THIRTY + 30 * MIN)
    run(book(branch, tier="gold"))
    assert refused(branch, book(branch)) == "window_full"  # per_slot = 2
    assert refused(branch, book(branch, start=TEN_THIRTY + 60)) == "invalid_window"
    assert refused(branch, book(branch, start=TEN_THIRTY + 10 * 3600)) == "invalid_window"
    assert refused(branch, book(branch, tier="platinum")) == "unknown_tier"

    # Tomorrow's list, as the lobby prepares it: in window order, the note, the code.
    listed = branch.reads.appointments(DAY)
    assert [(a["start"][11:16], a["tier"], a["status"]) for a in listed] == [
        ("10:30", "normal", "booked"),
        ("10:30", "gold", "booked"),
    ]
    assert listed[0]["note"] == "50 000 元现金" and listed[0]["code"] == first.code
    slots = branch.reads.appointment_slots("A", DAY)["windows"]
    assert {w["start"][11:16]: w["free"] for w in slots}["10:30"] == 0
    assert {w["start"][11:16]: w["free"] for w in slots}["11:00"] == 2

    run(CancelAppointment(first.id))  # cancelled: its place is free again
    assert refused(branch, CancelAppointment(first.id)) == "cannot_cancel_cancelled"
    run(book(branch))
    clock.now = TEN_THIRTY - 30 * MIN  # within the hour before the window: too late
    assert refused(branch, book(branch, start=TEN_THIRTY)) == "too_late_to_book"
    run(book(branch, start=TEN_THIRTY + 30 * MIN))  # an hour ahead: still open


def test_a_checked_in_appointment_goes_ahead_of_walk_ins_by_the_head_start_only(
    branch: Branch, clock: Clock
) -> None:
    run = branch.execute_sync
    booked = run(book(branch)).value
    clock.now = TEN_THIRTY - 20 * MIN
    assert refused(branch, CheckInAppointments(code=booked.code)) == "too_early"
    early_walk_in = run(IssueTicket("kiosk-1", "A")).value.ticket  # waited 20 minutes
    clock.now = TEN_THIRTY - 5 * MIN
    late_walk_in = run(IssueTicket("kiosk-1", "A")).value.ticket  # waited 5 minutes
    clock.now = TEN_THIRTY + 2 * MIN

    checked = run(CheckInAppointments(code=booked.code)).value
    (a,), (t,) = checked.appointments, checked.tickets
    assert a.status.value == "arrived" and a.ticket_id == t.id and t.appointment == a.id
    assert t.queued_at == TEN_THIRTY + 2 * MIN - 15 * MIN  # the head start, from the check-in
    assert refused(branch, CheckInAppointments(code=booked.code)) == "appointment_not_found"

    run(MoveCounter(3, "open", "t03"))
    called = []
    for _ in range(3):
        ticket = run(CallNext(3, "t03")).value
        assert ticket is not None
        called.append(ticket.id)
        run(Finish(3, "t03"))
    # The appointment overtakes the walk-in of 5 minutes, not the one of 20.
    assert called == [early_walk_in.id, t.id, late_walk_in.id]


def test_a_no_show_is_released_after_its_window_and_frees_its_place(
    branch: Branch, store: Store, clock: Clock
) -> None:
    run = branch.execute_sync
    booked = run(book(branch)).value
    run(book(branch))
    clock.now = TEN_THIRTY + 29 * MIN
    assert run(ReleaseNoShows()).value == 0
    clock.now = TEN_THIRTY + 31 * MIN
    assert refused(branch, CheckInAppointments(code=booked.code)) == "appointment_missed"
    assert run(ReleaseNoShows()).value == 2
    assert [a["status"] for a in branch.reads.appointments(DAY)] == ["no_show", "no_show"]
    types = [e.type for e in store.events_after(0, 1000) if e.type.startswith("appointment.")]
    assert types == ["appointment.booked"] * 2 + ["appointment.no_show"] * 2
    no_show = next(e for e in store.events_after(0, 1000) if e.type == "appointment.no_show")
    assert "code" not in no_show.data["appointment"] and "note" not in no_show.data["appointment"]


def test_a_phone_books_where_the_branch_allows_it_and_checks_in_at_the_door(
    store: Store, clock: Clock
) -> None:
    closed = Branch(configured(phone=False), store, SECRET, clock=clock)
    try:
        assert refused(closed, book(closed, browser=PHONE, booked_by="phone")) == (
            "phone_booking_off"
        )
        assert closed.reads.phone_branch()["appointments"]["days"] == []
    finally:
        closed.stop()
    branch = Branch(configured(per_browser=1, services=["A"]), store, SECRET, clock=clock)
    run = branch.execute_sync
    try:
        offered = branch.reads.phone_branch()["appointments"]
        assert offered["phone"] and offered["services"] == ["A"]
        assert offered["days"][:2] == [DAY[:-2] + "12", DAY]  # today (still 10:30) and tomorrow
        assert refused(branch, BookAppointment("B", DAY, TEN_THIRTY, "phone", browser=PHONE)) == (
            "no_appointments_for_service"
        )
        mine = run(book(branch, browser=PHONE, booked_by="phone")).value
        assert refused(branch, book(branch, browser=PHONE, booked_by="phone")) == (
            "appointment_limit"
        )
        public = branch.reads.public_appointment(mine.id)
        assert public["code"] == mine.code and public["ticket_url"] is None

        clock.now = TEN_THIRTY - 10 * MIN  # ten minutes early: within early_minutes
        code, _ = remote.door_code(door_key(SECRET), clock.now, branch.config.remote.rules())
        stale = CheckInAppointments((mine.id,), door_code="0" * 20)
        assert refused(branch, stale) == "check_in_code_stale"
        checked = run(CheckInAppointments((mine.id, "gone"), door_code=code)).value
        assert [a.status.value for a in checked.appointments] == ["arrived"]
        public = branch.reads.public_appointment(mine.id)
        assert public["code"] == "" and public["ticket_url"] == f"/t/{checked.tickets[0].id}"
        # Early: its place in time is the window's start less the head start.
        assert checked.tickets[0].queued_at == TEN_THIRTY - 15 * MIN
    finally:
        branch.stop()


def test_the_days_figures_count_appointments_and_their_waits(branch: Branch, clock: Clock) -> None:
    run = branch.execute_sync
    came = run(book(branch)).value
    run(book(branch))
    gone = run(book(branch, start=TEN_THIRTY + 30 * MIN)).value
    run(CancelAppointment(gone.id))
    clock.now = TEN_THIRTY + 1 * MIN
    run(CheckInAppointments(code=came.code))
    run(MoveCounter(3, "open", "t03"))
    clock.now = TEN_THIRTY + 4 * MIN
    run(CallNext(3, "t03"))
    clock.now = TEN_THIRTY + 40 * MIN
    run(ReleaseNoShows())
    figures = day_figures(branch.reads.appointments_of_day(DAY), branch.reads.tickets_of_day(DAY))
    assert {k: figures[k] for k in ("booked", "arrived", "no_show", "cancelled", "expected")} == {
        "booked": 2,
        "arrived": 1,
        "no_show": 1,
        "cancelled": 1,
        "expected": 0,
    }
    assert figures["waits"]["mean_s"] == 180.0 and figures["past_start"]["max_s"] == 240.0
