"""Trying again with the shared backoff."""

from __future__ import annotations

import asyncio

import pytest

from queue_core.client import EngineError
from queue_core.retry import Backoff, keep_trying


def test_keep_trying_retries_until_the_engine_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    attempts = [0]

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async def load() -> None:
        attempts[0] += 1
        if attempts[0] < 5:
            raise EngineError(503, "store_unavailable", "starting")

    monkeypatch.setattr(asyncio, "sleep", no_wait)
    asyncio.run(keep_trying(load, (EngineError,), "branch", max_delay=3.0))
    assert attempts[0] == 5
    # A random first wait (devices cut off together do not come back together), then doubled
    # each time up to the cap.
    assert 0 <= waits[0] < 0.5 and waits[1:] == [0.5, 1.0, 2.0]


def test_keep_trying_gives_up_when_the_program_stops() -> None:
    async def main() -> int:
        stopping, calls = asyncio.Event(), [0]

        async def load() -> None:
            calls[0] += 1
            stopping.set()
            raise EngineError(503, "store_unavailable", "away")

        await asyncio.wait_for(keep_trying(load, (EngineError,), "b", stopping=stopping), 5)
        return calls[0]

    assert asyncio.run(main()) == 1


def test_a_backoff_starts_again_from_the_shortest_delay_after_a_success() -> None:
    delays = Backoff(0.2, 1.0)
    first = [delays.next_delay() for _ in range(5)]
    assert first[0] < 0.2 and first[1:] == [0.2, 0.4, 0.8, 1.0]
    delays.reset()
    assert delays.next_delay() < 0.2 and delays.next_delay() == 0.2
