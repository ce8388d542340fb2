"""What travels on the sign and keypad bus, independent of any vendor's bytes.

A dialect (see ``protocol.py``) turns these messages into frames and back. Master → device:
``Ping``, ``ShowText``, ``Poll``, ``KeypadShow``. Device → master: ``Ack``, ``Keys``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class KeyCode(Enum):
    """A key on the teller's keypad (呼叫器) or the customer's evaluation keys."""

    CALL_NEXT = "call_next"
    RECALL = "recall"
    SKIP = "skip"
    START = "start"
    FINISH = "finish"
    PAUSE = "pause"  # pauses an open counter, resumes a paused one, opens a closed one
    TRANSFER = "transfer"  # then the service's digit, then CONFIRM
    CONFIRM = "confirm"
    CANCEL = "cancel"
    DIGIT_0 = "0"
    DIGIT_1 = "1"
    DIGIT_2 = "2"
    DIGIT_3 = "3"
    DIGIT_4 = "4"
    DIGIT_5 = "5"
    DIGIT_6 = "6"
    DIGIT_7 = "7"
    DIGIT_8 = "8"
    DIGIT_9 = "9"
    EVAL_1 = "eval1"
    EVAL_2 = "eval2"
    EVAL_3 = "eval3"
    EVAL_4 = "eval4"
    EVAL_5 = "eval5"

    @property
    def digit(self) -> int | None:
        """0–9 for a digit key, else None."""
        return int(self.value) if self.value.isdigit() else None

    @property
    def evaluation(self) -> int | None:
        """1–5 for an evaluation key, else None."""
        return int(self.value[4:]) if self.value.startswith("eval") else None

    @classmethod
    def for_digit(cls, digit: int) -> KeyCode:
        return cls(str(digit))

    @classmethod
    def for_evaluation(cls, score: int) -> KeyCode:
        return cls(f"eval{score}")


@dataclass(frozen=True)
class Ping:
    """Are you there? Answered by ``Ack``."""

    address: int


@dataclass(frozen=True)
class ShowText:
    """Show ``text`` on a sign; flash it for ``flash_s`` seconds first (0: steady)."""

    address: int
    text: str
    flash_s: int = 0


@dataclass(frozen=True)
class Poll:
    """Ask a keypad for its key presses; ``ack_seq`` confirms the presses last received."""

    address: int
    ack_seq: int = 0


@dataclass(frozen=True)
class KeypadShow:
    """Show the counter's current number and how many wait on the keypad's small display."""

    address: int
    number: str
    waiting: int


@dataclass(frozen=True)
class Ack:
    """A device's answer to ``Ping``, ``ShowText`` or ``KeypadShow``; ``fault``: it reports one."""

    address: int
    fault: bool = False


@dataclass(frozen=True)
class Keys:
    """A keypad's answer to ``Poll``: the presses since ``ack_seq`` (possibly none).

    ``seq`` numbers the batch; a batch repeated because its answer got lost has the same
    ``seq`` and is ignored. Dialects without sequence numbers send ``seq = None``.
    """

    address: int
    seq: int | None
    keys: tuple[KeyCode, ...] = ()


Message = Ping | ShowText | Poll | KeypadShow | Ack | Keys
Request = Ping | ShowText | Poll | KeypadShow
Reply = Ack | Keys
