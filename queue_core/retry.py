"""Trying again after a failure: the one backoff every reconnecting loop of BranchQ follows.

The delays are websockets' own (``websockets.client.backoff``, what its reconnecting
``connect`` waits): a random first delay, so that devices cut off together do not all come
back at the same instant, then doubling up to a ceiling. A loop that reconnects for ever (the
event stream, the PostgreSQL listener) keeps a ``Backoff`` and resets it once connected; a
one-off "until the engine answers" is ``keep_trying``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

from websockets.client import backoff as _backoff

log = logging.getLogger(__name__)
T = TypeVar("T")


class Backoff:
    """The delays between attempts, from ``min_delay`` doubling to ``max_delay``."""

    def __init__(self, min_delay: float, max_delay: float) -> None:
        self.min_delay = min_delay
        self.max_delay = max_delay
        self._delays: Iterator[float] | None = None

    def reset(self) -> None:
        """An attempt succeeded: the next failure starts from the shortest delay again."""
        self._delays = None

    def next_delay(self) -> float:
        if self._delays is None:
            self._delays = _backoff(self.min_delay, self.min_delay, self.max_delay, 2.0)
        return next(self._delays)

    async def wait(self) -> None:
        """Sleep the next delay."""
        await asyncio.sleep(self.next_delay())


async def keep_trying(
    attempt: Callable[[], Awaitable[T]],
    retry_on: tuple[type[BaseException], ...],
    what: str,
    *,
    min_delay: float = 0.5,
    max_delay: float = 10.0,
    stopping: asyncio.Event | None = None,
) -> T | None:
    """Run ``attempt`` until it succeeds, waiting after each failure of the kinds in
    ``retry_on`` (others propagate); None if ``stopping`` is set first."""
    delays = Backoff(min_delay, max_delay)
    while stopping is None or not stopping.is_set():
        try:
            return await attempt()
        except retry_on as exc:
            log.info("%s not done yet (%s); trying again", what, exc)
        await delays.wait()
    return None
