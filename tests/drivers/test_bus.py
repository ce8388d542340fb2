"""The bus over pyserial's loop:// and a socat pty pair with the simulated devices."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from drivers.serial.bus import Bus, NoAnswer, open_port
from drivers.serial.messages import Ack, KeyCode, KeypadShow, Ping, ShowText
from drivers.serial.protocol import BranchQDialect, Vendor68Dialect
from drivers.serial.ptypair import PtyPair
from drivers.serial.scheduler import BusScheduler
from drivers.simulator import DeviceRunner, DeviceSet
from tests.drivers.conftest import KEYPADS, SIGNS


def test_loop_url_reads_back_the_frame_written() -> None:
    bus = Bus(open_port("loop://"), BranchQDialect())
    bus.send(ShowText(3, "请A012号", 6))
    time.sleep(0.01)
    assert bus.read_messages() == [ShowText(3, "请A012号", 6)]


def test_nobody_answering_on_loop_url_is_no_answer_after_the_retries() -> None:
    bus = Bus(open_port("loop://"), BranchQDialect(), reply_timeout=0.02, retries=2)
    with pytest.raises(NoAnswer) as caught:
        bus.transact(Ping(9))
    assert caught.value.attempts == 3
    assert bus.frames_written == 3


def test_a_sign_on_the_pty_shows_the_text_and_acknowledges(
    sim_bus: Bus, devices: DeviceSet
) -> None:
    assert sim_bus.transact(ShowText(3, "A012", 6)) == Ack(3)
    assert devices.signs[3].text == "A012"
    assert devices.signs[3].flashing(time.monotonic())


def test_a_garbled_answer_is_counted_and_the_retry_gets_through(
    sim_bus: Bus, devices: DeviceSet
) -> None:
    devices.garble_next = 1
    assert sim_bus.transact(ShowText(2, "暂停服务")) == Ack(2)
    assert sim_bus.garbled == 1
    assert sim_bus.frames_written == 2
    assert devices.signs[2].text == "暂停服务"


def test_a_keypad_press_whose_answer_got_garbled_is_read_once(
    sim_bus: Bus, devices: DeviceSet
) -> None:
    keys: list[tuple[int, tuple[KeyCode, ...]]] = []
    scheduler = BusScheduler(sim_bus, [], KEYPADS, on_keys=lambda a, k: keys.append((a, k)))
    devices.keypads[101].press(KeyCode.TRANSFER, KeyCode.DIGIT_2, KeyCode.CONFIRM)
    devices.garble_next = 1  # keypad 101's answer with the presses is garbled on the wire
    for _ in range(3 * len(KEYPADS)):
        scheduler.step()
    assert keys == [(101, (KeyCode.TRANSFER, KeyCode.DIGIT_2, KeyCode.CONFIRM))]
    assert sim_bus.garbled == 1
    assert devices.keypads[101].unsent == 0


def test_a_keypad_that_goes_quiet_after_answering_does_not_repeat_its_presses(
    sim_bus: Bus, devices: DeviceSet
) -> None:
    keys: list[tuple[int, tuple[KeyCode, ...]]] = []
    scheduler = BusScheduler(
        sim_bus, [], [102], on_keys=lambda a, k: keys.append((a, k)), probe_every_s=0.0
    )
    devices.keypads[102].press(KeyCode.CALL_NEXT)
    scheduler.step()
    devices.dead.add(102)  # it never hears the confirmation...
    scheduler.step()
    devices.dead.discard(102)  # ...until it is back
    for _ in range(3):
        scheduler.step()
    assert keys == [(102, (KeyCode.CALL_NEXT,))]
    assert devices.keypads[102].unsent == 0


def test_keypad_display_gets_number_and_waiting_count(sim_bus: Bus, devices: DeviceSet) -> None:
    scheduler = BusScheduler(sim_bus, [], KEYPADS)
    scheduler.submit(KeypadShow(103, "A012", 7))
    scheduler.step()
    assert (devices.keypads[103].number, devices.keypads[103].waiting) == ("A012", 7)


def test_a_dead_sign_is_reported_and_the_others_keep_working(
    sim_bus: Bus, devices: DeviceSet
) -> None:
    reports: list[tuple[str, dict[str, Any]]] = []
    scheduler = BusScheduler(
        sim_bus, SIGNS, [], on_health=lambda s, d: reports.append((s, d)), probe_every_s=0.3
    )
    devices.dead.add(2)
    for address in SIGNS:
        scheduler.submit(ShowText(address, f"A00{address}", 6))
    # Until the three live signs show their number and the dead one has been reported: the
    # scheduler keeps probing, so it is never idle; a loaded machine takes its time.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if reports and all(devices.signs[a].text for a in SIGNS if a != 2):
            break
        scheduler.step()
    assert [devices.signs[a].text for a in SIGNS] == ["A001", "", "A003", "A004"]
    status, detail = reports[-1]
    assert status == "warning" and detail["dead"] == ["sign:2"]
    # while it is dead, one update costs one try, not three
    scheduler.submit(ShowText(1, "A011"))
    written = sim_bus.frames_written
    scheduler.step()
    assert sim_bus.frames_written == written + 1 and devices.signs[1].text == "A011"
    # it comes back: the update it missed is delivered and the report says ok again
    devices.dead.discard(2)
    time.sleep(0.35)
    scheduler.step()
    assert devices.signs[2].text == "A002"
    assert reports[-1][0] == "ok"


def test_a_sign_that_comes_back_after_a_ping_gets_its_text_again(
    sim_bus: Bus, devices: DeviceSet
) -> None:
    scheduler = BusScheduler(sim_bus, [4], [], ping_every_s=0.0, probe_every_s=0.0)
    scheduler.submit(ShowText(4, "A044"))
    scheduler.step()
    devices.dead.add(4)
    scheduler.step()  # ping: no answer, dead
    devices.dead.discard(4)
    devices.signs[4].text = ""  # it was power-cycled
    scheduler.step()  # ping answered: re-sends what it should show
    scheduler.step()
    assert devices.signs[4].text == "A044"


def test_a_flash_waiting_for_the_bus_is_not_lost_to_a_steady_copy() -> None:
    bus = Bus(open_port("loop://"), BranchQDialect())
    scheduler = BusScheduler(bus, [1], [])
    scheduler.submit(ShowText(1, "A012", 6))
    scheduler.submit(ShowText(1, "A012", 0))
    assert scheduler._pending_signs[1].flash_s == 6
    scheduler.submit(ShowText(1, "A013", 6))
    assert scheduler._pending_signs[1].text == "A013"


def test_the_vendor_dialect_drives_the_same_devices(pty_pair: PtyPair) -> None:
    dialect = Vendor68Dialect()
    devices = DeviceSet([5], [105], sequenced=False)
    runner = DeviceRunner(open_port(pty_pair.b), dialect, devices).start()
    bus = Bus(open_port(pty_pair.a), dialect)
    keys: list[tuple[int, tuple[KeyCode, ...]]] = []
    scheduler = BusScheduler(bus, [5], [105], on_keys=lambda a, k: keys.append((a, k)))
    try:
        devices.keypads[105].press(KeyCode.CALL_NEXT, KeyCode.EVAL_4)
        scheduler.submit(ShowText(5, "C003", 6))
        for _ in range(4):
            scheduler.step()
        assert devices.signs[5].text == "C003"
        assert keys == [(105, (KeyCode.CALL_NEXT,)), (105, (KeyCode.EVAL_4,))]
    finally:
        runner.stop()
        bus.close()
        runner.bus.close()


def test_the_scheduler_thread_delivers_updates_submitted_from_another_thread(
    sim_bus: Bus, devices: DeviceSet
) -> None:
    scheduler = BusScheduler(sim_bus, SIGNS, KEYPADS)
    stop = threading.Event()
    thread = threading.Thread(target=scheduler.run, args=(stop,))
    thread.start()
    try:
        scheduler.submit(ShowText(1, "B007", 6))
        deadline = time.monotonic() + 2
        while devices.signs[1].text != "B007" and time.monotonic() < deadline:
            time.sleep(0.005)
        assert devices.signs[1].text == "B007"
    finally:
        stop.set()
        thread.join()
