"""The ``wave`` pager dialect against an encoder on the other end of a socat pty pair that
checks each frame as the WaveWare Paging Protocol describes it, echoes it and answers
ACK (page queued) or NAK (a cap code it does not serve)."""

from __future__ import annotations

import re
import threading

import pytest
import serial

from drivers.serial.dialects import dialect_named
from drivers.serial.messages import Ack
from drivers.serial.pager import ACK, EOT, NAK, SOH, Page, WavePagerDialect, nak_code
from drivers.serial.protocol import ProtocolError
from drivers.serial.ptypair import PtyPair

#: The paging command as the protocol's manual gives it (commas optional; ours always has them).
COMMAND = re.compile(rb"\x01([AN1-4]),([512]),(\d{1,7}),(?:\x02([ -~]{1,80})\x03)?\x04")


class Encoder(threading.Thread):
    """A paging encoder: takes pages for cap codes up to 999 999, refuses the others."""

    def __init__(self, port: str) -> None:
        super().__init__(daemon=True)
        self.port = serial.Serial(port, 9600, timeout=0.05)
        self.pages: list[tuple[str, str, int, str]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        buf = b""
        while not self.stop.is_set():
            buf += self.port.read(64)
            while (end := buf.find(bytes([EOT]))) >= 0:
                frame, buf = buf[: end + 1], buf[end + 1 :]
                found = COMMAND.fullmatch(frame)
                self.port.write(frame)  # the echo comes first
                if found is None:
                    self.port.write(bytes([SOH, NAK]) + b"01" + bytes([EOT]))
                    continue
                kind, rate, cap, text = found.groups()
                if int(cap) > 999_999:
                    self.port.write(bytes([SOH, NAK]) + b"07" + bytes([EOT]))
                    continue
                self.pages.append((kind.decode(), rate.decode(), int(cap), (text or b"").decode()))
                self.port.write(bytes([SOH, ACK]) + b"9.10,00,0,0,00" + bytes([EOT]))
        self.port.close()


def page(port: serial.Serial, dialect: WavePagerDialect, message: Page) -> list[object]:
    reader = dialect.reader()
    port.write(dialect.encode(message))
    got: list[object] = []
    while not any(isinstance(m, Ack) for m in got):
        chunk = port.read(64)
        assert chunk, "the encoder did not answer"
        got += reader.feed(chunk)
    return got


def test_pages_reach_the_encoder_as_the_protocol_says_and_its_answers_are_read() -> None:
    dialect = dialect_named("wave", role="pager")
    assert isinstance(dialect, WavePagerDialect)
    with PtyPair() as pair:
        encoder = Encoder(pair.b)
        encoder.start()
        try:
            host = serial.Serial(pair.a, 9600, timeout=5)
            assert page(host, dialect, Page(1234, "A012 -> 3")) == [Ack(0)]
            assert page(host, dialect, Page(42, beeps=3)) == [Ack(0)]
            assert page(host, dialect, Page(9_999_999, "A013")) == [Ack(0, fault=True)]
            host.close()
        finally:
            encoder.stop.set()
            encoder.join(5)
    assert encoder.pages == [("A", "1", 1234, "A012 -> 3"), ("3", "1", 42, "")]
    assert nak_code(bytes([SOH, NAK]) + b"07" + bytes([EOT])) == "07"


def test_what_a_pager_cannot_show_is_refused_before_it_is_sent() -> None:
    dialect = WavePagerDialect(rate=512)
    assert dialect.encode(Page(7, beeps=1)) == b"\x011,5,7,\x04"
    for bad in (Page(0, "A1"), Page(10_000_000, "A1"), Page(5, "请到3号窗口"), Page(5, beeps=5),
                Page(5, "x" * 81)):  # fmt: skip
        with pytest.raises(ProtocolError):
            dialect.encode(bad)
    with pytest.raises(ProtocolError):
        dialect_named("wave", role="sign")
    with pytest.raises(ProtocolError):
        WavePagerDialect(rate=9600)
