"""One half-duplex RS-485 bus over pyserial: write a request, wait for that device's reply.

The port is anything ``serial.serial_for_url`` opens: a device path, ``loop://``,
``socket://host:port``, a pty. On real hardware ``flush()`` returns when the UART has sent the
bytes; a pty or socket sends instantly, so ``pace_baud`` can make the bus wait the time the
bytes would take on the wire (the simulator and the benchmark use it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import serial

from drivers.serial.messages import Ack, Keys, Message, Reply, Request
from drivers.serial.protocol import Dialect, FrameReader

BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit


def wire_seconds(nbytes: int, baud: int) -> float:
    """How long ``nbytes`` take on a serial line at ``baud`` (8N1)."""
    return nbytes * BITS_PER_BYTE / baud


class NoAnswer(Exception):
    """The device did not answer in time, after every retry."""

    def __init__(self, address: int, attempts: int) -> None:
        super().__init__(f"device {address} did not answer ({attempts} attempts)")
        self.address = address
        self.attempts = attempts


class Port(Protocol):
    """What the bus needs of a pyserial port."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...

    def flush(self) -> None: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


def open_port(url: str, baudrate: int = 9600) -> serial.SerialBase:
    """Open a bus port: a device path or a pyserial URL, 8N1, short read timeout."""
    return serial.serial_for_url(url, baudrate=baudrate, timeout=0.01, write_timeout=2)


WriteHook = Callable[[Message, bytes, float], None]


class Bus:
    """Request/reply transactions on one port with one dialect."""

    def __init__(
        self,
        port: Port,
        dialect: Dialect,
        *,
        reply_timeout: float = 0.1,
        retries: int = 2,
        pace_baud: int | None = None,
        baud: int = 9600,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_write: WriteHook | None = None,
    ) -> None:
        self.port = port
        self.dialect = dialect
        self.reader = dialect.reader()
        self._readers = {dialect.name: self.reader}
        self.reply_timeout = reply_timeout
        self.retries = retries
        self.pace_baud = pace_baud
        self.baud = pace_baud or baud
        self.clock = clock
        self.sleep = sleep
        self.on_write = on_write
        self.frames_written = 0
        self.bytes_written = 0

    @property
    def garbled(self) -> int:
        return sum(r.garbled for r in self._readers.values())

    def reader_for(self, dialect: Dialect) -> FrameReader:
        """The reader of ``dialect``'s frames (one per dialect spoken on this bus)."""
        reader = self._readers.get(dialect.name)
        if reader is None:
            reader = self._readers[dialect.name] = dialect.reader()
        return reader

    def send(self, message: Message, dialect: Dialect | None = None) -> float:
        """Write one frame and return its wire time (no reply expected: write-only signs,
        broadcasts, and the simulator's answers)."""
        frame = (dialect or self.dialect).encode(message)
        wire = wire_seconds(len(frame), self.baud)
        if self.pace_baud:  # the last byte arrives one wire time after the first is sent
            self.sleep(wire)
        self.port.write(frame)
        self.port.flush()
        self.frames_written += 1
        self.bytes_written += len(frame)
        if self.on_write is not None:
            self.on_write(message, frame, self.clock())
        return wire

    def transact(
        self, request: Request, attempts: int | None = None, dialect: Dialect | None = None
    ) -> Reply:
        """Send ``request`` and return the addressed device's reply; ``NoAnswer`` if none."""
        dialect = dialect or self.dialect
        reader = self.reader_for(dialect)
        tries = attempts if attempts is not None else 1 + self.retries
        for _ in range(tries):
            self._drain(reader)
            self.send(request, dialect)
            reply = self._await_reply(request.address, reader)
            if reply is not None:
                return reply
        raise NoAnswer(request.address, tries)

    def _drain(self, reader: FrameReader) -> None:
        """Drop stale bytes before a request: on a half-duplex bus they answer nobody now."""
        if self.port.in_waiting:
            reader.feed(self.port.read(self.port.in_waiting))
        reader.clear()

    def _await_reply(self, address: int, reader: FrameReader) -> Reply | None:
        deadline = self.clock() + self.reply_timeout
        while self.clock() < deadline:
            data = self.port.read(self.port.in_waiting or 1)
            if not data:
                continue
            for message in reader.feed(data):
                if isinstance(message, Ack | Keys) and message.address == address:
                    return message
        return None

    def read_messages(self) -> list[Message]:
        """Whatever complete frames have arrived (the device side of the bus uses this)."""
        data = self.port.read(self.port.in_waiting or 1)
        return self.reader.feed(data) if data else []

    def close(self) -> None:
        self.port.close()
