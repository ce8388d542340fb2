"""A network ticket printer on loopback (raw TCP, like port 9100) for tests and demos.

It keeps every byte it receives, answers ``DLE EOT n`` status requests from its state (paper
near end or out, cover open, offline), as a real printer does even inside other data, and
with ``--out FOLDER`` saves each cut ticket as a PNG::

    python -m drivers.printer.simulator --port 9100 --out tickets/
"""

from __future__ import annotations

import argparse
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path

from drivers.printer.status import DLE_EOT

CUT = b"\x1dV"


@dataclass
class PrinterState:
    paper: str = "ok"  # ok | near_end | out
    cover_open: bool = False
    offline: bool = False
    silent: bool = False  # answers no status request at all

    def answer(self, n: int) -> bytes:
        """The status byte for ``DLE EOT n``."""
        value = 0x12
        if n == 1 and (self.offline or self.cover_open or self.paper == "out"):
            value |= 0x08
        elif n == 2:
            value |= 0x04 if self.cover_open else 0
            value |= 0x20 if self.paper == "out" else 0
        elif n == 4:
            value |= {"ok": 0, "near_end": 0x0C, "out": 0x6C}[self.paper]
        return bytes([value])


@dataclass
class PrinterSimulator:
    """Listens on ``host:port`` (port 0: a free one); ``received`` holds all bytes."""

    host: str = "127.0.0.1"
    port: int = 0
    state: PrinterState = field(default_factory=PrinterState)
    out: Path | None = None
    received: bytearray = field(default_factory=bytearray)
    tickets_saved: int = 0

    def __post_init__(self) -> None:
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
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        pending = b""
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            pending = self._take(pending + data, conn)

    def _take(self, data: bytes, conn: socket.socket) -> bytes:
        """Answer status requests; keep the rest; return an incomplete request's bytes."""
        kept = bytearray()
        i = 0
        while i < len(data):
            if data[i : i + 2] == DLE_EOT[: len(data) - i] and len(data) - i < 3:
                break  # a request split across reads
            if data[i : i + 2] == DLE_EOT:
                if not self.state.silent:
                    conn.sendall(self.state.answer(data[i + 2]))
                i += 3
                continue
            kept.append(data[i])
            i += 1
        with self._lock:
            before = self.received.count(CUT)
            self.received += kept
            cuts = self.received.count(CUT)
        if self.out is not None and cuts > before:
            self._save()
        return data[i:]

    def _save(self) -> None:
        from drivers.printer.paper import render_bytes

        assert self.out is not None
        self.out.mkdir(parents=True, exist_ok=True)
        jobs = self.job_bytes().split(CUT)
        for job in jobs[self.tickets_saved : len(jobs) - 1]:
            self.tickets_saved += 1
            render_bytes(job + CUT + b"\x00").save(
                self.out / f"ticket-{self.tickets_saved:04d}.png"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="a network ESC/POS printer on loopback")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--out", type=Path, default=None, help="save each ticket as a PNG here")
    parser.add_argument("--paper", choices=["ok", "near_end", "out"], default="ok")
    args = parser.parse_args(argv)
    sim = PrinterSimulator(port=args.port, out=args.out, state=PrinterState(paper=args.paper))
    sim.start()
    print(f"printer on 127.0.0.1:{sim.port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
