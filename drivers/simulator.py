"""Software LED signs and teller keypads on a serial port: the bus without hardware.

``branchq sign-sim [--port PTY]`` answers the agent's frames like the real devices would and
prints what each sign shows whenever it changes. Without ``--port`` it makes a socat pty
pair and prints the end to give ``branchq signs --port``. Type ``103 call``, ``103 finish``,
``103 eval 5``, ``103 transfer 2`` (then Enter) to press keys on keypad 103.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from drivers.serial.bus import Bus, Port, open_port, wire_seconds
from drivers.serial.messages import (
    Ack,
    KeyCode,
    KeypadShow,
    Keys,
    Message,
    Ping,
    Poll,
    Reply,
    ShowText,
)
from drivers.serial.protocol import DIALECTS, Dialect, dialect_named
from drivers.serial.ptypair import PtyPair

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "queue_core" / "demo" / "branch.toml"


@dataclass
class SimSign:
    """A counter's LED sign: shows the last text it was sent, flashing for a while."""

    address: int
    text: str = ""
    flash_until: float = 0.0
    shown: list[tuple[float, str, int]] = field(default_factory=list)

    def handle(self, message: Message, now: float) -> Reply | None:
        if isinstance(message, ShowText):
            self.text = message.text
            self.flash_until = now + message.flash_s
            self.shown.append((now, message.text, message.flash_s))
            return Ack(self.address)
        if isinstance(message, Ping):
            return Ack(self.address)
        return None

    def flashing(self, now: float) -> bool:
        return now < self.flash_until


@dataclass
class SimKeypad:
    """A teller keypad: keeps presses until the agent confirms it got them (bq1's seq)."""

    address: int
    sequenced: bool = True
    number: str = ""
    waiting: int = 0
    _presses: list[KeyCode] = field(default_factory=list)
    _batch: tuple[KeyCode, ...] = ()
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def press(self, *keys: KeyCode) -> None:
        with self._lock:
            self._presses.extend(keys)

    @property
    def unsent(self) -> int:
        with self._lock:
            return len(self._presses) + len(self._batch)

    def handle(self, message: Message, now: float) -> Reply | None:
        if isinstance(message, Poll):
            with self._lock:
                return self._answer_poll(message.ack_seq)
        if isinstance(message, KeypadShow):
            self.number, self.waiting = message.number, message.waiting
            return Ack(self.address)
        if isinstance(message, Ping):
            return Ack(self.address)
        return None

    def _answer_poll(self, ack_seq: int) -> Keys:
        if not self.sequenced:  # one key per answer, nothing to confirm
            keys = (self._presses.pop(0),) if self._presses else ()
            return Keys(self.address, None, keys)
        if self._batch and ack_seq == self._seq:
            self._batch = ()
        if not self._batch and self._presses:
            self._seq = self._seq % 255 + 1
            self._batch, self._presses = tuple(self._presses[:32]), self._presses[32:]
        return Keys(self.address, self._seq, self._batch)


class DeviceSet:
    """The simulated devices of one bus, with faults to inject: dead ones, garbled replies."""

    def __init__(
        self,
        signs: Iterable[int],
        keypads: Iterable[int],
        *,
        sequenced: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.signs = {a: SimSign(a) for a in signs}
        self.keypads = {a: SimKeypad(a, sequenced) for a in keypads}
        self.clock = clock
        self.dead: set[int] = set()
        self.garble_next = 0  # corrupt this many of the next replies
        self.requests = 0
        self.on_change: Callable[[SimSign], None] | None = None

    def handle(self, message: Message) -> Reply | None:
        """The reply a device gives to a request (None: not for us, or the device is dead)."""
        address = message.address
        if address in self.dead:
            return None
        self.requests += 1
        device: SimSign | SimKeypad | None = self.signs.get(address) or self.keypads.get(address)
        if device is None:
            return None
        reply = device.handle(message, self.clock())
        if isinstance(device, SimSign) and isinstance(message, ShowText) and self.on_change:
            self.on_change(device)
        return reply


class DeviceRunner:
    """Serves a ``DeviceSet`` on a port in a thread: read requests, write replies."""

    def __init__(
        self,
        port: Port,
        dialect: Dialect,
        devices: DeviceSet,
        *,
        pace_baud: int | None = None,
        turnaround_s: float = 0.0,
    ) -> None:
        self.bus = Bus(port, dialect, pace_baud=pace_baud)
        self.devices = devices
        self.turnaround_s = turnaround_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sign-sim", daemon=True)

    def start(self) -> DeviceRunner:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            for message in self.bus.read_messages():
                if isinstance(message, Ack | Keys):
                    continue  # another device's answer
                reply = self.devices.handle(message)
                if reply is not None:
                    self._answer(reply)

    def _answer(self, reply: Reply) -> None:
        if self.turnaround_s:
            time.sleep(self.turnaround_s)
        if self.devices.garble_next > 0:
            self.devices.garble_next -= 1
            frame = bytearray(self.bus.dialect.encode(reply))
            frame[len(frame) // 2] ^= 0x5A
            if self.bus.pace_baud:
                time.sleep(wire_seconds(len(frame), self.bus.pace_baud))
            self.bus.port.write(bytes(frame))
            return
        self.bus.send(reply)


def addresses_from_config(path: Path) -> tuple[list[int], list[int]]:
    """The sign and keypad addresses of a branch TOML's counters."""
    counters = tomllib.loads(path.read_text(encoding="utf-8")).get("counters", [])
    signs = [int(c["sign_address"]) for c in counters if c.get("sign_address") is not None]
    keypads = [int(c["keypad_address"]) for c in counters if c.get("keypad_address") is not None]
    return signs, keypads


WORDS = {
    "call": KeyCode.CALL_NEXT,
    "next": KeyCode.CALL_NEXT,
    "recall": KeyCode.RECALL,
    "skip": KeyCode.SKIP,
    "start": KeyCode.START,
    "finish": KeyCode.FINISH,
    "pause": KeyCode.PAUSE,
    "transfer": KeyCode.TRANSFER,
    "ok": KeyCode.CONFIRM,
    "confirm": KeyCode.CONFIRM,
    "cancel": KeyCode.CANCEL,
}


def parse_press(line: str) -> tuple[int, list[KeyCode]]:
    """``"103 transfer 2"`` → (103, [TRANSFER, DIGIT_2, CONFIRM]); ``"103 eval 5"``; ``"103 4"``."""
    words = line.split()
    if len(words) < 2 or not words[0].isdigit():
        raise ValueError("type: ADDRESS KEY… (call, recall, skip, start, finish, pause, …)")
    address, keys = int(words[0]), []
    rest = iter(words[1:])
    for word in rest:
        if word == "eval":
            keys.append(KeyCode.for_evaluation(int(next(rest, "5"))))
        elif word.isdigit() and len(word) == 1:
            keys.append(KeyCode.for_digit(int(word)))
        elif word in WORDS:
            keys.append(WORDS[word])
        else:
            raise ValueError(f"unknown key {word!r}")
    if keys[0] is KeyCode.TRANSFER and keys[-1] is not KeyCode.CONFIRM:
        keys.append(KeyCode.CONFIRM)
    return address, keys


def describe(sign: SimSign, now: float) -> str:
    mark = "  ✱ flashing" if sign.flashing(now) else ""
    return f"sign {sign.address:>3} │ {sign.text or '(blank)'}{mark}"


def _read_presses(devices: DeviceSet, out: Callable[[str], None]) -> None:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            address, keys = parse_press(line)
        except ValueError as exc:
            out(str(exc))
            continue
        keypad = devices.keypads.get(address)
        if keypad is None:
            out(f"no keypad {address}")
            continue
        keypad.press(*keys)


def out(text: str) -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="branchq sign-sim", description=__doc__)
    parser.add_argument("--port", help="serial port or pyserial URL (default: a new pty pair)")
    parser.add_argument("--config", type=Path, default=DEMO_CONFIG, help="branch TOML")
    parser.add_argument("--dialect", default="bq1", choices=sorted(DIALECTS))
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--pace", action="store_true", help="answer at the baud rate's speed")
    parser.add_argument("--exit-after", type=float, default=None, metavar="SECONDS")
    args = parser.parse_args(argv)

    signs, keypads = addresses_from_config(args.config)
    dialect = dialect_named(args.dialect)
    pair = None if args.port else PtyPair().start()
    port_url = args.port or pair.b  # type: ignore[union-attr]
    devices = DeviceSet(signs, keypads, sequenced=dialect.has_sequence)
    devices.on_change = lambda sign: out(describe(sign, time.monotonic()))
    runner = DeviceRunner(
        open_port(port_url, args.baud), dialect, devices, pace_baud=args.baud if args.pace else None
    ).start()
    if pair is not None:
        out(f"agent port: {pair.a}  (branchq signs --port {pair.a})")
    out(f"signs {signs} and keypads {keypads} on {port_url}, dialect {dialect.name}")
    threading.Thread(target=_read_presses, args=(devices, out), daemon=True).start()
    try:
        deadline = None if args.exit_after is None else time.monotonic() + args.exit_after
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        if pair is not None:
            pair.stop()
    now = time.monotonic()
    for sign in devices.signs.values():
        out(describe(sign, now))
    return 0


if __name__ == "__main__":
    sys.exit(main())
