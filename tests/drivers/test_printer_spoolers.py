"""Tickets through a print queue: a real CUPS scheduler (a private cupsd on loopback) whose raw
queue sends each job with its socket backend to the printer simulator, reached through
python-escpos's CupsPrinter (pycups) and its LP (the lp command); the paper decoded back.
The Windows queue cannot run on Linux: only its refusal without pywin32 is checked here."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from drivers.printer import PrinterConfig, PrinterOffline, TicketPrinter
from drivers.printer.simulator import PrinterSimulator
from tests.drivers.test_printer import texts, ticket
from tests.support import cups as cupsd
from tests.support.engine import free_port

NAMES = (f"tickets{i}" for i in itertools.count(1))


@pytest.fixture(scope="module")
def cups_server() -> Iterator[cupsd.CupsServer]:
    if not cupsd.available():
        pytest.skip("needs cupsd and its socket backend (Debian cups, cups-client)")
    server = cupsd.start_cups()
    yield server
    server.stop()


@pytest.fixture
def sim() -> Iterator[PrinterSimulator]:
    printer = PrinterSimulator().start()
    yield printer
    printer.stop()


@pytest.fixture(params=["cups", "lp"])
def transport(
    request: pytest.FixtureRequest, cups_server: cupsd.CupsServer, monkeypatch: pytest.MonkeyPatch
) -> str:
    if request.param == "cups":
        pytest.importorskip("cups", reason="needs pycups (pip install 'branchq[cups]')")
    monkeypatch.setenv("CUPS_SERVER", cups_server.server)  # lp and lpstat ask this scheduler
    return str(request.param)


def queue_to(server: cupsd.CupsServer, port: int) -> str:
    name = next(NAMES)
    server.add_raw_queue(name, f"socket://127.0.0.1:{port}")
    return name


def printer(
    transport: str, server: cupsd.CupsServer, queue: str, reports: list[Any], **config: Any
) -> TicketPrinter:
    settings = PrinterConfig(transport=transport, host=server.server, queue=queue, **config)
    return TicketPrinter(settings, on_health=lambda status, detail: reports.append(status))


def test_a_ticket_through_the_print_queue_reaches_the_printer_whole(
    transport: str, cups_server: cupsd.CupsServer, sim: PrinterSimulator
) -> None:
    reports: list[Any] = []
    queue = queue_to(cups_server, sim.port)
    status = printer(transport, cups_server, queue, reports).print_ticket(ticket())

    printed = texts(sim.job_bytes())
    assert "A012" in "".join(printed)
    assert "个人现金业务" in printed and "您前面还有 3 人等候" in printed
    assert sim.job_bytes().count(b"\x1dV") == 1  # one ticket, one cut, nothing after it
    assert sim.job_bytes().endswith(b"\x1dVB\x00") or sim.job_bytes().endswith(b"\x1dV\x00")
    # A spooler does not pass the printer's answers back: the lobby sees "unknown", not "ok".
    assert status.health == "unknown" and reports == ["unknown"]
    assert cups_server.jobs_waiting(queue) == []


def test_asking_a_print_queue_its_state_prints_nothing(
    transport: str, cups_server: cupsd.CupsServer, sim: PrinterSimulator
) -> None:
    reports: list[Any] = []
    queue_printer = printer(transport, cups_server, queue_to(cups_server, sim.port), reports)
    for _ in range(3):
        assert queue_printer.status().health == "unknown"
    assert sim.connections == 0 and sim.job_bytes() == b""


def test_a_printer_the_queue_cannot_reach_fails_the_ticket_and_its_job_is_cancelled(
    transport: str, cups_server: cupsd.CupsServer
) -> None:
    reports: list[Any] = []
    port = free_port()  # nothing listens there: the printer is unplugged
    queue = queue_to(cups_server, port)
    with pytest.raises(PrinterOffline, match="not passed to the printer in 2 s, cancelled"):
        printer(transport, cups_server, queue, reports, confirm_timeout=2).print_ticket(ticket())
    assert reports == ["error"]
    assert cups_server.jobs_waiting(queue) == []  # it will not come out later beside a reprint

    plugged_in = PrinterSimulator(port=port).start()
    try:
        printer(transport, cups_server, queue, reports).print_ticket(ticket(number="A013"))
        assert "A012" not in "".join(texts(plugged_in.job_bytes()))
        assert "A013" in "".join(texts(plugged_in.job_bytes()))
    finally:
        plugged_in.stop()


def test_a_stopped_queue_refuses_the_ticket_before_sending_it(
    transport: str, cups_server: cupsd.CupsServer, sim: PrinterSimulator
) -> None:
    reports: list[Any] = []
    queue = queue_to(cups_server, sim.port)
    cups_server.run("cupsdisable", "-r", "paper roll being changed", queue)

    with pytest.raises(PrinterOffline, match=f"print queue {queue}") as failed:
        printer(transport, cups_server, queue, reports).print_ticket(ticket())
    assert "paper roll being changed" in str(failed.value)
    assert failed.value.message_zh == "打印机未连接，请联系大堂经理"
    assert reports == ["error"] and sim.connections == 0
    assert cups_server.jobs_waiting(queue) == []


def test_an_unknown_queue_is_offline_with_the_queue_named(
    transport: str, cups_server: cupsd.CupsServer
) -> None:
    with pytest.raises(PrinterOffline, match="no print queue nowhere"):
        printer(transport, cups_server, "nowhere", []).print_ticket(ticket())


def test_a_cups_server_that_is_not_there_is_offline() -> None:
    pytest.importorskip("cups", reason="needs pycups (pip install 'branchq[cups]')")
    config = PrinterConfig(transport="cups", host=f"127.0.0.1:{free_port()}", queue="tickets")
    with pytest.raises(PrinterOffline, match=r"CUPS at 127\.0\.0\.1:"):
        TicketPrinter(config).print_ticket(ticket())


def test_a_windows_queue_off_windows_says_what_it_needs() -> None:
    reports: list[Any] = []
    config = PrinterConfig(transport="win32", queue="EPSON TM-T20II Receipt")
    with pytest.raises(PrinterOffline, match="needs Windows and pywin32"):
        TicketPrinter(config, on_health=lambda s, d: reports.append(d)).print_ticket(ticket())
    assert reports[0]["printer"]["error"] == "offline"
