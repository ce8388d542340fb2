"""Dialect ``aa51``: the write-only serial LED strip signs framed ``AA ADDR BB 51 54 … FF``.

These commodity one-line signs (GB2312 text, red or tri-colour) are sold for counters, taxis'
roof lights and training kits; they never answer. The layout, from public code that drives
them (sources in ``drivers/README.md``)::

    AA | ADDR | BB 51 54 | CS | PLAY SPEED STOP COLOUR VALID | GB2312 TEXT | FF

``CS`` is the sum of the five property bytes and the text, mod 256. ``PLAY`` is how the text
enters (01 scroll left … 07 flash, 08 show at once), ``SPEED`` 0–7, ``STOP`` how long it stays
(seconds), ``COLOUR`` 0 red, 1 green, 2 yellow, ``VALID`` 0x63 in every published frame.
Text bytes are GB2312/GBK, whose bytes are never ``FF``, so ``FF`` ends the frame.
"""

from __future__ import annotations

from typing import ClassVar

from drivers.serial.messages import Message, ShowText
from drivers.serial.protocol import (
    BAD,
    NEED_MORE,
    Dialect,
    ProtocolError,
    _check_address,
    decode_text,
    encode_text,
)

PLAY_FLASH, PLAY_AT_ONCE = 0x07, 0x08
RED, GREEN, YELLOW = 0x00, 0x01, 0x02
VALID = 0x63


class StripSignDialect(Dialect):
    """``AA ADDR BB 51 54 CS PROPS… TEXT FF``; write-only, one frame per text."""

    name = "aa51"
    start = b"\xaa"
    acknowledges = False
    can_ping = False
    frame_gap_s = 0.1  # the quiet time these signs are driven with; see drivers/README.md
    roles = frozenset({"sign"})
    COMMAND: ClassVar[bytes] = b"\xbb\x51\x54"
    END = 0xFF
    MAX_TEXT = 200

    def __init__(self, colour: int = RED) -> None:
        self.colour = colour

    def frame(self, address: int, props: bytes, text: bytes) -> bytes:
        if len(text) > self.MAX_TEXT:
            raise ProtocolError(f"text of {len(text)} bytes (at most {self.MAX_TEXT})")
        checksum = sum(props + text) & 0xFF
        return bytes([0xAA, address]) + self.COMMAND + bytes([checksum]) + props + text + b"\xff"

    def encode(self, message: Message) -> bytes:
        if not isinstance(message, ShowText):
            raise ProtocolError(f"{self.name} signs only show text, not {message!r}")
        _check_address(message.address, 1, 254)
        if message.flash_s:
            props = bytes([PLAY_FLASH, 0, min(message.flash_s, 127), self.colour, VALID])
        else:
            props = bytes([PLAY_AT_ONCE, 0, 0, self.colour, VALID])
        return self.frame(message.address, props, encode_text(message.text))

    def parse(self, buf: bytes) -> tuple[Message | None, int]:
        if len(buf) < 12:
            return None, NEED_MORE
        if buf[2:5] != self.COMMAND:
            return None, BAD
        end = buf.find(b"\xff", 11)
        if end < 0:
            return (None, NEED_MORE) if len(buf) < 12 + self.MAX_TEXT else (None, BAD)
        props, text = buf[6:11], buf[11:end]
        if sum(props + text) & 0xFF != buf[5]:
            return None, BAD
        flash = props[2] if props[0] == PLAY_FLASH else 0
        return ShowText(buf[1], decode_text(text), flash), end + 1
