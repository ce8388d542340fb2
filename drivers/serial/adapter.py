"""The USB–RS-485 adapter under the bus port: FTDI's latency timer.

An FTDI adapter (FT232R and kin, driver ``ftdi_sio``) holds received bytes for up to its
latency timer before passing them on, 16 ms by default: every keypad answer and sign
acknowledgement waits that long, which is more than the frame itself at 9600 baud. The timer
is ``/sys/bus/usb-serial/devices/ttyUSBn/latency_timer``; ``deploy/udev/99-branchq.rules``
sets it to 1 ms when the adapter is plugged in, and the agent sets it too when it may, and
says so in its health report when it cannot.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("branchq.signs")
SYSFS = Path("/sys/bus/usb-serial/devices")
WANTED_MS = 1


@dataclass(frozen=True)
class Latency:
    tty: str
    ms: int | None  # None: not an adapter with a latency timer
    set_to: int | None = None  # what the agent set it to, if it could


def tty_of(port: str) -> str | None:
    """``ttyUSB0`` for ``/dev/ttyUSB0`` or a udev symlink to it (``/dev/branchq-rs485``)."""
    if "://" in port:
        return None
    name = Path(os.path.realpath(port)).name
    return name if name.startswith("ttyUSB") else None


def tune_latency(port: str, sysfs: Path = SYSFS, wanted_ms: int = WANTED_MS) -> Latency | None:
    """Read the adapter's latency timer and lower it to ``wanted_ms`` where allowed."""
    tty = tty_of(port)
    if tty is None:
        return None
    timer = sysfs / tty / "latency_timer"
    try:
        ms = int(timer.read_text().strip())
    except (OSError, ValueError):
        return Latency(tty, None)
    if ms <= wanted_ms:
        return Latency(tty, ms)
    try:
        timer.write_text(f"{wanted_ms}\n")
    except OSError as exc:
        log.warning(
            "%s latency timer is %d ms (each answer waits that long); set it to %d ms with "
            "the udev rule in deploy/udev (%s)", tty, ms, wanted_ms, exc.strerror,
        )  # fmt: skip
        return Latency(tty, ms)
    return Latency(tty, ms, wanted_ms)
