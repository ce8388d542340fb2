"""The outbox: notifications are sent off the queue's path, and a failing gateway is contained.

``offer`` never waits: it puts the message on its channel's bounded queue (or drops it and
counts the drop when the queue is full, or while the channel's breaker is open) and returns.
Each channel (``push``, ``sms``) has its own few workers, so a slow SMS gateway delays neither
Web Push nor any call at a counter. A message that fails is tried again after a pause, a few
times, unless the failure is final (a dead subscription, a refused number). After
``breaker_after`` failures in a row the channel stops sending for ``breaker_s`` seconds:
messages offered meanwhile are dropped at once rather than piling up behind a dead gateway.
A notification is a courtesy: losing one must never cost the queue anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


class Permanent(Exception):
    """A failure that trying again cannot mend (the subscription is gone, the number refused)."""


@dataclass(frozen=True)
class Message:
    """One notification: ``send`` delivers it (raising on failure); ``label`` is for logs and
    must not hold a phone number."""

    channel: str
    label: str
    send: Callable[[], Awaitable[None]]
    on_permanent: Callable[[], Awaitable[None]] | None = None


@dataclass
class ChannelStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    dropped: int = 0
    failures_in_row: int = 0
    open_until: float = 0.0


@dataclass
class Outbox:
    channels: Sequence[str] = ("push", "sms")
    limit: int = 1000
    workers: int = 4
    retry_after_s: Sequence[float] = (2.0, 10.0)
    breaker_after: int = 5
    breaker_s: float = 60.0
    clock: Callable[[], float] = time.monotonic
    stats: dict[str, ChannelStats] = field(default_factory=dict)
    _queues: dict[str, asyncio.Queue[tuple[Message, int]]] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for channel in self.channels:
            self.stats[channel] = ChannelStats()

    def start(self) -> None:
        for channel in self.channels:
            self._queues[channel] = asyncio.Queue(self.limit)
            for _ in range(self.workers):
                self._tasks.append(asyncio.create_task(self._work(channel)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def offer(self, message: Message) -> bool:
        """Queue a message to send; False when it was dropped (full, or the breaker is open)."""
        stats = self.stats[message.channel]
        queue = self._queues.get(message.channel)
        if queue is None or self.clock() < stats.open_until:
            stats.dropped += 1
            return False
        try:
            queue.put_nowait((message, 0))
        except asyncio.QueueFull:
            stats.dropped += 1
            return False
        return True

    async def _work(self, channel: str) -> None:
        queue = self._queues[channel]
        stats = self.stats[channel]
        while True:
            message, tries = await queue.get()
            if self.clock() < stats.open_until:
                stats.dropped += 1
                continue
            try:
                await message.send()
            except asyncio.CancelledError:
                raise
            except Permanent as exc:
                stats.failed += 1
                log.info("%s %s not delivered: %s", channel, message.label, exc)
                if message.on_permanent is not None:
                    with contextlib.suppress(Exception):
                        await message.on_permanent()
            except Exception as exc:
                self._failed(channel, stats)
                if tries < len(self.retry_after_s):
                    stats.retried += 1
                    asyncio.get_running_loop().call_later(
                        self.retry_after_s[tries], self._again, queue, message, tries + 1
                    )
                else:
                    stats.failed += 1
                    log.warning("%s %s given up: %s", channel, message.label, exc)
            else:
                stats.sent += 1
                stats.failures_in_row = 0

    def _failed(self, channel: str, stats: ChannelStats) -> None:
        stats.failures_in_row += 1
        if stats.failures_in_row >= self.breaker_after and self.clock() >= stats.open_until:
            stats.open_until = self.clock() + self.breaker_s
            log.warning(
                "%s gateway failed %d times in a row: pausing it for %.0f s",
                channel,
                stats.failures_in_row,
                self.breaker_s,
            )

    def _again(self, queue: asyncio.Queue[tuple[Message, int]], message: Message, n: int) -> None:
        try:
            queue.put_nowait((message, n))
        except asyncio.QueueFull:
            self.stats[message.channel].dropped += 1
