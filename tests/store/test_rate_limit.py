"""The kiosk issuing limit is one bucket per kiosk in the database, whichever worker answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_core.access import RateLimit, refill
from queue_core.config import load_config
from queue_core.domain.errors import TooMany
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.tickets import IssueTicket


def test_refill_is_capped_by_the_burst() -> None:
    assert refill(0.0, 100.0, 110.0, 0.5, 5) == 5.0
    assert refill(1.0, 100.0, 102.0, 0.5, 5) == 2.0
    assert refill(3.0, 100.0, 90.0, 0.5, 5) == 3.0  # a clock going back refills nothing


def test_two_workers_share_one_bucket(tmp_path: Path) -> None:
    now = [1_763_020_800.0]
    url = f"sqlite:///{tmp_path / 'q.db'}"
    stores = [Store(url), Store(url)]  # two engine processes on one database
    limit = RateLimit(30, 3)
    first, second = (Branch(load_config(), s, b"k" * 32, clock=lambda: now[0]) for s in stores)

    def issue(branch: Branch, kiosk: str) -> None:
        branch.execute_sync(IssueTicket(kiosk, "A", limited_as=kiosk, limit=limit))

    try:
        for branch in (first, second, first):
            issue(branch, "kiosk-1")
        with pytest.raises(TooMany):
            issue(second, "kiosk-1")
        issue(second, "kiosk-2")  # another kiosk has its own bucket
        now[0] += 2.0  # 30 a minute: one more token after two seconds
        issue(first, "kiosk-1")
        with pytest.raises(TooMany):
            issue(first, "kiosk-1")
        with pytest.raises(TooMany):
            issue(second, "kiosk-1")
    finally:
        for branch in (first, second):
            branch.stop()
        for store in stores:
            store.dispose()
