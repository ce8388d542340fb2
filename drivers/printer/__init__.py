"""The ticket printer: ESC/POS over USB, serial, network (port 9100), a device file, a print
queue (CUPS, lp, Windows) or Dummy.

For the kiosk::

    from drivers.printer import PrinterConfig, TicketPrint, TicketPrinter, PrinterError

    printer = TicketPrinter(PrinterConfig.from_mapping(branch["printer"]),
                            on_health=client.report_health)
    try:
        printer.print_ticket(TicketPrint.from_engine(ticket, branch, engine_url))
    except PrinterError as exc:        # PaperOut, CoverOpen, PaperJam, NotConfirmed, …
        show(exc.message_zh)           # a short Chinese sentence for the screen; exc.code too

``print_ticket`` asks the printer's status first (where the transport can read: network,
serial, USB, the usblp device), refuses to print on paper out / cover open / jam / offline /
fault, sends the ticket followed by a request the printer answers only once the ticket has
printed (``GS r 1``, or Epson's ``GS ( H``), and raises ``NotConfirmed`` (or the cause, e.g.
``PaperOut`` mid-ticket) when that answer does not come. Every change goes to
``on_health(status, detail)`` (the engine's ``POST /devices/health``: ``ok``, ``warning`` on
paper near end, ``error``, ``unknown`` where the transport cannot ask). ``status()`` asks
without printing.
``render(ticket)`` gives the bytes; ``paper.render_bytes`` draws bytes as a PNG.
Configuration: ``PrinterConfig`` (transport, host/port, device, text_mode native|image,
charset gbk|gb18030, qr native|image, footer…); see ``drivers/README.md``.
"""

from drivers.printer.errors import (
    CoverOpen,
    NoPrinter,
    NotConfirmed,
    PaperJam,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
)
from drivers.printer.printer import PrinterConfig, TicketPrinter
from drivers.printer.status import PrinterStatus
from drivers.printer.ticket import TicketPrint

__all__ = [
    "CoverOpen",
    "NoPrinter",
    "NotConfirmed",
    "PaperJam",
    "PaperOut",
    "PrinterConfig",
    "PrinterError",
    "PrinterFault",
    "PrinterOffline",
    "PrinterStatus",
    "TicketPrint",
    "TicketPrinter",
]
