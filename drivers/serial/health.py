"""Whether each sign and keypad on the bus answers: pure bookkeeping, time passed in."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class State(StrEnum):
    UNKNOWN = "unknown"  # not asked yet, or a write-only device that never answers
    OK = "ok"
    DEAD = "dead"  # stopped answering; asked again only every probe interval


@dataclass
class DeviceHealth:
    """One device's answers. A transaction that failed all its retries counts one failure;
    ``dead_after`` failures in a row make the device dead, one answer makes it live again."""

    kind: str  # "sign", "keypad" or "evaluator"
    address: int
    dead_after: int = 1
    probe_every_s: float = 5.0
    write_only: bool = False  # never answers: its state stays unknown, never dead
    state: State = State.UNKNOWN
    failures: int = 0
    last_try: float | None = None
    last_answer: float | None = None

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.address}"

    def due(self, now: float) -> bool:
        """Whether the bus should spend time on this device now."""
        if self.state is not State.DEAD or self.last_try is None:
            return True
        return now - self.last_try >= self.probe_every_s

    def record(self, answered: bool, now: float) -> bool:
        """Note a transaction's outcome; True when the state changed."""
        before = self.state
        self.last_try = now
        if self.write_only:
            return False
        if answered:
            self.failures = 0
            self.last_answer = now
            self.state = State.OK
        else:
            self.failures += 1
            if self.failures >= self.dead_after:
                self.state = State.DEAD
        return self.state is not before


def summarize(devices: Iterable[DeviceHealth], garbled: int = 0) -> tuple[str, dict[str, Any]]:
    """The bus's device-health report for the engine: ``(status, detail)``.

    ``ok`` when every device answers (or was not asked yet, or cannot answer: a write-only
    sign is ``unknown`` in ``devices`` and listed in ``write_only``), ``warning`` when some are
    dead, ``error`` when all that can answer are dead.
    """
    devices = list(devices)
    dead = [d.name for d in devices if d.state is State.DEAD]
    answering = [d for d in devices if not d.write_only]
    if not dead:
        status = "ok"
    elif len(dead) == len(answering):
        status = "error"
    else:
        status = "warning"
    detail: dict[str, Any] = {
        "dead": dead,
        "devices": {d.name: str(d.state) for d in devices},
        "write_only": [d.name for d in devices if d.write_only],
        "garbled_frames": garbled,
    }
    return status, detail
