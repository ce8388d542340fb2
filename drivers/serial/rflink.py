"""Dialect ``rflink``: wireless keypads and evaluators heard through an RFLink-protocol receiver.

Bank callers and evaluators sold as wireless sets are 433 MHz remotes with an EV1527 encoder:
each press sends a fixed 24-bit code, a 20-bit remote ID and a 4-bit key. A receiver on USB
serial (the RFLink gateway firmware, or the EV1527Link gateway that speaks its protocol)
pushes one ASCII line per press, unsolicited, at 57600 baud::

    20;2D;EV1527;ID=295FD59;SWITCH=3;CMD=ON;\\r\\n

``20`` marks a line from the receiver, ``2D`` is its rolling line counter (hex), then the RF
protocol and the fields. ``10;PING;`` asks the receiver whether it is there; it answers
``20;nn;PONG;``. Sources in ``drivers/README.md``. A remote's ID is its address here
(``keypad_address = 0x295FD59``); which key value is which button is the set's own, so it is
configured (``[signs.wireless_keys]``), with the common one-bit-per-button layout as default.
A remote repeats its code while the button is held and the receiver reports each repeat:
``PressFilter`` makes one press of a repeat burst.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from drivers.serial.messages import Ack, KeyCode, Keys, Message, Ping
from drivers.serial.protocol import BAD, NEED_MORE, Dialect, ProtocolError

DEFAULT_KEYPAD_KEYS: Mapping[int, KeyCode] = {
    1: KeyCode.CALL_NEXT,
    2: KeyCode.RECALL,
    4: KeyCode.PAUSE,
    8: KeyCode.FINISH,
}
DEFAULT_EVALUATOR_KEYS: Mapping[int, KeyCode] = {
    1: KeyCode.EVAL_5,  # 满意
    2: KeyCode.EVAL_3,  # 一般
    4: KeyCode.EVAL_1,  # 不满意
}
MAX_LINE = 200


class RFLinkDialect(Dialect):
    """ASCII lines ``20;NN;EV1527;ID=…;SWITCH=…;CMD=ON;``; the receiver pushes, never polled."""

    name = "rflink"
    start = b"20;"
    pushes_keys = True
    roles = frozenset({"keypad", "evaluator"})
    PROTOCOLS: ClassVar[frozenset[str]] = frozenset({"EV1527"})

    def __init__(
        self,
        keys: Mapping[int, KeyCode] | None = None,
        evaluator_keys: Mapping[int, KeyCode] | None = None,
        evaluators: Iterable[int] = (),
    ) -> None:
        self.keys = dict(keys or DEFAULT_KEYPAD_KEYS)
        self.evaluator_keys = dict(evaluator_keys or DEFAULT_EVALUATOR_KEYS)
        self.evaluators = frozenset(evaluators)
        self._counter = 0

    def keys_of(self, address: int) -> Mapping[int, KeyCode]:
        """A remote's key values: an evaluator's three, or a teller keypad's."""
        return self.evaluator_keys if address in self.evaluators else self.keys

    def encode(self, message: Message) -> bytes:
        """``Ping`` is the master's ``10;PING;``; ``Keys``/``Ack`` are the receiver's lines."""
        if isinstance(message, Ping):
            return b"10;PING;\r\n"
        self._counter = (self._counter + 1) % 256
        if isinstance(message, Ack):
            return f"20;{self._counter:02X};PONG;\r\n".encode()
        if isinstance(message, Keys) and len(message.keys) == 1:
            table = self.keys_of(message.address)
            switch = next((k for k, v in table.items() if v is message.keys[0]), None)
            if switch is None:
                raise ProtocolError(f"no wireless key is mapped to {message.keys[0]}")
            line = f"20;{self._counter:02X};EV1527;ID={message.address:X};SWITCH={switch:X};CMD=ON;"
            return line.encode() + b"\r\n"
        raise ProtocolError(f"cannot encode {message!r} (one key per line)")

    def parse(self, buf: bytes) -> tuple[Message | None, int]:
        end = buf.find(b"\n")
        if end < 0:
            return (None, NEED_MORE) if len(buf) < MAX_LINE else (None, BAD)
        line = buf[:end].rstrip(b"\r").decode("ascii", errors="replace")
        fields = line.split(";")
        if len(fields) < 3 or fields[0] != "20":
            return None, BAD
        return self._message(fields[2:]), end + 1

    def _message(self, fields: list[str]) -> Message | None:
        if fields[0] == "PONG":
            return Ack(0)
        if fields[0] not in self.PROTOCOLS:
            return None  # another RF device the receiver heard (a doorbell, a sensor)
        values = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        try:
            address, switch = int(values["ID"], 16), int(values["SWITCH"], 16)
        except (KeyError, ValueError):
            return None
        if values.get("CMD", "ON") != "ON":
            return None
        key = self.keys_of(address).get(switch)
        return None if key is None else Keys(address, None, (key,))


@dataclass
class PressFilter:
    """One press per repeat burst: the same remote and key again within ``window_s`` is a
    repeat of the press, not a new one (time passed in)."""

    window_s: float = 0.6
    _last: dict[tuple[int, KeyCode], float] = field(default_factory=dict)

    def accept(self, address: int, key: KeyCode, now: float) -> bool:
        last = self._last.get((address, key))
        self._last[(address, key)] = now
        return last is None or now - last > self.window_s
