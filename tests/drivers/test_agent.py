"""``branchq signs`` against a real engine, with the simulated bus on a socat pty pair."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from drivers.printer import PaperOut, PrinterConfig, TicketPrint, TicketPrinter
from drivers.printer.simulator import PrinterSimulator, PrinterState
from drivers.serial.bus import open_port
from drivers.serial.messages import KeyCode
from drivers.serial.protocol import BranchQDialect
from drivers.serial.ptypair import PtyPair
from drivers.serial.rflink import RFLinkDialect
from drivers.serial.strip_sign import StripSignDialect
from drivers.simulator import (
    DEMO_CONFIG,
    DeviceRunner,
    DeviceSet,
    ReceiverRunner,
    addresses_from_config,
)
from queue_core.client import EngineClient, events_url
from tests.support.engine import KIOSK_TOKEN, SIGN_TOKEN, RunningEngine


def wait_for(check: Callable[[], Any], timeout: float = 30.0, what: str = "") -> Any:
    """Poll ``check`` until it holds; ``timeout`` is the bound for "never" on a loaded machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what or check}")


class Bench:
    def __init__(self, engine: RunningEngine, devices: DeviceSet) -> None:
        self.engine = engine
        self.devices = devices
        self.lobby = EngineClient(engine.url, engine.lobby_token())
        self.kiosk = EngineClient(engine.url, KIOSK_TOKEN)

    def counter(self, number: int) -> dict[str, Any]:
        return next(c for c in self.lobby.counters() if c["number"] == number)

    def device(self, name: str) -> dict[str, Any]:
        """The device's latest report as the lobby's devices tab reads it: the stored one (a
        ``device.updated`` event carries a change of detail at most once a minute)."""
        devices: list[dict[str, Any]] = self.lobby.request("GET", "/devices") or []
        return next((d for d in devices if d["name"] == name), {})


def last_device_report(engine: RunningEngine, name: str) -> dict[str, Any]:
    """The engine's latest ``device.updated`` for ``name`` (its event log, from the start)."""
    found: dict[str, Any] = {}
    with connect(events_url(engine.url, SIGN_TOKEN, 0), open_timeout=5) as ws:
        while True:
            try:
                event = json.loads(ws.recv(timeout=0.3))
            except TimeoutError:
                return found
            if event["type"] == "device.updated" and event["data"]["device"]["name"] == name:
                found = event["data"]["device"]


@pytest.fixture
def bench(engine: RunningEngine, pty_pair: PtyPair, tmp_path: Path) -> Iterator[Bench]:
    signs, keypads = addresses_from_config(DEMO_CONFIG)
    devices = DeviceSet(signs, keypads)
    runner = DeviceRunner(open_port(pty_pair.b), BranchQDialect(), devices).start()
    log = (tmp_path / "agent.log").open("wb")
    # The simulated devices answer in a few milliseconds, but on a loaded machine their thread
    # can wait longer than 50 ms for its turn, and live keypads were reported dead beside the
    # dead sign. Half a second keeps every live device live; the dead one costs 3 × 0.5 s.
    agent = subprocess.Popen(
        [sys.executable, "-m", "drivers.agent", "--engine", engine.url, "--token", SIGN_TOKEN,
         "--port", pty_pair.a, "--reply-timeout", "0.5", "--exit-after", "60"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(lambda: devices.signs[1].text, what="the snapshot on the signs")
        yield Bench(engine, devices)
    finally:
        agent.terminate()
        agent.wait(timeout=10)
        runner.stop()
        log.close()


def test_signs_show_the_counters_state_after_the_snapshot(bench: Bench) -> None:
    # the demo branch starts with every counter closed
    assert {s.text for s in bench.devices.signs.values()} == {"暂停服务"}


def test_a_keypad_opens_its_counter_and_calls_the_next_ticket(bench: Bench) -> None:
    issued = bench.kiosk.issue("A")
    keypad, sign = bench.devices.keypads[101], bench.devices.signs[1]
    keypad.press(KeyCode.PAUSE)  # opens a closed counter
    wait_for(lambda: sign.text == "欢迎光临", what="counter 1 open")
    keypad.press(KeyCode.CALL_NEXT)
    wait_for(lambda: sign.text == issued["number"], what="the number on sign 1")
    assert sign.flashing(time.monotonic())
    assert bench.counter(1)["current"]["number"] == issued["number"]
    wait_for(lambda: keypad.number == issued["number"], what="the keypad display")
    assert bench.devices.signs[2].text == "暂停服务"


def test_an_evaluation_key_finishes_with_the_customers_rating(bench: Bench) -> None:
    issued = bench.kiosk.issue("A")
    keypad = bench.devices.keypads[103]
    keypad.press(KeyCode.PAUSE, KeyCode.CALL_NEXT)
    wait_for(lambda: bench.devices.signs[3].text == issued["number"], what="the call")
    keypad.press(KeyCode.EVAL_4)
    wait_for(lambda: bench.devices.signs[3].text == "欢迎光临", what="finished")
    ticket = bench.lobby.ticket(issued["id"])
    assert (ticket["status"], ticket["rating"]) == ("finished", 4)


def test_a_sign_that_stops_answering_is_reported_and_the_others_go_on(bench: Bench) -> None:
    bench.devices.dead.add(4)
    bench.devices.keypads[104].press(KeyCode.PAUSE)  # counter 4 opens: its sign must change
    bench.devices.keypads[105].press(KeyCode.PAUSE)
    wait_for(lambda: bench.devices.signs[5].text == "欢迎光临", what="sign 5")
    report = wait_for(
        lambda: bench.device("sign-bus")["status"] == "warning" and bench.device("sign-bus")
    )
    assert report["detail"]["dead"] == ["sign:4"]
    assert bench.devices.signs[4].text == "暂停服务"
    bench.devices.dead.discard(4)
    wait_for(lambda: bench.devices.signs[4].text == "欢迎光临", what="sign 4 back")
    wait_for(lambda: bench.device("sign-bus")["status"] == "ok", what="health ok again")


def test_a_printer_out_of_paper_is_reported_as_the_kiosks_health(engine: RunningEngine) -> None:
    sim = PrinterSimulator().start()
    kiosk = EngineClient(engine.url, KIOSK_TOKEN)
    try:
        config = PrinterConfig(transport="network", host="127.0.0.1", port=sim.port, timeout=0.5)
        printer = TicketPrinter(config, on_health=kiosk.report_health)
        assert printer.status().paper == "ok"  # the morning check: reported as ok
        sim.state = PrinterState(paper="out")
        branch = kiosk.branch()
        ticket = TicketPrint.from_engine(kiosk.issue("B"), branch, engine.url)
        with pytest.raises(PaperOut):
            printer.print_ticket(ticket)
        device = last_device_report(engine, "kiosk-1")
        assert device["status"] == "error"
        assert device["detail"]["printer"]["error"] == "paper_out"
        page = httpx.get(ticket.public_url, timeout=5)  # the QR opens the phone page
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        ticket_id = ticket.public_url.rsplit("/", 1)[-1]
        public = httpx.get(f"{engine.url}/api/v1/tickets/{ticket_id}/public", timeout=5)
        assert public.status_code == 200 and public.json()["number"] == ticket.number
    finally:
        sim.stop()


def test_the_lobby_sees_a_device_report_in_get_devices(engine: RunningEngine) -> None:
    EngineClient(engine.url, SIGN_TOKEN).report_health("warning", {"dead": ["sign:4"]})
    lobby = EngineClient(engine.url, engine.lobby_token())
    device = next(d for d in lobby.request("GET", "/devices") if d["name"] == "sign-bus")
    assert device["status"] == "warning" and device["detail"]["dead"] == ["sign:4"]


def test_a_devices_first_report_is_an_event(engine: RunningEngine) -> None:
    EngineClient(engine.url, KIOSK_TOKEN).report_health("error", {"printer": {"paper": "out"}})
    assert last_device_report(engine, "kiosk-1").get("status") == "error"


def test_write_only_signs_and_wireless_keypads_run_a_counter(
    engine: RunningEngine, pty_pair: PtyPair, tmp_path: Path
) -> None:
    """The agent as a branch with commodity devices runs it: strip signs that never answer,
    and wireless remotes heard by a receiver on a second port."""
    signs, keypads = addresses_from_config(DEMO_CONFIG)
    devices = DeviceSet(signs, keypads, signs_answer=False)
    runner = DeviceRunner(open_port(pty_pair.b), StripSignDialect(), devices).start()
    with PtyPair() as radio:
        receiver = ReceiverRunner(open_port(radio.b, 57600), RFLinkDialect(), devices).start()
        log = (tmp_path / "agent.log").open("wb")
        agent = subprocess.Popen(
            [sys.executable, "-m", "drivers.agent", "--engine", engine.url, "--token", SIGN_TOKEN,
             "--port", pty_pair.a, "--sign-dialect", "aa51", "--keypad-dialect", "rflink",
             "--receiver", radio.a, "--exit-after", "60"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            bench = Bench(engine, devices)
            wait_for(lambda: devices.signs[2].text == "暂停服务", what="the snapshot")
            issued = bench.kiosk.issue("A")
            devices.keypads[102].press(KeyCode.PAUSE)  # the remote's keys: 1 2 4 8 by default
            devices.keypads[102].press(KeyCode.CALL_NEXT)
            wait_for(lambda: devices.signs[2].text == issued["number"], what="the call on sign 2")
            assert bench.counter(2)["current"]["number"] == issued["number"]
            report = wait_for(lambda: bench.device("sign-bus").get("detail", {}).get("write_only"))
            # neither the signs nor the remotes ever answer: unknown, never "dead"
            assert report == [f"sign:{n}" for n in signs] + [f"keypad:{n}" for n in keypads]
            detail = bench.device("sign-bus")["detail"]
            assert detail["devices"]["sign:2"] == "unknown"
            assert detail["devices"]["receiver:0"] == "ok"
        finally:
            agent.terminate()
            agent.wait(timeout=10)
            receiver.stop()
            runner.stop()
            log.close()
