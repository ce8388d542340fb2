"""ESC/POS real-time status (``DLE EOT n``): the bytes a printer answers, read as facts.

Every status byte has bit 1 and bit 4 set and bits 0 and 7 clear (``b & 0x93 == 0x12``); a
byte that does not is not a status answer. n=1 printer: bit 3 offline. n=2 offline cause:
bit 2 cover open, bit 5 stopped by paper end, bit 6 error. n=3 error cause: bit 3 cutter,
bit 5 unrecoverable, bit 6 auto-recoverable. n=4 paper sensor: bits 2–3 near end, bits 5–6 out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DLE_EOT = b"\x10\x04"
QUERIES = (1, 2, 3, 4)


def is_status_byte(value: int) -> bool:
    return value & 0x93 == 0x12


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said; ``readable`` False when the transport cannot ask (file, USB
    without an IN endpoint, ``Dummy``): then the other fields are None, not guessed."""

    readable: bool
    online: bool | None = None
    cover_open: bool | None = None
    paper: str | None = None  # "ok", "near_end", "out"
    error: str | None = None  # "cutter", "unrecoverable", "recoverable"

    @property
    def health(self) -> str:
        """The engine's device-health word for this status."""
        if not self.readable:
            return "ok"
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
        if error & 0x08:
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
