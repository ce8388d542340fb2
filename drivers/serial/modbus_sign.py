"""Dialect ``led485``: RS-485 digit signs that take Modbus RTU writes (armfly LED-485 series).

Seven-segment counter displays of 3 or 4 digits (LED-485-043/-034/-083/-054) that show an
ASCII string written to holding registers 0x0070–0x0075 (12 bytes, zero-padded) with Modbus
function 0x10, and answer each write with the standard echo (address, 0x10, register, count,
CRC). The register map and the example frames are the maker's, quoted in public driver code
(sources in ``drivers/README.md``). A digit sign cannot show Chinese: a text with characters
other than ASCII is shown as dashes, and flashing is not in the register map, so a call shows
steady. The reply to a write is the only answer, so "are you there?" is the same write again.
"""

from __future__ import annotations

from drivers.serial.messages import Ack, Message, ShowText
from drivers.serial.protocol import (
    BAD,
    NEED_MORE,
    Dialect,
    ProtocolError,
    _check_address,
    crc16_modbus,
)

WRITE_REGISTERS = 0x10
TEXT_REGISTER = 0x0070
TEXT_BYTES = 12
ERROR_BIT = 0x80


def with_crc(body: bytes) -> bytes:
    crc = crc16_modbus(body)
    return body + bytes([crc & 0xFF, crc >> 8])


def crc_ok(frame: bytes) -> bool:
    return crc16_modbus(frame[:-2]) == int.from_bytes(frame[-2:], "little")


def shown(text: str, digits: int = 4) -> str:
    """What a digit sign can show of ``text``: ASCII as it is, anything else as dashes."""
    return text if text.isascii() else "-" * digits


class ModbusDigitSignDialect(Dialect):
    """Modbus RTU function 0x10 to register 0x0070; the echo is the acknowledgement."""

    name = "led485"
    start = b""  # RTU frames start with the address: the reader tries every offset
    can_ping = False
    roles = frozenset({"sign"})

    def __init__(self, digits: int = 4) -> None:
        self.digits = digits

    def encode(self, message: Message) -> bytes:
        _check_address(message.address, 1, 247)
        if isinstance(message, ShowText):
            text = shown(message.text, self.digits).encode("ascii")[:TEXT_BYTES]
            data = text.ljust(TEXT_BYTES, b"\x00")
            head = bytes([message.address, WRITE_REGISTERS]) + TEXT_REGISTER.to_bytes(2, "big")
            count = (TEXT_BYTES // 2).to_bytes(2, "big")
            return with_crc(head + count + bytes([TEXT_BYTES]) + data)
        if isinstance(message, Ack):
            head = bytes([message.address, WRITE_REGISTERS]) + TEXT_REGISTER.to_bytes(2, "big")
            if message.fault:  # exception reply: function | 0x80, code 4 (device failure)
                return with_crc(bytes([message.address, WRITE_REGISTERS | ERROR_BIT, 0x04]))
            return with_crc(head + (TEXT_BYTES // 2).to_bytes(2, "big"))
        raise ProtocolError(f"{self.name} signs only show text, not {message!r}")

    def parse(self, buf: bytes) -> tuple[Message | None, int]:
        if len(buf) < 5:
            return None, NEED_MORE
        address, function = buf[0], buf[1]
        if not 1 <= address <= 247:
            return None, BAD
        if function == WRITE_REGISTERS | ERROR_BIT:
            return (Ack(address, fault=True), 5) if crc_ok(buf[:5]) else (None, BAD)
        if function != WRITE_REGISTERS:
            return None, BAD
        if len(buf) >= 8 and crc_ok(buf[:8]):
            return Ack(address), 8  # the echo of a write (what the master receives)
        if len(buf) < 7:
            return None, NEED_MORE
        count = int.from_bytes(buf[4:6], "big")
        if buf[6] != 2 * count or count > 123:
            return (None, NEED_MORE) if len(buf) < 8 else (None, BAD)
        total = 9 + buf[6]
        if len(buf) < total:
            return None, NEED_MORE
        if not crc_ok(buf[:total]):
            return None, BAD
        if int.from_bytes(buf[2:4], "big") != TEXT_REGISTER:
            return None, total  # a register this side does not know
        text = buf[7 : total - 2].rstrip(b"\x00").decode("ascii", errors="replace")
        return ShowText(address, text), total
