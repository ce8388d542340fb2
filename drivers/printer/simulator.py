"""A network ticket printer on loopback (raw TCP, like port 9100) for tests and demos.

It keeps every byte it receives and prints them in order, as a printer does: real-time
``DLE EOT n`` requests are answered at once from its state (paper near end or out, cover open,
jam, offline), even inside other data and while it is stopped; ``GS r 1`` and Epson's
``GS ( H`` are answered only when the data before them has printed. With ``paper_lines`` set,
the roll runs out after that many lines: the printer stops in the middle of the ticket, goes
offline with "paper end", and answers nothing that follows until paper is loaded (``refill``),
when it goes on with the rest. With ``--out FOLDER`` it saves each cut ticket as a PNG::

    python -m drivers.printer.simulator --port 9100 --out tickets/
"""

from __future__ import annotations

import argparse
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from drivers.printer.status import DLE_EOT

CUT = b"\x1dV"
LINE_DOTS = 24  # a raster image uses paper as lines of 24 dots
QR_LINES = 8  # a ticket's QR code takes about as much paper as 8 lines


@dataclass
class PrinterState:
    paper: str = "ok"  # ok | near_end | out
    cover_open: bool = False
    offline: bool = False
    jam: bool = False
    silent: bool = False  # answers no status request at all
    paper_lines: int | None = None  # lines left on the roll (None: it never runs out)

    def answer(self, n: int) -> bytes:
        """The status byte for ``DLE EOT n``."""
        value = 0x12
        if n == 1 and (self.offline or self.cover_open or self.paper == "out" or self.jam):
            value |= 0x08
        elif n == 2:
            value |= 0x04 if self.cover_open else 0
            value |= 0x20 if self.paper == "out" else 0
            value |= 0x40 if self.jam else 0
        elif n == 3:
            value |= 0x04 if self.jam else 0
        elif n == 4:
            value |= {"ok": 0, "near_end": 0x0C, "out": 0x6C}[self.paper]
        return bytes([value])

    def paper_sensor(self) -> bytes:
        """The ``GS r 1`` byte: bits 0–1 near end, bits 2–3 paper end."""
        return bytes([{"ok": 0x00, "near_end": 0x03, "out": 0x0F}[self.paper]])

    @property
    def stopped(self) -> bool:
        return self.paper == "out" or self.cover_open or self.jam or self.offline

    def use(self, lines: int) -> None:
        """Paper used by ``lines`` lines; the roll may run out."""
        if self.paper_lines is None:
            return
        self.paper_lines = max(0, self.paper_lines - lines)
        if self.paper_lines == 0:
            self.paper = "out"


def command_length(data: bytes, i: int) -> int | None:
    """How many bytes the command at ``data[i]`` takes (None: not all of it is here yet)."""
    b = data[i]
    need = {0x10: 3, 0x1C: 2}.get(b)
    if b == 0x1B:
        need = 2 if data[i + 1 : i + 2] in (b"@", b"2") else 3
    elif b == 0x1D:
        cmd = data[i + 1 : i + 2]
        if cmd in (b"(",):
            if len(data) < i + 5:
                return None
            need = 5 + int.from_bytes(data[i + 3 : i + 5], "little")
        elif cmd == b"v":
            if len(data) < i + 8:
                return None
            wb, h = (int.from_bytes(data[i + k : i + k + 2], "little") for k in (4, 6))
            need = 8 + wb * h
        elif cmd == b"V":
            if len(data) < i + 3:
                return None
            need = 4 if data[i + 2] in (65, 66) else 3
        else:
            need = 3
    need = need or 1
    return need if len(data) >= i + need else None


@dataclass
class PrinterSimulator:
    """Listens on ``host:port`` (port 0: a free one); ``received`` holds all bytes."""

    host: str = "127.0.0.1"
    port: int = 0
    state: PrinterState = field(default_factory=PrinterState)
    out: Path | None = None
    received: bytearray = field(default_factory=bytearray)
    tickets_saved: int = 0
    connections: int = 0
    #: Called with each saved picture's path (the command line prints it).
    on_saved: Callable[[Path], None] | None = None

    def __post_init__(self) -> None:
        self._queue = bytearray()  # taken, not printed yet (stopped: out of paper, cover…)
        self._resume = threading.Event()
        self._server = socket.create_server((self.host, self.port))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="printer-sim", daemon=True)
        self._lock = threading.Lock()

    def start(self) -> PrinterSimulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.close()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def job_bytes(self) -> bytes:
        with self._lock:
            return bytes(self.received)

    def _serve(self) -> None:
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        pending = b""
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                if self._resume.is_set():  # paper loaded: go on with the rest
                    self._resume.clear()
                    self._print_queued(conn)
                continue
            except OSError:
                return
            if not data:
                return
            pending = self._take(pending + data, conn)

    def _take(self, data: bytes, conn: socket.socket) -> bytes:
        """Take what arrived: answer real-time requests now, queue the rest and print what
        the printer can; return the bytes of an incomplete command."""
        state, i = self.state, 0
        while i < len(data):
            n = command_length(data, i)
            if n is None:
                break
            command = data[i : i + n]
            i += n
            if command[:2] == DLE_EOT:
                if not state.silent:
                    conn.sendall(state.answer(command[2]))
                continue
            self._queue += command
        self._print_queued(conn)
        return data[i:]

    def refill(self, lines: int | None = None) -> None:
        """Load a new roll: the printer goes on with what it had not printed."""
        self.state.paper, self.state.paper_lines = "ok", lines
        self._resume.set()

    def _print_queued(self, conn: socket.socket) -> None:
        state = self.state
        printed = bytearray()
        while self._queue and not state.stopped:
            n = command_length(bytes(self._queue), 0) or len(self._queue)
            command = bytes(self._queue[:n])
            del self._queue[:n]
            if command == b"\x1dr\x01" or command[:3] == b"\x1d(H":
                self._commit(printed)  # what came before has printed: then it answers
                printed.clear()
                if not state.silent and command[:2] == b"\x1dr":
                    conn.sendall(state.paper_sensor())
                elif not state.silent and command[5:7] == b"00":
                    conn.sendall(b"\x37\x22" + command[7:11] + b"\x00")
                continue
            printed += command
            if command == b"\n":
                state.use(1)
            elif command[:2] == b"\x1bd":
                state.use(command[2])
            elif command[:3] == b"\x1dv0":
                state.use(max(1, int.from_bytes(command[6:8], "little") // LINE_DOTS))
            elif command[:3] == b"\x1d(k" and command[6:7] == b"Q":
                state.use(QR_LINES)
        self._commit(printed)

    def _commit(self, printed: bytes | bytearray) -> None:
        with self._lock:
            before = self.received.count(CUT)
            self.received += printed
            cuts = self.received.count(CUT)
        if self.out is not None and cuts > before:
            self._save()

    def _save(self) -> None:
        from drivers.printer.paper import render_bytes

        assert self.out is not None
        self.out.mkdir(parents=True, exist_ok=True)
        jobs = self.job_bytes().split(CUT)
        # Numbered on from the pictures already there, so a new run overwrites none of them.
        first = _last_saved(self.out)
        for i, job in enumerate(jobs[self.tickets_saved : len(jobs) - 1], start=first + 1):
            self.tickets_saved += 1
            path = self.out / f"ticket-{i:04d}.png"
            render_bytes(job + CUT + b"\x00").save(path)
            if self.on_saved is not None:
                self.on_saved(path)


def _last_saved(folder: Path) -> int:
    numbers = [int(p.stem[7:]) for p in folder.glob("ticket-*.png") if p.stem[7:].isdigit()]
    return max(numbers, default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a network ESC/POS printer on loopback")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--out", type=Path, default=None, help="save each ticket as a PNG here")
    parser.add_argument("--paper", choices=["ok", "near_end", "out"], default="ok")
    parser.add_argument("--paper-lines", type=int, default=None, help="lines left on the roll")
    args = parser.parse_args(argv)
    sim = PrinterSimulator(
        port=args.port,
        out=args.out,
        state=PrinterState(paper=args.paper, paper_lines=args.paper_lines),
        on_saved=lambda path: print(f"printer: ticket printed, picture {path}", flush=True),
    )
    sim.start()
    where = f", each ticket saved as a picture in {args.out}/" if args.out else ""
    print(f"printer on 127.0.0.1:{sim.port}{where}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
