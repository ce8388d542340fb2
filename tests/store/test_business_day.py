"""A new business day: yesterday's open tickets are void, counters closed, numbers restart."""

from __future__ import annotations

from pathlib import Path

from queue_core.config import load_config
from queue_core.service import Branch
from queue_core.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 1_763_020_800.0  # 16:00 in Shanghai

    def __call__(self) -> float:
        return self.now


def test_end_of_day_voids_open_tickets_and_numbers_restart(tmp_path: Path) -> None:
    clock = Clock()
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    branch = Branch(load_config(), store, b"k" * 32, clock=clock)
    try:
        branch.set_state(2, "open", "t02")
        first = branch.issue("kiosk-1", "A").ticket
        branch.issue("kiosk-1", "A")
        assert branch.call_next(2, "t02") is not None  # A001 is at the desk at closing time
        assert branch.end_of_day() == 0  # same day: nothing to do

        clock.now += 18 * 3600  # 10:00 the next morning
        assert branch.end_of_day() == 2
        assert branch.end_of_day() == 0
        yesterday = store.tickets_of_day(first["issued_at"][:10])
        assert {t.status.value for t in yesterday} == {"cancelled"}
        counter = branch.counter(2)
        assert counter["state"] == "closed" and counter["current"] is None

        branch.set_state(2, "open", "t02")
        assert branch.issue("kiosk-1", "A").ticket["number"] == "A001"
        called = branch.call_next(2, "t02")
        assert called is not None and called["number"] == "A001"
    finally:
        store.dispose()


def test_several_tickets_issued_in_one_transaction_get_distinct_numbers(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    branch = Branch(load_config(), store, b"k" * 32, clock=Clock())
    try:
        issue = branch.issue.__wrapped__  # type: ignore[attr-defined]

        def three() -> list[str]:
            return [issue(branch, "lobby", "A").ticket["number"] for _ in range(3)]

        assert store.submit(three) == ["A001", "A002", "A003"]
    finally:
        store.dispose()
