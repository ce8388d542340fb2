"""Frames on the RS-485 bus: our own dialect ``bq1`` and a vendor's keypads, ``v68``.

A ``Dialect`` turns a ``Message`` into bytes and parses bytes that start with its start
sequence; ``FrameReader`` finds frames in a byte stream, skipping garbage (counted, never
raised), so a noisy line or a half-sent frame costs one frame, not the bus. The byte layouts
are written down in ``drivers/README.md``. A new vendor is one subclass of ``Dialect``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from drivers.serial.messages import (
    Ack,
    KeyCode,
    KeypadShow,
    Keys,
    Message,
    Ping,
    Poll,
    ShowText,
)

TEXT_ENCODING = "gbk"  # GB2312 is a subset; signs sold in China carry a GB2312/GBK font

NEED_MORE = 0  # parse(): the frame is not complete yet
BAD = -1  # parse(): the bytes at the start are not a frame


def encode_text(text: str) -> bytes:
    """GBK bytes of ``text``; a character a GBK sign cannot show becomes ``?``."""
    return text.encode(TEXT_ENCODING, errors="replace")


def decode_text(data: bytes) -> str:
    return data.decode(TEXT_ENCODING, errors="replace")


class ProtocolError(ValueError):
    """A message that this dialect cannot express (address out of range, text too long…)."""


class Dialect(ABC):
    """One vendor's frame format and command codes."""

    name: ClassVar[str]
    start: ClassVar[bytes]  # the bytes every frame begins with (for resynchronising)
    has_sequence: ClassVar[bool] = False  # whether Keys carry a sequence number
    acknowledges: ClassVar[bool] = True  # a device answers every frame addressed to it
    frame_gap_s: ClassVar[float] = 0.0  # quiet time a device needs after a frame to it
    can_ping: ClassVar[bool] = True  # has a frame that only asks "are you there?"
    pushes_keys: ClassVar[bool] = False  # presses arrive unsolicited (a wireless receiver)
    roles: ClassVar[frozenset[str]] = frozenset({"sign", "keypad"})  # devices it speaks to

    @abstractmethod
    def encode(self, message: Message) -> bytes:
        """The frame for ``message``."""

    @abstractmethod
    def parse(self, buf: bytes) -> tuple[Message | None, int]:
        """Parse the frame at the start of ``buf`` (which begins with ``start``).

        Returns ``(message, length)`` for a good frame, ``(None, length)`` for a well-formed
        frame this side does not understand, ``(None, NEED_MORE)`` or ``(None, BAD)``.
        """

    def reader(self) -> FrameReader:
        return FrameReader(self)


class FrameReader:
    """Finds frames in a stream of bytes; ``garbled`` counts the stretches of garbage."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.buf = bytearray()
        self.garbled = 0
        self.unknown = 0
        self._in_junk = False

    def clear(self) -> None:
        """Forget a partial frame (before a new request on a half-duplex bus)."""
        if self.buf:
            self._junk()
        self.buf.clear()

    def _junk(self) -> None:
        if not self._in_junk:
            self.garbled += 1
            self._in_junk = True

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return the complete messages found, in order."""
        self.buf += data
        found: list[Message] = []
        start = self.dialect.start
        while self.buf:
            at = self.buf.find(start)
            if at < 0:
                keep = self._partial_start_len()
                if len(self.buf) > keep:
                    self._junk()
                    del self.buf[: len(self.buf) - keep]
                break
            if at > 0:
                self._junk()
                del self.buf[:at]
            message, length = self.dialect.parse(bytes(self.buf))
            if length == NEED_MORE:
                break
            if length == BAD:
                self._junk()
                del self.buf[:1]
                continue
            del self.buf[:length]
            self._in_junk = False
            if message is None:
                self.unknown += 1
            else:
                found.append(message)
        return found

    def _partial_start_len(self) -> int:
        """How many trailing bytes could be the beginning of a start sequence."""
        start = self.dialect.start
        for n in range(min(len(start) - 1, len(self.buf)), 0, -1):
            if self.buf.endswith(start[:n]):
                return n
        return 0


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), the usual RS-485 check."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def _check_address(address: int, low: int = 1, high: int = 247) -> None:
    if not low <= address <= high:
        raise ProtocolError(f"address {address} outside {low}..{high}")


class BranchQDialect(Dialect):
    """``02 ADDR CMD LEN PAYLOAD… CRC_lo CRC_hi 03``, CRC-16/MODBUS over ADDR..PAYLOAD."""

    name = "bq1"
    start = b"\x02"
    has_sequence = True
    roles = frozenset({"sign", "keypad", "evaluator"})
    STX, ETX = 0x02, 0x03
    PING, SHOW, POLL, KEYPAD_SHOW = 0x01, 0x10, 0x20, 0x21
    REPLY = 0x80
    KEYS: ClassVar[dict[KeyCode, int]] = {
        KeyCode.CALL_NEXT: 0x01,
        KeyCode.RECALL: 0x02,
        KeyCode.SKIP: 0x03,
        KeyCode.START: 0x04,
        KeyCode.FINISH: 0x05,
        KeyCode.PAUSE: 0x06,
        KeyCode.TRANSFER: 0x07,
        KeyCode.CANCEL: 0x0E,
        KeyCode.CONFIRM: 0x0F,
        **{KeyCode.for_digit(d): 0x30 + d for d in range(10)},
        **{KeyCode.for_evaluation(s): 0x40 + s for s in range(1, 6)},
    }
    KEY_OF: ClassVar[dict[int, KeyCode]] = {v: k for k, v in KEYS.items()}

    def frame(self, address: int, command: int, payload: bytes = b"") -> bytes:
        if len(payload) > 255:
            raise ProtocolError(f"payload of {len(payload)} bytes (at most 255)")
        body = bytes([address, command, len(payload)]) + payload
        crc = crc16_modbus(body)
        return bytes([self.STX]) + body + bytes([crc & 0xFF, crc >> 8, self.ETX])

    def encode(self, message: Message) -> bytes:
        _check_address(message.address)
        match message:
            case Ping(address):
                return self.frame(address, self.PING)
            case ShowText(address, text, flash_s):
                return self.frame(
                    address, self.SHOW, bytes([min(flash_s, 255)]) + encode_text(text)
                )
            case Poll(address, ack_seq):
                return self.frame(address, self.POLL, bytes([ack_seq & 0xFF]))
            case KeypadShow(address, number, waiting):
                count = min(max(waiting, 0), 0xFFFF).to_bytes(2, "big")
                return self.frame(address, self.KEYPAD_SHOW, count + encode_text(number))
            case Ack(address, fault):
                return self.frame(address, self.PING | self.REPLY, bytes([int(fault)]))
            case Keys(address, seq, keys):
                codes = bytes(self.KEYS[k] for k in keys)
                return self.frame(
                    address, self.POLL | self.REPLY, bytes([(seq or 0) & 0xFF]) + codes
                )
        raise ProtocolError(f"cannot encode {message!r}")

    def parse(self, buf: bytes) -> tuple[Message | None, int]:
        if len(buf) < 4:
            return None, NEED_MORE
        total = 4 + buf[3] + 3
        if len(buf) < total:
            return None, NEED_MORE
        body, crc, etx = buf[1 : total - 3], buf[total - 3 : total - 1], buf[total - 1]
        if etx != self.ETX or int.from_bytes(crc, "little") != crc16_modbus(body):
            return None, BAD
        return self._message(body[0], body[1], body[3:]), total

    def _message(self, address: int, command: int, payload: bytes) -> Message | None:
        if command == self.PING:
            return Ping(address)
        if command == self.SHOW and payload:
            return ShowText(address, decode_text(payload[1:]), payload[0])
        if command == self.POLL and payload:
            return Poll(address, payload[0])
        if command == self.KEYPAD_SHOW and len(payload) >= 2:
            return KeypadShow(address, decode_text(payload[2:]), int.from_bytes(payload[:2], "big"))
        if command in (
            self.PING | self.REPLY,
            self.SHOW | self.REPLY,
            self.KEYPAD_SHOW | self.REPLY,
        ):
            return Ack(address, fault=bool(payload and payload[0]))
        if command == self.POLL | self.REPLY and payload:
            keys = tuple(self.KEY_OF[c] for c in payload[1:] if c in self.KEY_OF)
            return Keys(address, payload[0], keys)
        return None


class Vendor68Dialect(Dialect):
    """``FF 68 L L 68 ADDR FUNC DATA… CS 16`` as seen on one vendor's keypads.

    ``L`` = 2 + len(DATA); ``CS`` = sum of ADDR..DATA mod 256. One key per answer; no
    sequence numbers. The key codes 0x0C call, 0x0D recall, 0x0B evaluate, 0x12 pause,
    0x13 transfer, digits then 0x0F confirm are the vendor's; the others are ours (README).
    """

    name = "v68"
    start = b"\xff\x68"
    roles = frozenset({"keypad", "evaluator"})  # its sign commands are not the vendor's
    POLL, SHOW, KEYPAD_SHOW, PING, ACK = 0x01, 0x02, 0x03, 0x05, 0x06
    EVALUATE = 0x0B
    KEYS: ClassVar[dict[KeyCode, int]] = {
        KeyCode.CALL_NEXT: 0x0C,
        KeyCode.RECALL: 0x0D,
        KeyCode.SKIP: 0x0E,
        KeyCode.CONFIRM: 0x0F,
        KeyCode.START: 0x10,
        KeyCode.FINISH: 0x11,
        KeyCode.PAUSE: 0x12,
        KeyCode.TRANSFER: 0x13,
        KeyCode.CANCEL: 0x14,
        **{KeyCode.for_digit(d): 0x30 + d for d in range(10)},
    }
    KEY_OF: ClassVar[dict[int, KeyCode]] = {v: k for k, v in KEYS.items()}

    def frame(self, address: int, func: int, data: bytes = b"") -> bytes:
        if len(data) > 253:
            raise ProtocolError(f"data of {len(data)} bytes (at most 253)")
        body = bytes([address, func]) + data
        n = len(body)
        return b"\xff\x68" + bytes([n, n, 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])

    def encode(self, message: Message) -> bytes:
        _check_address(message.address, 1, 254)
        match message:
            case Ping(address):
                return self.frame(address, self.PING)
            case ShowText(address, text, flash_s):
                return self.frame(
                    address, self.SHOW, bytes([min(flash_s, 255)]) + encode_text(text)
                )
            case Poll(address, _):
                return self.frame(address, self.POLL)
            case KeypadShow(address, number, waiting):
                shown = f"{min(max(waiting, 0), 999):03d}"
                return self.frame(address, self.KEYPAD_SHOW, shown.encode() + encode_text(number))
            case Ack(address, fault):
                return self.frame(address, self.ACK, bytes([int(fault)]))
            case Keys(address, _, ()):
                return self.frame(address, self.ACK, b"\x00")
            case Keys(address, _, (key,)):
                if key.evaluation is not None:
                    return self.frame(address, self.EVALUATE, bytes([key.evaluation]))
                return self.frame(address, self.KEYS[key])
        raise ProtocolError(f"cannot encode {message!r} (one key per frame)")

    def parse(self, buf: bytes) -> tuple[Message | None, int]:
        if len(buf) < 5:
            return None, NEED_MORE
        n = buf[2]
        if buf[3] != n or buf[4] != 0x68 or n < 2:
            return None, BAD
        total = 5 + n + 2
        if len(buf) < total:
            return None, NEED_MORE
        body = buf[5 : 5 + n]
        if buf[total - 1] != 0x16 or buf[total - 2] != sum(body) & 0xFF:
            return None, BAD
        return self._message(body[0], body[1], body[2:]), total

    def _message(self, address: int, func: int, data: bytes) -> Message | None:
        if func == self.PING:
            return Ping(address)
        if func == self.POLL:
            return Poll(address)
        if func == self.SHOW and data:
            return ShowText(address, decode_text(data[1:]), data[0])
        if func == self.KEYPAD_SHOW and len(data) >= 3 and data[:3].isdigit():
            return KeypadShow(address, decode_text(data[3:]), int(data[:3]))
        if func == self.ACK:
            return Ack(address, fault=bool(data and data[0]))
        if func == self.EVALUATE and data and 1 <= data[0] <= 5:
            return Keys(address, None, (KeyCode.for_evaluation(data[0]),))
        if func in self.KEY_OF:
            return Keys(address, None, (self.KEY_OF[func],))
        return None
