"""A new business day: yesterday's open tickets are void, counters closed, numbers restart."""

from __future__ import annotations

from pathlib import Path

from queue_core.config import load_config
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.counters import CallNext, MoveCounter
from queue_core.usecases.day import StartDay
from queue_core.usecases.tickets import IssueTicket


class Clock:
    def __init__(self) -> None:
        self.now = 1_763_020_800.0  # 16:00 in Shanghai

    def __call__(self) -> float:
        return self.now


def test_end_of_day_voids_open_tickets_and_numbers_restart(tmp_path: Path) -> None:
    clock = Clock()
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    branch = Branch(load_config(), store, b"k" * 32, clock=clock)
    run = branch.execute_sync
    try:
        run(MoveCounter(2, "open", "t02"))
        first = run(IssueTicket("kiosk-1", "A")).body
        run(IssueTicket("kiosk-1", "A"))
        assert run(CallNext(2, "t02")).value is not None  # A001 is at the desk at closing time
        assert run(StartDay()).value == 0  # same day: nothing to do

        clock.now += 18 * 3600  # 10:00 the next morning
        assert run(StartDay()).value == 2
        assert run(StartDay()).value == 0
        yesterday = store.tickets_of_day(first["issued_at"][:10])
        assert {t.status.value for t in yesterday} == {"cancelled"}
        counter = branch.reads.counter(2)
        assert counter["state"] == "closed" and counter["current"] is None

        run(MoveCounter(2, "open", "t02"))
        assert run(IssueTicket("kiosk-1", "A")).body["number"] == "A001"
        called = run(CallNext(2, "t02")).body
        assert called is not None and called["number"] == "A001"
    finally:
        branch.stop()
        store.dispose()


def test_several_tickets_issued_in_one_transaction_get_distinct_numbers(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    branch = Branch(load_config(), store, b"k" * 32, clock=Clock())
    try:
        done = branch.runner.execute_together([IssueTicket("lobby", "A") for _ in range(3)])
        assert [d.body["number"] for d in done] == ["A001", "A002", "A003"]  # type: ignore[union-attr]
    finally:
        branch.stop()
        store.dispose()
