"""Why a ticket did not print: typed, with a short Chinese message the kiosk can show."""

from __future__ import annotations


class PrinterError(Exception):
    """A ticket could not be printed. ``code`` is stable; ``message_zh`` is for the screen."""

    code = "printer_error"
    message_zh = "打印机故障，请联系大堂经理"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.code)
        self.detail = detail


class PaperOut(PrinterError):
    code = "paper_out"
    message_zh = "打印机缺纸，请联系大堂经理"


class CoverOpen(PrinterError):
    code = "cover_open"
    message_zh = "打印机盖未关好，请联系大堂经理"


class PrinterOffline(PrinterError):
    """No connection, no answer, or the printer says it is offline."""

    code = "offline"
    message_zh = "打印机未连接，请联系大堂经理"


class NoPrinter(PrinterError):
    """The kiosk has no printer configured: the ticket is issued, nothing is printed."""

    code = "not_configured"
    message_zh = "本机未连接打印机，请留意叫号"


class PrinterFault(PrinterError):
    """The printer reports an error (cutter jammed, head too hot, unrecoverable)."""

    code = "fault"


class PaperJam(PrinterError):
    """Paper jammed in the mechanism (SNBC kiosk printers report it in DLE EOT 3 bit 2)."""

    code = "paper_jam"
    message_zh = "打印机卡纸，请联系大堂经理"


class NotConfirmed(PrinterError):
    """The printer took the ticket but never said it printed it: it may be half printed."""

    code = "not_confirmed"
    message_zh = "号票可能未打印完整，请联系大堂经理"
