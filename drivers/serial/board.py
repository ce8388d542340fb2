"""The bus's picture of the branch: engine events in, what each sign and keypad shows out.

Pure: ``apply(event)`` returns the ``ShowText`` / ``KeypadShow`` messages that changed (a call
or recall always flashes, even with the same number); ``press(keypad, key)`` returns the
engine action a key asks for. The agent sends both; nothing here does I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from drivers.serial.keypad import Action, CounterView, KeypadInput, Refused
from drivers.serial.layout import BusLayout, CounterDevices
from drivers.serial.messages import KeyCode, KeypadShow, ShowText
from drivers.serial.sign import sign_text
from queue_core import wire

ENDS_VISIT = {"finished", "skipped", "transferred", "cancelled"}
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

    def apply(self, news: wire.News) -> list[Output]:
        """The messages an engine event makes necessary."""
        if isinstance(news, wire.Snapshot):
            return self._snapshot(news.data)
        out: list[Output] = []
        if isinstance(news, wire.CounterNews):
            out += self._counter(news.counter)
        elif isinstance(news, wire.TicketNews):
            if news.kind in ("called", "recalled"):
                out += self._called(news.ticket, news.counter)
            elif news.kind == "started":
                out += self._ticket_at_counter(news.ticket, ended=False)
            elif news.kind in ENDS_VISIT:
                out += self._ticket_at_counter(news.ticket, ended=True, finished=news.kind)
            out += self._queue(news.queue)
        elif isinstance(news, wire.DeviceNews):
            out += self._announcing(news.device)
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
    def _snapshot(self, data: wire.SnapshotData) -> list[Output]:
        for body in data["counters"]:
            self._update_counter(body)
        self._update_waiting(data["queue"])
        return self.everything()

    def _counter(self, body: wire.CounterBody) -> list[Output]:
        counter = self._update_counter(body)
        return [] if counter is None else self._show(counter)

    def _update_counter(self, body: wire.CounterBody) -> _Counter | None:
        counter = self.counters.get(body["number"])
        if counter is None:
            return None
        current = body["current"]
        counter.view = replace(
            counter.view,
            state=body["state"],
            current_id=None if current is None else current["id"],
        )
        counter.current_number = None if current is None else current["number"]
        return counter

    def _called(self, ticket: wire.TicketBody, ref: wire.CounterRef | None) -> list[Output]:
        number = ref["number"] if ref is not None else ticket["counter"]
        counter = self.counters.get(number) if number is not None else None
        if counter is None:
            return []
        counter.view = replace(counter.view, current_id=ticket["id"])
        counter.current_number = ticket["number"]
        return self._show(counter, flash=True)

    def _announcing(self, device: wire.DeviceReportBody) -> list[Output]:
        """The hall display says it is announcing a call: flash that sign for as long."""
        said = device["detail"].get("announcing")
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
        self, ticket: wire.TicketBody, *, ended: bool, finished: str | None = None
    ) -> list[Output]:
        number = ticket["counter"]
        counter = self.counters.get(number) if number is not None else None
        if counter is None:
            return []
        if not ended:
            counter.view = replace(counter.view, current_id=ticket["id"])
            counter.current_number = ticket["number"]
        elif counter.view.current_id == ticket["id"]:
            last = ticket["id"] if finished == "finished" else None
            counter.view = replace(counter.view, current_id=None, last_finished_id=last)
            counter.current_number = None
        return self._show(counter)

    def _queue(self, queue: wire.QueueSummary) -> list[Output]:
        self._update_waiting(queue)
        out: list[Output] = []
        for counter in self.counters.values():
            out += self._show(counter)
        return out

    def _update_waiting(self, queue: wire.QueueSummary) -> None:
        for counter in self.counters.values():
            counter.waiting = sum(
                q["waiting"] for s in counter.devices.services if (q := queue.get(s)) is not None
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
