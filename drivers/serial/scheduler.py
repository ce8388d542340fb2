"""Who gets the bus next: sign updates first, then keypad displays, then keypad polls.

The scheduler owns the bus in one thread. Other threads ``submit`` what signs and keypads
should show; an update waiting for a sign is replaced by a newer one for the same sign (a
flash is kept when the newer one shows the same text steady). Idle time polls keypads in turn
and pings each device now and then, so a device that stops answering is noticed before the
next call. A dead device is asked only every ``probe_every_s``: it never stalls the others.

Signs and keypads may speak different dialects on one bus. A write-only sign (its dialect does
not acknowledge) gets its frame and nothing is awaited; it then needs its dialect's quiet time
(``frame_gap_s``) before its next frame, while the other signs go on at once. Its health stays
``unknown``, and its text is sent again every ``refresh_every_s`` in idle time, so a sign that
lost power shows the right text again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from drivers.serial.bus import Bus, NoAnswer
from drivers.serial.health import DeviceHealth, summarize
from drivers.serial.messages import Ack, KeyCode, KeypadShow, Keys, Ping, Poll, Request, ShowText
from drivers.serial.protocol import Dialect

KeysHandler = Callable[[int, tuple[KeyCode, ...]], None]
HealthHandler = Callable[[str, dict[str, Any]], None]


class BusScheduler:
    """Runs the bus: ``step()`` does one transaction; ``run()`` loops until stopped."""

    def __init__(
        self,
        bus: Bus,
        signs: Iterable[int],
        keypads: Iterable[int],
        *,
        evaluators: Iterable[int] = (),
        sign_dialect: Dialect | None = None,
        keypad_dialect: Dialect | None = None,
        on_keys: KeysHandler | None = None,
        on_health: HealthHandler | None = None,
        ping_every_s: float = 10.0,
        probe_every_s: float = 5.0,
        refresh_every_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bus = bus
        self.clock = clock
        self.on_keys = on_keys
        self.on_health = on_health
        self.ping_every_s = ping_every_s
        self.refresh_every_s = refresh_every_s
        self.sign_dialect = sign_dialect or bus.dialect
        self.keypad_dialect = keypad_dialect or bus.dialect
        write_only = not self.sign_dialect.acknowledges
        self.signs = {
            a: DeviceHealth("sign", a, probe_every_s=probe_every_s, write_only=write_only)
            for a in signs
        }
        evaluators = set(evaluators)
        self.keypads = {
            a: DeviceHealth("keypad", a, probe_every_s=probe_every_s)
            for a in keypads
            if a not in evaluators
        } | {a: DeviceHealth("evaluator", a, probe_every_s=probe_every_s) for a in evaluators}
        self._not_before: dict[int, float] = {}  # a write-only sign's quiet time after a frame
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending_signs: dict[int, ShowText] = {}
        self._pending_keypads: dict[int, KeypadShow] = {}
        self._shown: dict[
            int, ShowText | KeypadShow
        ] = {}  # last content each device confirmed, steady
        self._acked_seq: dict[int, int | None] = dict.fromkeys(self.keypads)
        self._poll_order = list(self.keypads)
        self._poll_next = 0
        self.stats = {
            "transactions": 0,
            "no_answer": 0,
            "keys": 0,
            "duplicates": 0,
            "unacknowledged": 0,
        }

    # Called from other threads
    def submit(self, message: ShowText | KeypadShow) -> None:
        """Queue what a sign or keypad should show; wakes the bus thread."""
        with self._lock:
            if isinstance(message, ShowText):
                if message.address not in self.signs:
                    return
                old = self._pending_signs.get(message.address)
                if old and old.flash_s and not message.flash_s and old.text == message.text:
                    return
                self._pending_signs[message.address] = message
            else:
                if message.address not in self.keypads:
                    return
                self._pending_keypads[message.address] = message
        self._wake.set()

    def health(self) -> tuple[str, dict[str, Any]]:
        devices = [*self.signs.values(), *self.keypads.values()]
        return summarize(devices, self.bus.garbled)

    # The bus thread
    def run(self, stop: threading.Event, idle_wait: float = 0.02) -> None:
        """Loop until ``stop`` is set; sleeps only when there is nothing to do."""
        while not stop.is_set():
            if not self.step():
                self._wake.wait(self._idle_for(idle_wait))
                self._wake.clear()

    def _idle_for(self, idle_wait: float) -> float:
        """How long to sleep: ``idle_wait``, or less when a sign's quiet time ends sooner."""
        with self._lock:
            waiting = [self._not_before.get(a, 0.0) for a in self._pending_signs]
        if not waiting:
            return idle_wait
        return max(0.0, min(idle_wait, min(waiting) - self.clock()))

    def step(self) -> bool:
        """One transaction, the most urgent first; False when there was nothing to do."""
        now = self.clock()
        job = self._take(self._pending_signs, self.signs, now) or self._take(
            self._pending_keypads, self.keypads, now
        )
        if job is not None:
            self._deliver(job)
            return True
        poll = self._next_poll(now)
        if poll is not None:
            self._poll(poll)
            return True
        ping = self._next_ping(now)
        if ping is not None:
            self._ping(ping)
            return True
        return False

    def _take(
        self,
        pending: dict[int, ShowText] | dict[int, KeypadShow],
        devices: dict[int, DeviceHealth],
        now: float,
    ) -> ShowText | KeypadShow | None:
        with self._lock:
            for address, message in pending.items():
                if devices[address].due(now) and self._not_before.get(address, 0.0) <= now:
                    del pending[address]
                    return message
        return None

    def _health_of(self, message: Request) -> DeviceHealth:
        return (
            self.signs[message.address]
            if isinstance(message, ShowText)
            else self.keypads[message.address]
        )

    def _attempts(self, health: DeviceHealth) -> int | None:
        return 1 if health.state == "dead" else None

    def _dialect_of(self, message: Request) -> Dialect:
        return self.sign_dialect if isinstance(message, ShowText | Ping) else self.keypad_dialect

    def _deliver(self, message: ShowText | KeypadShow) -> None:
        health = self._health_of(message)
        steady = replace(message, flash_s=0) if isinstance(message, ShowText) else message
        if health.write_only:
            self._send_unacknowledged(message, health)
            self._shown[message.address] = steady
            return
        if self._exchange(message, health) is None:
            with self._lock:  # keep it for when the device is back, unless a newer one came
                pending: dict[int, Any] = (
                    self._pending_signs if isinstance(message, ShowText) else self._pending_keypads
                )
                pending.setdefault(message.address, message)
            return
        self._shown[message.address] = steady

    def _send_unacknowledged(self, message: ShowText | KeypadShow, health: DeviceHealth) -> None:
        """A frame to a write-only device: written, never awaited; then its quiet time."""
        self.stats["transactions"] += 1
        self.stats["unacknowledged"] += 1
        self.bus.send(message, self._dialect_of(message))
        now = self.clock()
        health.record(True, now)
        self._not_before[message.address] = now + self.sign_dialect.frame_gap_s

    def _exchange(self, request: Request, health: DeviceHealth) -> Ack | Keys | None:
        self.stats["transactions"] += 1
        try:
            reply = self.bus.transact(request, self._attempts(health), self._dialect_of(request))
        except NoAnswer:
            self.stats["no_answer"] += 1
            self._record(health, False)
            return None
        revived = self._record(health, True)
        shown = self._shown.get(request.address)
        if revived and shown is not None and isinstance(request, Ping | Poll):
            self.submit(shown)  # it may have lost its text while it was away
        return reply

    def _record(self, health: DeviceHealth, answered: bool) -> bool:
        """Note the outcome; True when a dead device answered again."""
        was_dead = health.state == "dead"
        changed = health.record(answered, self.clock())
        if changed and self.on_health is not None:
            self.on_health(*self.health())
        return changed and was_dead

    def _next_poll(self, now: float) -> int | None:
        for _ in range(len(self._poll_order)):
            address = self._poll_order[self._poll_next]
            self._poll_next = (self._poll_next + 1) % len(self._poll_order)
            if self.keypads[address].due(now):
                return address
        return None

    def _poll(self, address: int) -> None:
        acked = self._acked_seq[address]
        reply = self._exchange(Poll(address, acked or 0), self.keypads[address])
        if not isinstance(reply, Keys):
            return  # an Ack to a poll: a dialect's "no key pressed"
        if reply.seq is not None:
            if reply.seq == acked:
                if reply.keys:
                    self.stats["duplicates"] += 1
                return
            self._acked_seq[address] = reply.seq
        if reply.keys and self.on_keys is not None:
            self.stats["keys"] += len(reply.keys)
            self.on_keys(address, reply.keys)

    def _next_ping(self, now: float) -> int | None:
        for health in self.signs.values():
            last = health.last_try
            every = self.refresh_every_s if health.write_only else self.ping_every_s
            if health.due(now) and (last is None or now - last >= every):
                if health.write_only and health.address not in self._shown:
                    continue  # nothing to show again yet
                if self._not_before.get(health.address, 0.0) <= now:
                    return health.address
        return None

    def _ping(self, address: int) -> None:
        """Ask a sign whether it is there: a ping, or its text again where the dialect has no
        ping (a write-only sign's refresh; a digit sign's echo answers the write)."""
        health = self.signs[address]
        shown = self._shown.get(address)
        if self.sign_dialect.can_ping:
            self._exchange(Ping(address), health)
        elif isinstance(shown, ShowText):
            self._deliver(shown)
        else:
            self._exchange(ShowText(address, ""), health)
