"""How long a ticket takes through a print queue: ``print_ticket`` until the spooler has passed
the job on to the printer (CUPS over pycups, and the ``lp`` command), against a direct
raw-TCP printer for comparison.

A private cupsd on loopback (tests/support/cups.py) with a raw queue whose socket backend
feeds the printer simulator; each ticket is the demo ticket, laid out for the default profile:

    .venv/bin/python bench/spoolers.py [--tickets 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.printer import PrinterConfig, TicketPrinter
from drivers.printer.simulator import CUT, PrinterSimulator
from tests.drivers.test_printer import ticket
from tests.support import cups


def timed(printer: TicketPrinter, tickets: int) -> list[float]:
    times = []
    for i in range(tickets):
        start = time.perf_counter()
        printer.print_ticket(ticket(number=f"A{i + 1:03d}"))
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20)
    args = parser.parse_args(argv)
    if not cups.available():
        print("needs cupsd and its socket backend (Debian cups, cups-client)")
        return 1
    server, sim = cups.start_cups(), PrinterSimulator().start()
    try:
        server.add_raw_queue("tickets", f"socket://127.0.0.1:{sim.port}")
        os.environ["CUPS_SERVER"] = server.server  # for lp and lpstat
        transports = {
            "network (raw TCP, confirmed)": PrinterConfig(
                transport="network", host="127.0.0.1", port=sim.port
            ),
            "cups (pycups)": PrinterConfig(transport="cups", host=server.server, queue="tickets"),
            "lp (the lp command)": PrinterConfig(transport="lp", queue="tickets"),
        }
        print(f"{'transport':32} {'n':>3} {'p50 ms':>8} {'p90 ms':>8} {'max ms':>8}")
        for name, config in transports.items():
            printer = TicketPrinter(config)
            times = timed(printer, args.tickets)
            printer.close()  # a printer on port 9100 serves one connection at a time
            p90 = times[int(0.9 * (len(times) - 1))]
            print(
                f"{name:32} {len(times):3d} {statistics.median(times):8.0f} "
                f"{p90:8.0f} {times[-1]:8.0f}"
            )
        print(f"tickets cut at the printer: {sim.job_bytes().count(CUT)} of {3 * args.tickets}")
    finally:
        sim.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
