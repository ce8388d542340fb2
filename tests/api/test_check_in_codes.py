"""A check-in code typed at the lobby or the kiosk (``usecases.codes``), on an injected clock:
a phone's ticket and an appointment check in by it and answer their ticket in the queue; a
code that names nothing waiting says why (mistyped, used, expired, given back, too early,
missed), and a kiosk's retry with the same key gets the same ticket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_core.config import BranchConfig, load_config
from queue_core.domain.errors import DomainError
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.appointments import BookAppointment, CancelAppointment, ReleaseNoShows
from queue_core.usecases.codes import CheckInByCode, typed_code
from queue_core.usecases.counters import MoveCounter
from queue_core.usecases.remote import GiveBack, TakeRemote
from queue_core.usecases.tickets import IssueTicket

PHONE = "0123456789abcdef0123456789abcdef"
SECRET = b"k" * 32
#: 2025-11-13 10:30 in Shanghai: the start of a booking window.
TEN_THIRTY = 1_763_001_000.0
DAY = "2025-11-13"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def configured() -> BranchConfig:
    config = load_config()
    appointments = config.appointments.model_copy(update={"phone": True})
    settings = config.remote.model_copy(update={"enabled": True, "valid_minutes": 60})
    return config.model_copy(update={"appointments": appointments, "remote": settings})


@pytest.fixture
def clock() -> Clock:
    return Clock(TEN_THIRTY - 86400)


@pytest.fixture
def branch(tmp_path: Path, clock: Clock) -> Iterator[Branch]:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    found = Branch(configured(), store, SECRET, clock=clock)
    yield found
    found.stop()
    store.dispose()


def refused(branch: Branch, command: object) -> str:
    with pytest.raises(DomainError) as caught:
        branch.execute_sync(command)  # type: ignore[arg-type]
    return caught.value.code


def take(branch: Branch, service: str = "A", browser: str = PHONE) -> tuple[str, str]:
    """A ticket taken from a phone: its id and its check-in code."""
    taken = branch.execute_sync(TakeRemote(service, browser)).value
    return taken.id, str(taken.check_in_code)


def test_a_phones_ticket_checks_in_by_its_code_once_and_answers_its_place(
    branch: Branch, clock: Clock
) -> None:
    clock.now = TEN_THIRTY
    branch.execute_sync(MoveCounter(1, "open", "t01"))
    branch.execute_sync(IssueTicket("kiosk-1", "A"))
    ticket_id, code = take(branch)
    done = branch.execute_sync(CheckInByCode(f"{code[:4]} {code[4:]}", "kiosk-1", "k-1"))
    assert done.value.id == ticket_id and done.body["status"] == "waiting"
    assert done.body["ahead"] == 1 and done.body["estimated_wait_s"] is not None
    # The kiosk's retry after a lost answer: the same ticket, not "used".
    again = branch.execute_sync(CheckInByCode(code, "kiosk-1", "k-1"))
    assert again.value.id == ticket_id
    assert refused(branch, CheckInByCode(code, "kiosk-1", "k-2")) == "check_in_code_used"
    assert refused(branch, CheckInByCode(code)) == "check_in_code_used"  # the lobby's too


def test_a_scanner_types_the_prefix_and_a_mistyped_code_is_told_apart(branch: Branch) -> None:
    assert typed_code("BQ12345678") == typed_code("bq:1234-5678") == "12345678"
    assert refused(branch, CheckInByCode("1234567")) == "invalid_check_in_code"
    assert refused(branch, CheckInByCode("BQ1234567X")) == "invalid_check_in_code"
    assert refused(branch, CheckInByCode("12345678")) == "check_in_code_unknown"


def test_an_expired_or_given_back_ticket_says_so(branch: Branch, clock: Clock) -> None:
    clock.now = TEN_THIRTY
    late_id, late = take(branch)
    back_id, back = take(branch, "B", "f" * 32)
    branch.execute_sync(GiveBack(back_id))
    clock.now += 3601  # past its hour of validity, before the housekeeping lapsed it
    assert refused(branch, CheckInByCode(late)) == "check_in_expired"
    assert branch.reads.ticket(late_id)["status"] == "remote"  # refused, nothing changed
    assert refused(branch, CheckInByCode(back)) == "check_in_cancelled"


def test_an_appointment_checks_in_by_its_code_within_its_window(
    branch: Branch, clock: Clock
) -> None:
    booked = branch.execute_sync(
        BookAppointment("A", DAY, TEN_THIRTY, "phone", browser=PHONE)
    ).value
    gone = branch.execute_sync(BookAppointment("A", DAY, TEN_THIRTY + 1800, "lobby:lobby1")).value
    missed = branch.execute_sync(BookAppointment("A", DAY, TEN_THIRTY - 3600, "lobby:lobby1")).value
    branch.execute_sync(CancelAppointment(gone.id))
    assert refused(branch, CheckInByCode(booked.code)) == "too_early"  # the day before
    clock.now = TEN_THIRTY + 60
    branch.execute_sync(ReleaseNoShows())
    assert refused(branch, CheckInByCode(missed.code)) == "appointment_missed"
    assert refused(branch, CheckInByCode(gone.code)) == "cannot_check_in_cancelled"
    done = branch.execute_sync(CheckInByCode(booked.code, "kiosk-1", "k-9"))
    assert done.value.appointment == booked.id and done.body["status"] == "waiting"
    assert refused(branch, CheckInByCode(booked.code)) == "check_in_code_used"
