"""How long from a call event to the sign's frame on the wire, 16 signs on one 9600-baud bus.

Runs the real agent parts (board, scheduler, bus, dialect) against the simulated devices on a
socat pty pair, with our acknowledged ``bq1`` signs and with write-only ``aa51`` strip signs.
A pty sends instantly, so both ends wait each frame's wire time at the baud rate
(``pace_baud``), as a UART would. The physical bound is the wire time of the frames that must
go before (and including) the sign's own, replies included; a write-only sign also needs its
quiet time (``frame_gap_s``) before its own next frame, never before another sign's:

    .venv/bin/python bench/signs.py [--rounds 20] [--baud 9600]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.serial.board import Board
from drivers.serial.bus import Bus, open_port, wire_seconds
from drivers.serial.layout import BusLayout
from drivers.serial.messages import Ack, Message, Poll, ShowText
from drivers.serial.protocol import BranchQDialect, Dialect
from drivers.serial.ptypair import PtyPair
from drivers.serial.scheduler import BusScheduler
from drivers.serial.strip_sign import StripSignDialect
from drivers.simulator import DeviceRunner, DeviceSet

SIGNS = 16
DIALECT = BranchQDialect()
STRIP = StripSignDialect()


def branch(keypads: bool) -> dict[str, Any]:
    return {
        "services": [{"code": "A"}],
        "counters": [
            {"number": n, "services": ["A"], "sign_address": n,
             "keypad_address": 100 + n if keypads else None}
            for n in range(1, SIGNS + 1)
        ],
    }  # fmt: skip


def call(n: int, seq: int) -> dict[str, Any]:
    ticket = {"id": f"t{seq}", "number": f"A{seq % 1000:03d}", "counter": n, "status": "called"}
    return {
        "seq": seq,
        "type": "ticket.called",
        "data": {"ticket": ticket, "counter": {"number": n}},
    }


def frame_bytes(message: Message, dialect: Dialect = DIALECT) -> int:
    return len(dialect.encode(message))


class Rig:
    def __init__(self, pair: PtyPair, baud: int, keypads: bool, dialect: Dialect = DIALECT) -> None:
        self.written: dict[int, list[float]] = {}
        self.devices = DeviceSet(
            range(1, SIGNS + 1), range(101, 101 + SIGNS) if keypads else [],
            signs_answer=dialect.acknowledges,
        )  # fmt: skip
        self.runner = DeviceRunner(open_port(pair.b, baud), dialect, self.devices, pace_baud=baud)
        self.bus = Bus(open_port(pair.a, baud), dialect, pace_baud=baud, clock=time.perf_counter,
                       on_write=self._written)  # fmt: skip
        self.board = Board(BusLayout.from_branch(branch(keypads)))
        self.scheduler = BusScheduler(
            self.bus, range(1, SIGNS + 1), self.board.layout.keypad_addresses,
            ping_every_s=3600, refresh_every_s=3600, clock=time.perf_counter,
        )  # fmt: skip
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.scheduler.run, args=(self.stop, 0.001))

    def _written(self, message: Message, frame: bytes, at: float) -> None:
        if isinstance(message, ShowText):
            self.written.setdefault(message.address, []).append(at)

    def __enter__(self) -> Rig:
        self.runner.start()
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.runner.stop()

    def calls(self, counters: list[int], seq: int) -> list[float]:
        """Apply one call event per counter at once; each sign's latency in seconds."""
        self.written.clear()
        started = time.perf_counter()
        for i, n in enumerate(counters):
            for message in self.board.apply(call(n, seq + i)):
                if isinstance(message, ShowText):
                    self.scheduler.submit(message)
        deadline = started + 5
        while len(self.written) < len(counters) and time.perf_counter() < deadline:
            time.sleep(0.0005)
        latencies = sorted(self.written[n][0] - started for n in counters)
        time.sleep(0.15)  # the last answer or quiet time: the next round starts on a quiet bus
        return latencies

    def call_then_recall(self, counter: int, seq: int) -> float:
        """A call and, at once, a second call to the same sign: the second one's latency."""
        self.written.clear()
        started = time.perf_counter()
        for event in (call(counter, seq), call(counter, seq + 1)):
            for message in self.board.apply(event):
                if isinstance(message, ShowText):
                    self.scheduler.submit(message)
                    while counter not in self.written and time.perf_counter() < started + 5:
                        time.sleep(0.0005)  # the first frame is out before the second comes
        while len(self.written.get(counter, [])) < 2 and time.perf_counter() < started + 5:
            time.sleep(0.0005)
        time.sleep(0.15)
        return self.written[counter][1] - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--baud", type=int, default=9600)
    args = parser.parse_args(argv)
    baud = args.baud
    show = frame_bytes(ShowText(1, "A012", 6))
    ack = frame_bytes(Ack(1))
    poll = frame_bytes(Poll(101)) + frame_bytes(Ack(101)) + 1  # a Keys answer: seq, no keys
    one = wire_seconds(show, baud)
    transaction = wire_seconds(show + ack, baud)
    rows = []
    with PtyPair() as pair:
        with Rig(pair, baud, keypads=False) as rig:
            single = [rig.calls([1 + r % SIGNS], 1000 + r)[0] for r in range(args.rounds)]
            time.sleep(0.2)
            bursts = [rig.calls(list(range(1, SIGNS + 1)), 2000 + 20 * r) for r in range(5)]
        rows.append(("1 call, idle bus", single, one))
        last = [b[-1] for b in bursts]
        rows.append((f"{SIGNS} calls at once: last sign", last, (SIGNS - 1) * transaction + one))
        with PtyPair() as pair2, Rig(pair2, baud, keypads=True) as rig:
            time.sleep(0.3)
            polled = [rig.calls([1 + r % SIGNS], 3000 + r)[0] for r in range(args.rounds)]
        rows.append((f"1 call, {SIGNS} keypads polled", polled, one))
        rows.append(("  (bound incl. a poll in progress)", polled, one + wire_seconds(poll, baud)))
        strip = frame_bytes(ShowText(1, "A012", 6), STRIP)
        strip_one, gap = wire_seconds(strip, baud), STRIP.frame_gap_s
        with PtyPair() as pair3, Rig(pair3, baud, keypads=False, dialect=STRIP) as rig:
            w_single = [rig.calls([1 + r % SIGNS], 4000 + r)[0] for r in range(args.rounds)]
            w_bursts = [rig.calls(list(range(1, SIGNS + 1)), 5000 + 20 * r) for r in range(5)]
            again = [rig.call_then_recall(1 + r % SIGNS, 6000 + 2 * r) for r in range(5)]
        rows.append(("aa51 write-only: 1 call, idle bus", w_single, strip_one))
        rows.append((f"aa51: {SIGNS} calls at once: last sign", [b[-1] for b in w_bursts],
                     SIGNS * strip_one))  # fmt: skip
        rows.append(("aa51: same sign twice: the second", again, 2 * strip_one + gap))
    print(f"bus {baud} baud 8N1, bq1 frames: sign text {show} B, ack {ack} B, poll+answer {poll} B")
    print(f"aa51 frames: sign text {strip} B, no answer, {gap * 1e3:.0f} ms quiet time per sign")
    print(f"{'scenario':38} {'n':>3} {'p50 ms':>8} {'max ms':>8} {'bound ms':>9} {'p50/bound':>9}")
    for name, values, bound in rows:
        p50 = statistics.median(values)
        print(f"{name:38} {len(values):>3} {p50 * 1e3:8.1f} {max(values) * 1e3:8.1f} "
              f"{bound * 1e3:9.1f} {p50 / bound:9.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
