"""How long from a call event to the sign's frame on the wire, 16 signs on one 9600-baud bus.

Runs the real agent parts (board, scheduler, bus, bq1 dialect) against the simulated devices
on a socat pty pair. A pty sends instantly, so both ends wait each frame's wire time at the
baud rate (``pace_baud``), as a UART would. The physical bound is the wire time of the frames
that must go before (and including) the sign's own, replies included:

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
from drivers.serial.protocol import BranchQDialect
from drivers.serial.ptypair import PtyPair
from drivers.serial.scheduler import BusScheduler
from drivers.simulator import DeviceRunner, DeviceSet

SIGNS = 16
DIALECT = BranchQDialect()


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


def frame_bytes(message: Message) -> int:
    return len(DIALECT.encode(message))


class Rig:
    def __init__(self, pair: PtyPair, baud: int, keypads: bool) -> None:
        self.written: dict[int, float] = {}
        self.devices = DeviceSet(range(1, SIGNS + 1), range(101, 101 + SIGNS) if keypads else [])
        self.runner = DeviceRunner(open_port(pair.b, baud), DIALECT, self.devices, pace_baud=baud)
        self.bus = Bus(open_port(pair.a, baud), DIALECT, pace_baud=baud, clock=time.perf_counter,
                       on_write=self._written)  # fmt: skip
        self.board = Board(BusLayout.from_branch(branch(keypads)))
        self.scheduler = BusScheduler(
            self.bus, range(1, SIGNS + 1), self.board.layout.keypad_addresses,
            ping_every_s=3600, clock=time.perf_counter,
        )  # fmt: skip
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.scheduler.run, args=(self.stop, 0.001))

    def _written(self, message: Message, frame: bytes, at: float) -> None:
        if isinstance(message, ShowText):
            self.written[message.address] = at

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
        latencies = sorted(self.written[n] - started for n in counters)
        time.sleep(0.05)  # let the last answer come back: the next round starts on a quiet bus
        return latencies


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
    print(f"bus {baud} baud 8N1, bq1 frames: sign text {show} B, ack {ack} B, poll+answer {poll} B")
    print(f"{'scenario':38} {'n':>3} {'p50 ms':>8} {'max ms':>8} {'bound ms':>9} {'p50/bound':>9}")
    for name, values, bound in rows:
        p50 = statistics.median(values)
        print(f"{name:38} {len(values):>3} {p50 * 1e3:8.1f} {max(values) * 1e3:8.1f} "
              f"{bound * 1e3:9.1f} {p50 / bound:9.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
