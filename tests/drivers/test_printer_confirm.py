"""A ticket counts only once printed: the confirmation that follows the data, paper running
out in the middle of a ticket, jams, the usblp device read back, USB endpoints."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drivers.printer import (
    NotConfirmed,
    PaperJam,
    PaperOut,
    PrinterConfig,
    PrinterOffline,
    TicketPrinter,
)
from drivers.printer.decode import PaperCut, decode
from drivers.printer.simulator import PrinterSimulator
from drivers.printer.transports import parse_configuration, printer_endpoints
from tests.drivers.test_printer import texts, ticket

# The configuration descriptor of a 0416:5011 "POS58 Printer USB" as lsusb shows it in
# python-escpos issue #636: one printer-class interface, bulk IN 0x81, bulk OUT 0x03.
POS58 = bytes.fromhex(
    "09022000010105c032"  # configuration: 32 bytes, 1 interface
    "0904000002070102 00".replace(" ", "")  # interface 0, 2 endpoints, class 07 printer
    + "0705810240000007050302400000"  # endpoint 0x81 bulk IN, endpoint 0x03 bulk OUT
)


@pytest.fixture
def sim() -> Iterator[PrinterSimulator]:
    printer = PrinterSimulator().start()
    yield printer
    printer.stop()


def network(sim: PrinterSimulator, **config: Any) -> TicketPrinter:
    settings = PrinterConfig(
        transport="network", host="127.0.0.1", port=sim.port, timeout=0.3, **config
    )
    return TicketPrinter(settings)


class SteppingClock:
    """Each reading is a second later: a wait for a confirmation ends without sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def test_a_ticket_is_confirmed_by_the_paper_status_that_follows_it(sim: PrinterSimulator) -> None:
    status = network(sim).print_ticket(ticket())
    assert status.paper == "ok"
    assert "A012" in texts(sim.job_bytes())
    assert isinstance(decode(sim.job_bytes())[-1], PaperCut)


def test_an_epson_confirms_with_its_process_id(sim: PrinterSimulator) -> None:
    assert network(sim, confirm="process_id").print_ticket(ticket()).online


def test_paper_running_out_in_the_middle_is_a_failed_ticket(sim: PrinterSimulator) -> None:
    sim.state.paper_lines = 8  # the roll ends after the number
    printer = network(sim, confirm_timeout=1.0)
    with pytest.raises(PaperOut):
        printer.print_ticket(ticket())
    half = sim.job_bytes()
    assert "A012" in texts(half) and not [e for e in decode(half) if isinstance(e, PaperCut)]
    sim.refill()  # a new roll: the printer goes on with the rest, and prints the next one
    deadline = time.monotonic() + 5
    while b"\x1dV" not in sim.job_bytes() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert printer.print_ticket(ticket(number="A013")).paper == "ok"
    assert "A013" in texts(sim.job_bytes())


def test_a_printer_that_never_confirms_is_not_called_printed(sim: PrinterSimulator) -> None:
    printer = TicketPrinter(
        PrinterConfig(transport="network", host="127.0.0.1", port=sim.port, timeout=0.2),
        clock=SteppingClock(),
    )
    sim.state.silent = True
    with pytest.raises(PrinterOffline):
        printer.print_ticket(ticket())  # it answers no status at all


def test_a_ticket_the_printer_took_but_never_confirmed_is_not_confirmed(
    sim: PrinterSimulator,
) -> None:
    sim.state.offline = True  # it takes data and answers real-time status, prints nothing
    printer = network(sim)
    with pytest.raises(PrinterOffline):
        printer.print_ticket(ticket())  # refused before: it says it is offline
    sim.state.offline = False
    assert printer.print_ticket(ticket()).paper == "ok"
    printer.close()  # a port-9100 printer serves one connection at a time

    # taken while online, then stuck: no paper-end, no cover, no jam, and no confirmation
    stuck = TicketPrinter(
        PrinterConfig(transport="network", host="127.0.0.1", port=sim.port, timeout=0.2),
        clock=SteppingClock(),
    )
    sim.state.offline = False
    original = sim._print_queued
    sim._print_queued = lambda conn: None  # type: ignore[method-assign]
    try:
        with pytest.raises(NotConfirmed) as failure:
            stuck.print_ticket(ticket())
    finally:
        sim._print_queued = original  # type: ignore[method-assign]
    assert failure.value.code == "not_confirmed" and "请联系大堂经理" in failure.value.message_zh


def test_a_paper_jam_refuses_the_ticket_with_its_own_error(sim: PrinterSimulator) -> None:
    sim.state.jam = True
    with pytest.raises(PaperJam) as failure:
        network(sim).print_ticket(ticket())
    assert failure.value.code == "paper_jam"
    assert sim.job_bytes() == b""


def test_one_connection_serves_ticket_after_ticket(sim: PrinterSimulator) -> None:
    printer = network(sim)
    for n in range(3):
        printer.print_ticket(ticket(number=f"A01{n}"))
    assert sim.connections == 1
    assert sim.job_bytes().count(b"\x1dV") == 3


@pytest.fixture
def usblp(sim: PrinterSimulator, tmp_path: Path) -> Iterator[str]:
    """A character device that reads and writes like /dev/usb/lp0: a pty bridged to the
    simulated printer."""
    socat = shutil.which("socat")
    if socat is None:
        pytest.skip("socat is not installed")
    device = tmp_path / "lp0"
    bridge = subprocess.Popen(
        [socat, f"pty,raw,echo=0,link={device}", f"tcp:127.0.0.1:{sim.port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 5
    while not device.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    yield str(device)
    bridge.terminate()
    bridge.wait(timeout=5)


def test_the_usblp_device_is_read_back_for_paper_and_cover(
    sim: PrinterSimulator, usblp: str
) -> None:
    printer = TicketPrinter(PrinterConfig(transport="usblp", device=usblp, timeout=0.5))
    assert printer.print_ticket(ticket()).paper == "ok"
    sim.state.paper = "near_end"
    assert printer.status().health == "warning"
    sim.state.cover_open = True
    assert printer.status().cover_open is True
    printer.close()


def test_usb_endpoints_come_from_the_descriptors() -> None:
    endpoints = printer_endpoints(parse_configuration(POS58))
    assert (endpoints.interface, endpoints.out_ep, endpoints.in_ep) == (0, 0x03, 0x81)
    one_way = printer_endpoints([(0, 7, [(0x02, 0x02)])])
    assert (one_way.out_ep, one_way.in_ep) == (0x02, None)
    with pytest.raises(PrinterOffline):
        printer_endpoints([(0, 3, [(0x81, 0x03)])])  # a keyboard: interrupt IN only


def test_a_usb_printer_that_is_not_there_is_offline_not_a_crash() -> None:
    pytest.importorskip("usb.core")
    config = PrinterConfig(transport="usb", usb_vendor=0x0416, usb_product=0x5011)
    with pytest.raises(PrinterOffline):
        TicketPrinter(config).print_ticket(ticket())
