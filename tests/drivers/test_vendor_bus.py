"""Each vendor dialect on a socat pty pair with its simulated devices: what the signs show,
what the keypads and evaluators press, and what the health report says."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.serial.board import Board
from drivers.serial.bus import Bus, open_port
from drivers.serial.keypad import CounterAction, Refused
from drivers.serial.layout import BusLayout
from drivers.serial.messages import KeyCode, ShowText
from drivers.serial.modbus_sign import ModbusDigitSignDialect
from drivers.serial.protocol import Vendor68Dialect
from drivers.serial.ptypair import PtyPair
from drivers.serial.receiver import Receiver
from drivers.serial.rflink import RFLinkDialect
from drivers.serial.scheduler import BusScheduler
from drivers.serial.sign_picture import dots
from drivers.serial.strip_sign import StripSignDialect
from drivers.simulator import DeviceRunner, DeviceSet, ReceiverRunner
from tests.support import wire as made


def until(check: Callable[[], Any], step: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + 5
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {what}")
        step()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def strip_bus(pty_pair: PtyPair) -> Iterator[tuple[Bus, DeviceSet]]:
    devices = DeviceSet([1, 2, 3], [], signs_answer=False)
    runner = DeviceRunner(open_port(pty_pair.b), StripSignDialect(), devices).start()
    bus = Bus(open_port(pty_pair.a), StripSignDialect(), reply_timeout=0.05)
    try:
        yield bus, devices
    finally:
        runner.stop()
        bus.close()
        runner.bus.close()


def test_write_only_signs_show_their_text_and_stay_unknown_not_dead(
    strip_bus: tuple[Bus, DeviceSet],
) -> None:
    bus, devices = strip_bus
    clock = Clock()
    scheduler = BusScheduler(bus, [1, 2, 3], [], clock=clock)
    for n, text in ((1, "A012"), (2, "欢迎光临"), (3, "暂停服务")):
        scheduler.submit(ShowText(n, text, 6 if n == 1 else 0))
    for _ in range(3):
        assert scheduler.step()
    until(lambda: devices.signs[3].text == "暂停服务", lambda: time.sleep(0.01), "sign 3")
    assert [devices.signs[n].text for n in (1, 2, 3)] == ["A012", "欢迎光临", "暂停服务"]
    assert devices.signs[1].shown[-1][2] == 6  # the call flashes
    assert scheduler.stats["no_answer"] == 0 and scheduler.stats["unacknowledged"] == 3
    status, detail = scheduler.health()
    assert status == "ok"
    assert detail["devices"] == {"sign:1": "unknown", "sign:2": "unknown", "sign:3": "unknown"}
    assert detail["write_only"] == ["sign:1", "sign:2", "sign:3"]


def test_a_write_only_signs_quiet_time_delays_only_that_sign(
    strip_bus: tuple[Bus, DeviceSet],
) -> None:
    bus, devices = strip_bus
    clock = Clock()
    scheduler = BusScheduler(bus, [1, 2], [], clock=clock)
    scheduler.submit(ShowText(1, "A012", 6))
    assert scheduler.step()  # sign 1's frame
    scheduler.submit(ShowText(1, "A013", 6))  # sign 1 is in its quiet time
    scheduler.submit(ShowText(2, "B001", 6))
    assert scheduler.step()  # … so sign 2 goes first, at once
    until(lambda: devices.signs[2].text == "B001", lambda: time.sleep(0.01), "sign 2")
    assert devices.signs[1].text == "A012"
    assert not scheduler.step()  # only sign 1's update is left, and it must wait
    clock.now += StripSignDialect.frame_gap_s
    assert scheduler.step()
    until(lambda: devices.signs[1].text == "A013", lambda: time.sleep(0.01), "sign 1")


def test_a_write_only_sign_gets_its_text_again_after_a_while(
    strip_bus: tuple[Bus, DeviceSet],
) -> None:
    bus, devices = strip_bus
    clock = Clock()
    scheduler = BusScheduler(bus, [1], [], clock=clock, refresh_every_s=30)
    scheduler.submit(ShowText(1, "A012", 6))
    scheduler.step()
    until(lambda: devices.signs[1].text == "A012", lambda: time.sleep(0.01), "sign 1")
    devices.signs[1].text = ""  # the sign lost power and came back blank
    clock.now += 29
    assert not scheduler.step()
    clock.now += 2
    assert scheduler.step()
    until(lambda: devices.signs[1].text == "A012", lambda: time.sleep(0.01), "refreshed")
    assert devices.signs[1].shown[-1][2] == 0  # steady, not a second flash


def test_the_simulated_write_only_sign_draws_the_number_it_was_sent(
    strip_bus: tuple[Bus, DeviceSet],
) -> None:
    bus, devices = strip_bus
    scheduler = BusScheduler(bus, [1], [])
    scheduler.submit(ShowText(1, "A012", 6))
    scheduler.step()
    until(lambda: devices.signs[1].text == "A012", lambda: time.sleep(0.01), "sign 1")
    picture = devices.signs[1].picture()
    assert picture.size == (64 * 6, 16 * 6)
    lit = dots("A012")
    assert lit.getbbox() is not None and lit.tobytes() != dots("A013").tobytes()
    seen = [
        [picture.getpixel((x * 6 + 3, y * 6 + 3))[0] > 200 for x in range(64)] for y in range(16)
    ]
    assert seen == [[bool(lit.getpixel((x, y))) for x in range(64)] for y in range(16)]


def test_digit_signs_echo_writes_so_a_dead_one_is_known(pty_pair: PtyPair) -> None:
    devices = DeviceSet([1, 2], [])
    runner = DeviceRunner(open_port(pty_pair.b), ModbusDigitSignDialect(), devices).start()
    bus = Bus(open_port(pty_pair.a), ModbusDigitSignDialect(), reply_timeout=0.05, retries=1)
    scheduler = BusScheduler(bus, [1, 2], [])
    try:
        devices.dead.add(2)
        scheduler.submit(ShowText(1, "A012", 6))
        scheduler.submit(ShowText(2, "暂停服务"))
        scheduler.step()
        scheduler.step()
        assert devices.signs[1].text == "A012"
        status, detail = scheduler.health()
        assert (status, detail["dead"]) == ("warning", ["sign:2"])
        devices.dead.clear()
        scheduler.signs[2].last_try = -1e9  # its probe is due
        until(lambda: devices.signs[2].text == "----", scheduler.step, "sign 2 back")
        assert scheduler.health()[0] == "ok"
    finally:
        runner.stop()
        bus.close()
        runner.bus.close()


def test_strip_signs_and_vendor_keypads_share_one_bus(pty_pair: PtyPair) -> None:
    signs, keypads = StripSignDialect(), Vendor68Dialect()
    devices = DeviceSet([5], [105], sequenced=False, signs_answer=False)
    runner = DeviceRunner(open_port(pty_pair.b), signs, devices, also=[keypads]).start()
    bus = Bus(open_port(pty_pair.a), signs, reply_timeout=0.1)
    pressed: list[tuple[int, tuple[KeyCode, ...]]] = []
    scheduler = BusScheduler(
        bus, [5], [105], sign_dialect=signs, keypad_dialect=keypads,
        on_keys=lambda a, k: pressed.append((a, k)),
    )  # fmt: skip
    try:
        devices.keypads[105].press(KeyCode.CALL_NEXT)
        scheduler.submit(ShowText(5, "C003", 6))
        until(lambda: pressed and devices.signs[5].text, scheduler.step, "press and sign")
        assert pressed == [(105, (KeyCode.CALL_NEXT,))]
        assert devices.signs[5].text == "C003"
        _, detail = scheduler.health()
        assert detail["devices"] == {"sign:5": "unknown", "keypad:105": "ok"}
    finally:
        runner.stop()
        bus.close()
        runner.bus.close()


def test_a_wireless_press_repeated_by_the_remote_acts_once(pty_pair: PtyPair) -> None:
    dialect = RFLinkDialect()
    devices = DeviceSet([], [0x295FD5, 0x77])
    sim = ReceiverRunner(open_port(pty_pair.b, 57600), dialect, devices, repeats=4).start()
    port = open_port(pty_pair.a, 57600)
    pressed: list[tuple[int, tuple[KeyCode, ...]]] = []
    receiver = Receiver(
        port, dialect, [0x295FD5], evaluators=[0x77],
        on_keys=lambda a, k: pressed.append((a, k)),
    )  # fmt: skip
    try:
        devices.keypads[0x295FD5].press(KeyCode.CALL_NEXT)
        until(lambda: receiver.stats["repeats"] >= 3, receiver.step, "the repeats")
        assert pressed == [(0x295FD5, (KeyCode.CALL_NEXT,))]
        until(lambda: receiver.health_of_receiver.state == "ok", receiver.step, "PONG")
        status, detail = receiver.health()
        assert status == "ok"
        # a remote answers nothing: the receiver is known, the remotes are not
        assert detail["devices"] == {
            "receiver:0": "ok", "keypad:2711509": "unknown", "evaluator:119": "unknown"
        }  # fmt: skip
    finally:
        sim.stop()
        port.close()
        sim.port.close()


def test_a_receiver_that_stops_answering_is_dead(pty_pair: PtyPair) -> None:
    dialect = RFLinkDialect()
    sim = ReceiverRunner(open_port(pty_pair.b, 57600), dialect, DeviceSet([], [])).start()
    port = open_port(pty_pair.a, 57600)
    clock = Clock()
    receiver = Receiver(port, dialect, [1], clock=clock, ping_every_s=10, reply_timeout=1)
    try:
        until(lambda: receiver.health_of_receiver.state == "ok", receiver.step, "PONG")
        sim.silent = True
        clock.now += 10
        receiver.step()  # PING
        clock.now += 1.5
        receiver.step()  # no PONG in time
        assert receiver.health()[0] == "error"
        assert receiver.health()[1]["dead"] == ["receiver:0"]
    finally:
        sim.stop()
        port.close()
        sim.port.close()


def test_an_evaluator_only_rates() -> None:
    layout = BusLayout.from_branch(
        {"services": [{"code": "A"}],
         "counters": [{"number": 3, "services": ["A"], "keypad_address": 103,
                       "evaluator_address": "0x77"}]}
    )  # fmt: skip
    board = Board(layout)
    at_desk = made.ticket("A001", counter=3)
    board.apply(made.counter_event(1, made.counter_body(3, "open", at_desk)))
    assert isinstance(board.press(0x77, KeyCode.CALL_NEXT), Refused)
    assert board.press(0x77, KeyCode.EVAL_4) == CounterAction(3, "finish", {"rating": 4})
    assert board.press(103, KeyCode.CALL_NEXT) == CounterAction(3, "call-next")


def test_the_ftdi_latency_timer_is_lowered_where_it_may_be(tmp_path: Path) -> None:
    from drivers.serial.adapter import tune_latency

    sysfs = tmp_path / "sys"
    (sysfs / "ttyUSB3").mkdir(parents=True)
    (sysfs / "ttyUSB3" / "latency_timer").write_text("16\n")
    link = tmp_path / "branchq-rs485"
    link.symlink_to("/dev/ttyUSB3")  # what udev makes
    latency = tune_latency(str(link), sysfs)
    assert latency is not None and (latency.ms, latency.set_to) == (16, 1)
    assert (sysfs / "ttyUSB3" / "latency_timer").read_text().strip() == "1"
    assert tune_latency(str(link), sysfs).set_to is None  # type: ignore[union-attr]
    assert tune_latency("socket://127.0.0.1:4001", sysfs) is None
    assert tune_latency("/dev/ttyS0", sysfs) is None  # a built-in UART has no such timer
