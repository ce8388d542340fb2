"""The bus's picture of the branch: engine events in, what each sign and keypad shows out.

Pure: ``apply(event)`` returns the ``ShowText`` / ``KeypadShow`` messages that changed (a call
or recall always flashes, even with the same number); ``press(keypad, key)`` returns the
engine action a key asks for. The agent sends both; nothing here does I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from drivers.serial.keypad import Action, CounterView, KeypadInput, Refused
from drivers.serial.layout import BusLayout, CounterDevices
from drivers.serial.messages import KeyCode, KeypadShow, ShowText
from drivers.serial.sign import sign_text

Json = Mapping[str, Any]
ENDS_VISIT = {"ticket.finished", "ticket.skipped", "ticket.transferred", "ticket.cancelled"}
Output = ShowText | KeypadShow


@dataclass
class _Counter:
    devices: CounterDevices
    view: CounterView
    current_number: str | None = None
    waiting: int = 0


class Board:
    def __init__(self, layout: BusLayout) -> None:
        self.layout = layout
        self.counters = {c.number: _Counter(c, CounterView(c.number)) for c in layout.counters}
        self.inputs = {
            address: KeypadInput(layout.settings)
            for c in layout.counters
            for address in (c.keypad_address, c.evaluator_address)
            if address is not None
        }
        self._signs: dict[int, str] = {}
        self._keypads: dict[int, tuple[str, int]] = {}

    def apply(self, event: Json) -> list[Output]:
        """The messages an engine event makes necessary."""
        kind, data = str(event.get("type", "")), event.get("data") or {}
        if kind == "snapshot":
            return self._snapshot(data)
        out: list[Output] = []
        if kind == "counter.updated":
            out += self._counter(data["counter"])
        elif kind in ("ticket.called", "ticket.recalled"):
            out += self._called(data)
        elif kind == "ticket.started":
            out += self._ticket_at_counter(data["ticket"], ended=False)
        elif kind in ENDS_VISIT:
            out += self._ticket_at_counter(data["ticket"], ended=True, finished=kind)
        elif kind == "device.updated":
            out += self._announcing(data.get("device") or {})
        if "queue" in data:
            out += self._queue(data["queue"])
        return out

    def press(self, keypad: int, key: KeyCode) -> Action | None:
        """What ``key`` on keypad ``keypad`` asks of the engine (None: nothing yet)."""
        counter = self._counter_of_keypad(keypad)
        if counter is None:
            return Refused(f"keypad {keypad} belongs to no counter")
        if self.layout.is_evaluator(keypad) and key.evaluation is None:
            return Refused(f"{key.value} on an evaluator, which only rates")
        return self.inputs[keypad].press(key, counter.view)

    def keypad_content(self, keypad: int) -> KeypadShow | None:
        """What keypad ``keypad`` should show now."""
        counter = self._counter_of_keypad(keypad)
        if counter is None:
            return None
        return KeypadShow(keypad, counter.current_number or "", counter.waiting)

    def everything(self) -> list[Output]:
        """Every sign's and keypad's content, steady (after the bus was reopened)."""
        self._signs.clear()
        self._keypads.clear()
        out: list[Output] = []
        for counter in self.counters.values():
            out += self._show(counter)
        return out

    # Events
    def _snapshot(self, data: Json) -> list[Output]:
        for raw in data.get("counters", []):
            self._update_counter(raw)
        self._update_waiting(data.get("queue") or {})
        return self.everything()

    def _counter(self, raw: Json) -> list[Output]:
        counter = self._update_counter(raw)
        return [] if counter is None else self._show(counter)

    def _update_counter(self, raw: Json) -> _Counter | None:
        counter = self.counters.get(int(raw["number"]))
        if counter is None:
            return None
        current = raw.get("current")
        counter.view = replace(
            counter.view,
            state=str(raw.get("state", counter.view.state)),
            current_id=None if current is None else str(current["id"]),
        )
        counter.current_number = None if current is None else str(current["number"])
        return counter

    def _called(self, data: Json) -> list[Output]:
        ticket = data["ticket"]
        number = (data.get("counter") or {}).get("number", ticket.get("counter"))
        counter = self.counters.get(int(number)) if number is not None else None
        if counter is None:
            return []
        counter.view = replace(counter.view, current_id=str(ticket["id"]))
        counter.current_number = str(ticket["number"])
        return self._show(counter, flash=True)

    def _announcing(self, device: Json) -> list[Output]:
        """The hall display says it is announcing a call: flash that sign for as long."""
        said = (device.get("detail") or {}).get("announcing")
        if not isinstance(said, dict):
            return []
        counter = self.counters.get(int(said.get("counter") or 0))
        if counter is None or counter.current_number != str(said.get("number")):
            return []  # the counter moved on: its sign shows something else now
        address = counter.devices.sign_address
        if address is None:
            return []
        text = self._signs.get(address) or sign_text(
            counter.view.state, counter.current_number, self.layout.settings
        )
        self._signs[address] = text
        seconds = max(1, math.ceil(float(said.get("seconds") or 0)))
        return [ShowText(address, text, seconds)]

    def _ticket_at_counter(
        self, ticket: Json, *, ended: bool, finished: str | None = None
    ) -> list[Output]:
        number = ticket.get("counter")
        counter = self.counters.get(int(number)) if number is not None else None
        if counter is None:
            return []
        if not ended:
            counter.view = replace(counter.view, current_id=str(ticket["id"]))
            counter.current_number = str(ticket["number"])
        elif counter.view.current_id == str(ticket["id"]):
            last = str(ticket["id"]) if finished == "ticket.finished" else None
            counter.view = replace(counter.view, current_id=None, last_finished_id=last)
            counter.current_number = None
        return self._show(counter)

    def _queue(self, queue: Json) -> list[Output]:
        self._update_waiting(queue)
        out: list[Output] = []
        for counter in self.counters.values():
            out += self._show(counter)
        return out

    def _update_waiting(self, queue: Json) -> None:
        for counter in self.counters.values():
            counter.waiting = sum(
                int((queue.get(s) or {}).get("waiting", 0)) for s in counter.devices.services
            )

    # Output
    def _show(self, counter: _Counter, flash: bool = False) -> list[Output]:
        out: list[Output] = []
        settings = self.layout.settings
        devices = counter.devices
        if devices.sign_address is not None:
            text = sign_text(counter.view.state, counter.current_number, settings)
            if flash or self._signs.get(devices.sign_address) != text:
                self._signs[devices.sign_address] = text
                flash_s = settings.flash_s if flash else 0
                out.append(ShowText(devices.sign_address, text, flash_s))
        if devices.keypad_address is not None:
            shown = (counter.current_number or "", counter.waiting)
            if self._keypads.get(devices.keypad_address) != shown:
                self._keypads[devices.keypad_address] = shown
                out.append(KeypadShow(devices.keypad_address, *shown))
        return out

    def _counter_of_keypad(self, keypad: int) -> _Counter | None:
        devices = self.layout.counter_of_keypad(keypad)
        return None if devices is None else self.counters[devices.number]
