"""The appointments block of a branch's day rebuilt from its events alone, as the centre does
(``rebuild.project``): the same figures as the branch's own ``GET /stats/daily`` computes from
its appointments table, waits included, on an injected clock (a check-in and its call at
chosen times, a no-show, a cancellation, a transfer after the call)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from queue_core.central.protocol import UpEvent
from queue_core.central.rebuild import project, with_appointments
from queue_core.config import load_config
from queue_core.domain import appointments
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.appointments import (
    BookAppointment,
    CancelAppointment,
    CheckInAppointments,
    ReleaseNoShows,
)
from queue_core.usecases.counters import CallNext, MoveCounter, Transfer
from queue_core.usecases.tickets import IssueTicket

#: 2025-11-13 10:30 in Shanghai: the start of a booking window.
TEN_THIRTY = 1_763_001_000.0
DAY = "2025-11-13"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    found = Store(f"sqlite:///{tmp_path / 'q.db'}")
    yield found
    found.dispose()


def test_the_centre_rebuilds_the_appointments_block_from_the_events(store: Store) -> None:
    clock = Clock(TEN_THIRTY - 86400)
    config = load_config()
    branch = Branch(config, store, b"k" * 32, clock=clock)
    try:
        run = branch.execute_sync
        book = [
            run(BookAppointment("A", DAY, start, "lobby:lobby1", note="50 000 元")).value
            for start in (TEN_THIRTY, TEN_THIRTY, TEN_THIRTY - 3600, TEN_THIRTY, TEN_THIRTY + 7200)
        ]
        run(CancelAppointment(book[3].id))
        clock.now = TEN_THIRTY - 600
        run(MoveCounter(1, "open", "t01"))
        run(IssueTicket("kiosk-1", "A"))
        run(CheckInAppointments((book[0].id,), by_lobby=True))
        clock.now += 90.5
        run(CheckInAppointments((book[1].id,), by_lobby=True))
        clock.now += 400.25
        run(CallNext(1, "t01"))
        clock.now += 200
        run(Transfer(1, service="B", teller="t01"))
        run(CallNext(1, "t01"))
        clock.now = TEN_THIRTY + 60
        run(ReleaseNoShows())
        mine = appointments.day_figures(store.appointments_of_day(DAY), store.tickets_of_day(DAY))
        events = [UpEvent(e.seq, e.type, e.at, e.data) for e in store.events_after(0, 10_000)]
    finally:
        branch.stop()
    ranks = {t.code: t.rank for t in config.tiers}
    rebuilt = project(events, SHANGHAI, ranks)
    booked = [a.to_domain() for a in rebuilt.appointments.values() if a.day == DAY]
    tickets = [t for _, t in rebuilt.tickets.values() if t.business_day == DAY]
    theirs = appointments.day_figures(booked, with_appointments(tickets, booked))
    assert theirs == mine
    assert (mine["booked"], mine["arrived"], mine["no_show"], mine["cancelled"]) == (4, 2, 1, 1)
    assert mine["expected"] == 1 and mine["waits"]["count"] == 2
    # The events carry no check-in code and no note: the centre has neither.
    assert all(a.code == "" and a.note == "" for a in booked)
    assert not any(b.code in str(e.data) for b in book for e in events)
