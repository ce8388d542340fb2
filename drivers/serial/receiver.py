"""A wireless receiver on its own port: presses arrive unsolicited, nothing is polled.

The receiver (``rflink`` dialect) pushes a line per press; ``Receiver.step`` reads what has
arrived, keeps the presses of the configured remotes (one per repeat burst) and hands them to
``on_keys``. The remotes themselves never answer anything, so their health stays ``unknown``;
the receiver is asked ``PING`` every ``ping_every_s`` and is ``dead`` when it stops answering,
which the lobby sees like a dead sign. Time is injected; the thread only loops ``step``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from drivers.serial.bus import Port
from drivers.serial.health import DeviceHealth, summarize
from drivers.serial.messages import Ack, Keys, Ping
from drivers.serial.protocol import Dialect
from drivers.serial.rflink import PressFilter
from drivers.serial.scheduler import HealthHandler, KeysHandler


class Receiver:
    def __init__(
        self,
        port: Port,
        dialect: Dialect,
        remotes: Iterable[int],
        *,
        evaluators: Iterable[int] = (),
        on_keys: KeysHandler | None = None,
        on_health: HealthHandler | None = None,
        ping_every_s: float = 10.0,
        reply_timeout: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        presses: PressFilter | None = None,
    ) -> None:
        self.port = port
        self.dialect = dialect
        self.reader = dialect.reader()
        self.on_keys = on_keys
        self.on_health = on_health
        self.ping_every_s = ping_every_s
        self.reply_timeout = reply_timeout
        self.clock = clock
        self.presses = presses or PressFilter()
        evaluators = set(evaluators)
        self.remotes = {
            a: DeviceHealth("evaluator" if a in evaluators else "keypad", a, write_only=True)
            for a in {*remotes, *evaluators}
        }
        self.health_of_receiver = DeviceHealth("receiver", 0)
        self._ping_sent: float | None = None
        self._last_ping: float | None = None
        self.stats = {"keys": 0, "repeats": 0, "unknown_remotes": 0}

    def devices(self) -> list[DeviceHealth]:
        return [self.health_of_receiver, *self.remotes.values()]

    def health(self) -> tuple[str, dict[str, Any]]:
        return summarize(self.devices(), self.reader.garbled)

    def run(self, stop: threading.Event, idle_wait: float = 0.02) -> None:
        while not stop.is_set():
            if not self.step():
                stop.wait(idle_wait)

    def step(self) -> bool:
        """Read what arrived and ping when due; False when there was nothing to do."""
        now = self.clock()
        did = False
        waiting = self.port.in_waiting
        if waiting:
            for message in self.reader.feed(self.port.read(waiting)):
                self._take(message, now)
            did = True
        if self._ping_sent is not None and now - self._ping_sent > self.reply_timeout:
            self._ping_sent = None
            self._record(False, now)
        if self._ping_sent is None and (
            self._last_ping is None or now - self._last_ping >= self.ping_every_s
        ):
            self.port.write(self.dialect.encode(Ping(0)))
            self.port.flush()
            self._ping_sent = self._last_ping = now
            did = True
        return did

    def _take(self, message: object, now: float) -> None:
        if isinstance(message, Ack):
            if self._ping_sent is not None:
                self._ping_sent = None
            self._record(True, now)
            return
        if not isinstance(message, Keys):
            return
        self._record(True, now)  # a line from the receiver: it is there
        remote = self.remotes.get(message.address)
        if remote is None:
            self.stats["unknown_remotes"] += 1  # a neighbour's doorbell, or not configured
            return
        remote.record(True, now)
        keys = tuple(k for k in message.keys if self.presses.accept(message.address, k, now))
        self.stats["repeats"] += len(message.keys) - len(keys)
        if keys and self.on_keys is not None:
            self.stats["keys"] += len(keys)
            self.on_keys(message.address, keys)

    def _record(self, answered: bool, now: float) -> None:
        if self.health_of_receiver.record(answered, now) and self.on_health is not None:
            self.on_health(*self.health())
