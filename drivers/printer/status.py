"""ESC/POS status: the real-time one (``DLE EOT n``) and the ones that follow the data.

Every real-time status byte has bit 1 and bit 4 set and bits 0 and 7 clear (``b & 0x93 ==
0x12``); a byte that does not is not a status answer. n=1 printer: bit 3 offline. n=2
offline cause: bit 2 cover open, bit 5 stopped by paper end, bit 6 error. n=3 error cause:
bit 2 paper jam (SNBC kiosk printers; Epson keeps it 0), bit 3 cutter, bit 5 unrecoverable,
bit 6 auto-recoverable. n=4 paper sensor: bits 2–3 near end, bits 5–6 out.

A real-time request is answered on receipt, even in the middle of a job, so it cannot say
that a job printed. Two requests are answered only once the data before them has been
processed: ``GS r 1`` (paper sensor: bits 0–1 near end, bits 2–3 paper end; bit 4 is 0, which
tells it from a real-time answer) and Epson's ``GS ( H`` process ID (answered ``37 22 d1 d2
d3 d4 00`` with the four ID bytes sent). Sent after a ticket, their answer confirms it printed;
a printer that ran out of paper in the middle stops and does not answer them at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)
GS_R_PAPER = b"\x1dr\x01"
PROCESS_ID_REPLY = b"\x37\x22"


def is_status_byte(value: int) -> bool:
    return value & 0x93 == 0x12


def is_paper_sensor_byte(value: int) -> bool:
    """An answer to ``GS r 1`` (bit 4 clear, bits 5–7 clear)."""
    return value & 0xF0 == 0


def process_id_request(job_id: bytes) -> bytes:
    """Epson ``GS ( H`` fn 48: answer with ``job_id`` (4 bytes, 0x30–0x39) once printed."""
    if len(job_id) != 4 or not all(0x30 <= b <= 0x39 for b in job_id):
        raise ValueError("a process ID is four ASCII digits")
    return b"\x1d(H\x06\x00\x30\x30" + job_id


def paper_from_sensor(value: int) -> str:
    """``GS r 1``'s answer as the paper's state."""
    return "out" if value & 0x0C else "near_end" if value & 0x03 else "ok"


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said; ``readable`` False when the transport cannot ask (file, USB
    without an IN endpoint, ``Dummy``): then the other fields are None, not guessed."""

    readable: bool
    online: bool | None = None
    cover_open: bool | None = None
    paper: str | None = None  # "ok", "near_end", "out"
    error: str | None = None  # "jam", "cutter", "unrecoverable", "recoverable"

    @property
    def health(self) -> str:
        """The engine's device-health word: ``unknown`` where the transport cannot ask."""
        if not self.readable:
            return "unknown"
        if self.paper == "out" or self.cover_open or self.online is False or self.error:
            return "error"
        if self.paper == "near_end":
            return "warning"
        return "ok"

    def detail(self) -> dict[str, Any]:
        return {
            "readable": self.readable,
            "online": self.online,
            "cover_open": self.cover_open,
            "paper": self.paper,
            "error": self.error,
        }


UNREADABLE = PrinterStatus(readable=False)


def parse_status(answers: dict[int, int]) -> PrinterStatus:
    """The status from the answers to ``DLE EOT n`` (n → byte) that came back valid."""
    printer, offline, error, paper = (answers.get(n) for n in QUERIES)
    cover = None if offline is None else bool(offline & 0x04)
    paper_state = None
    if paper is not None:
        paper_state = "out" if paper & 0x60 else "near_end" if paper & 0x0C else "ok"
    elif offline is not None and offline & 0x20:
        paper_state = "out"
    cause = None
    if error is not None:
        if error & 0x04:
            cause = "jam"
        elif error & 0x08:
            cause = "cutter"
        elif error & 0x20:
            cause = "unrecoverable"
        elif error & 0x40:
            cause = "recoverable"
    return PrinterStatus(
        readable=True,
        online=None if printer is None else not printer & 0x08,
        cover_open=cover,
        paper=paper_state,
        error=cause,
    )
