"""What a teller's key presses mean for the engine: pure, one state machine per keypad.

Keys map to the counter actions of the v1 API; ``TRANSFER``, a digit and ``CONFIRM`` transfer
the current customer to the service with that digit; an evaluation key finishes the current
customer with that rating, or rates the customer just finished (once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from drivers.serial.layout import SignSettings
from drivers.serial.messages import KeyCode
from queue_core.domain.counters import AVAILABILITY, CounterState

SIMPLE = {
    KeyCode.CALL_NEXT: "call-next",
    KeyCode.RECALL: "recall",
    KeyCode.SKIP: "skip",
    KeyCode.START: "start",
    KeyCode.FINISH: "finish",
}
RATING_OF_THREE_KEYS = {1: 1, 2: 3, 3: 5}  # unsatisfied, fair, satisfied


@dataclass(frozen=True)
class CounterAction:
    """``POST /counters/{counter}/{action}`` with ``body``."""

    counter: int
    action: str
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class RateTicket:
    """``POST /tickets/{ticket_id}/rating``."""

    ticket_id: str
    rating: int


@dataclass(frozen=True)
class Refused:
    """A press that means nothing now (shown on the keypad, not sent)."""

    reason: str


Action = CounterAction | RateTicket | Refused


@dataclass(frozen=True)
class CounterView:
    """What the keypad needs to know about its counter."""

    number: int
    state: str = "open"
    current_id: str | None = None
    last_finished_id: str | None = None


@dataclass
class KeypadInput:
    """The keypad's own state: whether a transfer is being keyed in, and its digits."""

    settings: SignSettings
    transferring: bool = False
    digits: list[int] = field(default_factory=list)

    def press(self, key: KeyCode, counter: CounterView) -> Action | None:
        """The action one key press asks for; None while a transfer is still being keyed."""
        if key in SIMPLE:
            self._reset()
            return CounterAction(counter.number, SIMPLE[key])
        if key is KeyCode.PAUSE:
            self._reset()
            # one key for the teller's availability: the move the counter's state allows
            return CounterAction(counter.number, AVAILABILITY[CounterState(counter.state)])
        if key is KeyCode.TRANSFER:
            self.transferring, self.digits = True, []
            return None
        if key is KeyCode.CANCEL:
            self._reset()
            return None
        if key.digit is not None:
            if not self.transferring:
                return Refused("digit outside a transfer")
            self.digits.append(key.digit)
            return None
        if key is KeyCode.CONFIRM:
            return self._confirm_transfer(counter)
        if key.evaluation is not None:
            return self._rate(key.evaluation, counter)
        return Refused(f"unknown key {key}")

    def _reset(self) -> None:
        self.transferring, self.digits = False, []

    def _confirm_transfer(self, counter: CounterView) -> Action:
        if not self.transferring:
            return Refused("confirm without a transfer")
        number = int("".join(map(str, self.digits)) or "0")
        self._reset()
        service = self.settings.service_digits.get(number)
        if service is None:
            return Refused(f"no service has digit {number}")
        return CounterAction(counter.number, "transfer", {"service": service})

    def _rate(self, score: int, counter: CounterView) -> Action:
        if self.settings.rating_keys == 3:
            if score not in RATING_OF_THREE_KEYS:
                return Refused(f"evaluation key {score} on a 3-key keypad")
            rating = RATING_OF_THREE_KEYS[score]
        else:
            rating = score
        if counter.current_id is not None:
            return CounterAction(counter.number, "finish", {"rating": rating})
        if counter.last_finished_id is not None:
            return RateTicket(counter.last_finished_id, rating)
        return Refused("nobody to rate")
