"""Software LED signs and teller keypads on a serial port: the bus without hardware.

``branchq sign-sim [--port PTY]`` answers the agent's frames like the real devices would and
prints what each sign shows whenever it changes. Without ``--port`` it makes a socat pty
pair and prints the end to give ``branchq signs --port``. Type ``103 call``, ``103 finish``,
``103 eval 5``, ``103 transfer 2`` (then Enter) to press keys on keypad 103.

Each dialect has its devices here: write-only signs (``aa51``) take frames and never answer,
digit signs (``led485``) echo the Modbus write, and with ``--keypad-dialect rflink`` the
keypads are wireless remotes heard by a simulated receiver on a second pty pair, which pushes
each press (repeated, as a remote does) and answers ``PING``. ``SimSign.picture`` draws what
a sign shows, dot by dot, as its LED matrix would.
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
from typing import Any, Self

from drivers.serial.bus import Bus, Port, open_port, wire_seconds
from drivers.serial.dialects import DIALECTS, dialect_named
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
from drivers.serial.protocol import Dialect, FrameReader, ProtocolError
from drivers.serial.ptypair import PtyPair
from drivers.serial.sign_picture import sign_picture
from queue_core import DEFAULT_ENGINE

DEMO_CONFIG = Path(__file__).resolve().parents[1] / "queue_core" / "demo" / "branch.toml"


@dataclass
class SimSign:
    """A counter's LED sign: shows the last text it was sent, flashing for a while."""

    address: int
    acknowledges: bool = True  # False: a write-only sign, which never answers
    text: str = ""
    flash_until: float = 0.0
    shown: list[tuple[float, str, int]] = field(default_factory=list)

    def handle(self, message: Message, now: float) -> Reply | None:
        if isinstance(message, ShowText):
            self.text = message.text
            self.flash_until = now + message.flash_s
            self.shown.append((now, message.text, message.flash_s))
            return Ack(self.address) if self.acknowledges else None
        if isinstance(message, Ping):
            return Ack(self.address) if self.acknowledges else None
        return None

    def flashing(self, now: float) -> bool:
        return now < self.flash_until

    def picture(self, columns: int = 8) -> Any:
        """What the sign shows, as its LED matrix lights it (a PIL image, lit dots red)."""
        return sign_picture(self.text, columns)


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

    def take_one(self) -> KeyCode | None:
        """The next press, for a remote that sends each press as it happens."""
        with self._lock:
            return self._presses.pop(0) if self._presses else None

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
        signs_answer: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.signs = {a: SimSign(a, signs_answer) for a in signs}
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


class _Thread:
    """A simulated device's loop (``_run``) in a thread until ``stop()``."""

    name = "sim"
    _stop: threading.Event
    _thread: threading.Thread

    def _make_thread(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class DeviceRunner(_Thread):
    """Serves a ``DeviceSet`` on a port in a thread: read requests, write replies.

    ``also`` are further dialects spoken on the same bus (signs of one maker, keypads of
    another): every byte goes to each dialect's reader, and a reply goes out in the dialect
    of its request."""

    def __init__(
        self,
        port: Port,
        dialect: Dialect,
        devices: DeviceSet,
        *,
        also: Iterable[Dialect] = (),
        pace_baud: int | None = None,
        turnaround_s: float = 0.0,
    ) -> None:
        self.bus = Bus(port, dialect, pace_baud=pace_baud)
        self.readers: list[tuple[Dialect, FrameReader]] = [(dialect, self.bus.reader)]
        self.readers += [(d, d.reader()) for d in also if d.name != dialect.name]
        self.devices = devices
        self.turnaround_s = turnaround_s
        self.name = "sign-sim"
        self._make_thread()

    def _run(self) -> None:
        port = self.bus.port
        while not self._stop.is_set():
            data = port.read(port.in_waiting or 1)
            if not data:
                continue
            for dialect, reader in self.readers:
                for message in reader.feed(data):
                    if isinstance(message, Ack | Keys):
                        continue  # another device's answer
                    reply = self.devices.handle(message)
                    if reply is not None:
                        self._answer(reply, dialect)

    def _answer(self, reply: Reply, dialect: Dialect) -> None:
        if self.turnaround_s:
            time.sleep(self.turnaround_s)
        if self.devices.garble_next > 0:
            self.devices.garble_next -= 1
            frame = bytearray(dialect.encode(reply))
            frame[len(frame) // 2] ^= 0x5A
            if self.bus.pace_baud:
                time.sleep(wire_seconds(len(frame), self.bus.pace_baud))
            self.bus.port.write(bytes(frame))
            return
        self.bus.send(reply, dialect)


class ReceiverRunner(_Thread):
    """A wireless receiver in a thread: pushes the remotes' presses as lines (each one
    ``repeats`` times, as a held button does) and answers the agent's ``PING``."""

    def __init__(
        self, port: Port, dialect: Dialect, devices: DeviceSet, *, repeats: int = 3
    ) -> None:
        self.port = port
        self.dialect = dialect
        self.devices = devices
        self.repeats = repeats
        self.silent = False  # the receiver unplugged: answers nothing, pushes nothing
        self.name = "receiver-sim"
        self._make_thread()

    def _run(self) -> None:
        heard = bytearray()
        while not self._stop.is_set():
            heard += self.port.read(self.port.in_waiting or 1)
            if b"\n" in heard:
                lines, _, rest = bytes(heard).rpartition(b"\n")
                heard = bytearray(rest)
                if b"10;PING;" in lines and not self.silent:
                    self.port.write(self.dialect.encode(Ack(0)))
            if self.silent:
                continue
            for keypad in self.devices.keypads.values():
                key = keypad.take_one()
                if key is not None:
                    line = self.dialect.encode(Keys(keypad.address, None, (key,)))
                    self.port.write(line * self.repeats)


def addresses_from_config(path: Path) -> tuple[list[int], list[int]]:
    """The sign addresses, and the keypad and evaluator ones, of a branch TOML's counters."""
    counters = tomllib.loads(path.read_text(encoding="utf-8")).get("counters", [])
    signs = [int(c["sign_address"]) for c in counters if c.get("sign_address") is not None]
    keypads = [
        int(c[key]) for c in counters for key in ("keypad_address", "evaluator_address")
        if c.get(key) is not None
    ]  # fmt: skip
    return signs, keypads


def sign_token(path: Path) -> str | None:
    """The token of the branch's sign device, when the TOML gives it in clear (the demo)."""
    devices = tomllib.loads(path.read_text(encoding="utf-8")).get("devices", [])
    return next((d.get("token") for d in devices if d.get("role") == "sign"), None)


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
    parser.add_argument("--sign-dialect", default=None, choices=sorted(DIALECTS))
    parser.add_argument("--keypad-dialect", default=None, choices=sorted(DIALECTS))
    parser.add_argument("--baud", type=int, default=9600)
    parser.add_argument("--pace", action="store_true", help="answer at the baud rate's speed")
    parser.add_argument("--exit-after", type=float, default=None, metavar="SECONDS")
    parser.add_argument("--engine", default=DEFAULT_ENGINE, help="the engine, for the hint")
    args = parser.parse_args(argv)

    signs, keypads = addresses_from_config(args.config)
    try:
        sign_dialect = dialect_named(args.sign_dialect or args.dialect, "sign")
        keypad_dialect = dialect_named(args.keypad_dialect or args.dialect, "keypad")
    except ProtocolError as exc:
        parser.error(str(exc))
    wireless = keypad_dialect.pushes_keys
    pair = None if args.port else PtyPair().start()
    radio = PtyPair().start() if wireless else None
    port_url = args.port or pair.b  # type: ignore[union-attr]
    devices = DeviceSet(
        signs,
        keypads,
        sequenced=keypad_dialect.has_sequence,
        signs_answer=sign_dialect.acknowledges,
    )
    devices.on_change = lambda sign: out(describe(sign, time.monotonic()))
    runner = DeviceRunner(
        open_port(port_url, args.baud),
        sign_dialect,
        devices,
        also=() if wireless else (keypad_dialect,),
        pace_baud=args.baud if args.pace else None,
    ).start()
    receiver = None
    if radio is not None:
        receiver = ReceiverRunner(open_port(radio.b, 57600), keypad_dialect, devices).start()
    if pair is not None:
        token = sign_token(args.config) or "TOKEN"
        out(f"agent port: {pair.a}  (branchq signs --engine {args.engine} --token {token} "
            f"--port {pair.a})")  # fmt: skip
    if radio is not None:
        out(f"receiver port: {radio.a}  (branchq signs --receiver {radio.a})")
    out(
        f"signs {signs} ({sign_dialect.name}) and keypads {keypads} ({keypad_dialect.name})"
        f" on {port_url}"
    )
    threading.Thread(target=_read_presses, args=(devices, out), daemon=True).start()
    try:
        deadline = None if args.exit_after is None else time.monotonic() + args.exit_after
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.1)
    except KeyboardInterrupt:
        pass
    finally:
        runner.stop()
        if receiver is not None:
            receiver.stop()
        for p in (pair, radio):
            if p is not None:
                p.stop()
    now = time.monotonic()
    for sign in devices.signs.values():
        out(describe(sign, now))
    return 0


if __name__ == "__main__":
    sys.exit(main())
