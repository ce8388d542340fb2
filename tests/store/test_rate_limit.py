"""The kiosk issuing limit is one bucket per kiosk in the database, whichever worker answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_core.access import RateLimiter, refill
from queue_core.domain.errors import TooMany
from queue_core.store import Store


def test_refill_is_capped_by_the_burst() -> None:
    assert refill(0.0, 100.0, 110.0, 0.5, 5) == 5.0
    assert refill(1.0, 100.0, 102.0, 0.5, 5) == 2.0
    assert refill(3.0, 100.0, 90.0, 0.5, 5) == 3.0  # a clock going back refills nothing


def test_two_workers_share_one_bucket(tmp_path: Path) -> None:
    now = [1000.0]
    store = Store(f"sqlite:///{tmp_path / 'q.db'}")
    first, second = (RateLimiter(30, 3, lambda: now[0], store) for _ in range(2))
    try:
        for limiter in (first, second, first):
            store.submit(lambda limiter=limiter: limiter.take("kiosk-1"))
        with pytest.raises(TooMany):
            store.submit(lambda: second.take("kiosk-1"))
        store.submit(lambda: second.take("kiosk-2"))  # another kiosk has its own bucket
        now[0] += 2.0  # 30 a minute: one more token after two seconds
        store.submit(lambda: first.take("kiosk-1"))
        with pytest.raises(TooMany):
            store.submit(lambda: first.take("kiosk-1"))
    finally:
        store.dispose()
