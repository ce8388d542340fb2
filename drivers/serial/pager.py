"""Dialect ``wave``: vibrating guest pagers through a serial paging encoder (the WaveWare
Paging Protocol of the SPS paging systems, published in their manuals).

For halls where a customer who cannot hear takes a pager with their ticket: when the ticket
is called, the pager vibrates and, on an alphanumeric pager, shows the number and counter.
The encoder keys the transmitter; pagers are addressed by their cap code (up to seven digits).
One frame per page, 9600 8N1::

    SOH  T , B , CCCCCCC ,  STX  MESSAGE  ETX  EOT

``T`` is the page type (``A`` alphanumeric, ``N`` numeric, ``1``-``4`` beeps/vibrations only),
``B`` the over-the-air rate (``5`` 512, ``1`` 1200, ``2`` 2400 bps), ``C`` the cap code (the
commas allow it without its leading zeroes). A beeps-only page has no message part. The
encoder first echoes the command, then answers ``SOH ACK version,queued,…  EOT`` when it
took the page, or ``SOH NAK EE EOT`` (``EE`` an error number) when it did not.

Restaurant coaster pagers sold for queues in China mostly come with a keypad transmitter and
no documented host protocol; where their transmitter has none, this dialect cannot drive them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from drivers.serial.messages import Ack, Message
from drivers.serial.protocol import BAD, NEED_MORE, Dialect, ProtocolError

SOH, STX, ETX, EOT, ACK, NAK = 0x01, 0x02, 0x03, 0x04, 0x06, 0x15
RATES = {512: b"5", 1200: b"1", 2400: b"2"}
MAX_CAP_CODE = 9_999_999
MAX_MESSAGE = 80  # what the SPS encoders accept for an alphanumeric page


@dataclass(frozen=True)
class Page:
    """Page one pager: vibrate ``beeps`` times (1-4), or show ``text`` (and vibrate)."""

    cap_code: int
    text: str = ""
    beeps: int = 2


class WavePagerDialect(Dialect):
    """``SOH T,B,CAP,STX MSG ETX EOT``; answered ``SOH ACK … EOT`` or ``SOH NAK EE EOT``."""

    name = "wave"
    start = bytes([SOH])
    can_ping = False
    roles = frozenset({"pager"})
    STATUS: ClassVar[int] = 32  # longest answer read before giving up on a frame

    def __init__(self, rate: int = 1200) -> None:
        if rate not in RATES:
            raise ProtocolError(f"paging rate {rate} (known: {', '.join(map(str, RATES))})")
        self.rate = RATES[rate]

    def encode(self, message: Message | Page) -> bytes:
        if not isinstance(message, Page):
            raise ProtocolError(f"{self.name} encoders only page, not {message!r}")
        if not 0 < message.cap_code <= MAX_CAP_CODE:
            raise ProtocolError(f"cap code {message.cap_code} outside 1..{MAX_CAP_CODE}")
        head = b",".join([b"", self.rate, str(message.cap_code).encode(), b""])
        if not message.text:
            if not 1 <= message.beeps <= 4:
                raise ProtocolError(f"{message.beeps} beeps (a tone page has 1 to 4)")
            return bytes([SOH]) + str(message.beeps).encode() + head + bytes([EOT])
        try:
            text = message.text.encode("ascii")
        except UnicodeEncodeError:
            raise ProtocolError("pagers show ASCII only: send the number and counter") from None
        if len(text) > MAX_MESSAGE or any(b < 0x20 for b in text):
            raise ProtocolError(f"a page's text is 1 to {MAX_MESSAGE} printable characters")
        return bytes([SOH]) + b"A" + head + bytes([STX]) + text + bytes([ETX, EOT])

    def parse(self, buf: bytes) -> tuple[Message | None, int]:
        """The encoder's answer (``Ack``, ``fault`` for a NAK), or its echo (skipped)."""
        if len(buf) < 2:
            return None, NEED_MORE
        end = buf.find(bytes([EOT]), 1)
        if end < 0:
            return (None, BAD) if len(buf) > MAX_MESSAGE + self.STATUS else (None, NEED_MORE)
        if buf[1] == ACK:
            return Ack(0), end + 1
        if buf[1] == NAK:
            return Ack(0, fault=True), end + 1
        if buf[1:2] in (b"A", b"N", b"1", b"2", b"3", b"4"):
            return None, end + 1  # the echo of our own command
        return None, BAD


def nak_code(frame: bytes) -> str:
    """The error number of a ``SOH NAK EE EOT`` answer (for the log)."""
    return frame[2:-1].decode("ascii", "replace")
