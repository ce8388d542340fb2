"""How the ticket bytes reach the printer: python-escpos's transports, and two it lacks.

One class per transport over python-escpos's ``Escpos`` base (which only knows bytes), so a
test swaps one for ``Dummy``. From python-escpos as they are: ``Network`` (raw TCP, port
9100), ``Serial``, ``File`` (write-only); its spoolers (CUPS, ``lp``, Windows) are extended in
``spoolers.py``. Two more here:

* ``UsbPrinter``: python-escpos's ``Usb`` reading the endpoints from the device's
  descriptors (the printer-class interface's bulk OUT and IN) instead of assuming 0x01/0x82
  (0416:5011-class printers use 0x03 and 0x81), with a write and read timeout (python-escpos's
  default 0 waits for ever), without the USB reset python-escpos does on every ``open()``, and
  with pyusb's errors as ``PrinterOffline``.
* ``UsblpPrinter``: the kernel's usblp device (``/dev/usb/lp0``), opened for reading and
  writing: a bidirectional printer answers status requests through it, so the deployed path
  (``/dev/branchq-printer``) reads paper and cover state.
"""

from __future__ import annotations

import errno
import os
import select
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from escpos.escpos import Escpos
from escpos.printer import Usb

from drivers.printer.errors import PrinterOffline

PRINTER_CLASS = 0x07
BULK = 0x02
DIRECTION_IN = 0x80


@dataclass(frozen=True)
class Endpoints:
    interface: int
    out_ep: int
    in_ep: int | None  # None: a unidirectional printer, which cannot be asked


def printer_endpoints(
    interfaces: Iterable[tuple[int, int, Iterable[tuple[int, int]]]],
) -> Endpoints:
    """The printer interface's bulk endpoints from descriptors: ``(interface number, class,
    [(endpoint address, attributes), …])`` for each interface of the active configuration."""
    candidates = list(interfaces)
    ordered = sorted(candidates, key=lambda i: i[1] != PRINTER_CLASS)  # class 07 first
    for number, _, endpoints in ordered:
        bulk = [(a, attr) for a, attr in endpoints if attr & 0x03 == BULK]
        out = next((a for a, _ in bulk if not a & DIRECTION_IN), None)
        if out is not None:
            back = next((a for a, _ in bulk if a & DIRECTION_IN), None)
            return Endpoints(number, out, back)
    raise PrinterOffline("the USB device has no bulk OUT endpoint: is it a printer?")


def parse_configuration(descriptor: bytes) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Interfaces and endpoints of a raw configuration descriptor (USB 2.0, 9.6.3–9.6.6),
    as sysfs's ``descriptors`` file or ``lsusb`` show them."""
    interfaces: list[tuple[int, int, list[tuple[int, int]]]] = []
    i = 0
    while i + 1 < len(descriptor):
        length, kind = descriptor[i], descriptor[i + 1]
        if length < 2:
            break
        if kind == 0x04:  # interface: bInterfaceNumber at 2, bInterfaceClass at 5
            interfaces.append((descriptor[i + 2], descriptor[i + 5], []))
        elif kind == 0x05 and interfaces:  # endpoint: bEndpointAddress at 2, bmAttributes at 3
            interfaces[-1][2].append((descriptor[i + 2], descriptor[i + 3]))
        i += length
    return interfaces


class UsbPrinter(Usb):  # type: ignore[misc]
    """python-escpos's USB printer, endpoints from descriptors, timeouts, no reset."""

    def __init__(self, vendor: int, product: int, *, timeout: float = 3.0, **kwargs: Any) -> None:
        super().__init__(vendor, product, timeout=int(timeout * 1000), **kwargs)
        self.endpoints: Endpoints | None = None

    def open(self, raise_not_found: bool = True) -> None:
        try:
            import usb.core
        except ImportError as exc:
            raise PrinterOffline(
                "USB printing needs pyusb: pip install 'branchq[usb]' (and libusb-1.0-0)"
            ) from exc
        try:
            device = usb.core.find(**self.usb_args)
        except usb.core.NoBackendError as exc:
            raise PrinterOffline("no libusb on this machine (Debian: libusb-1.0-0)") from exc
        if device is None:
            ids = ":".join(f"{v:04x}" for v in self.usb_args.values())
            raise PrinterOffline(f"no USB printer {ids}: unplugged, or off?")
        try:
            configuration = device.get_active_configuration()
            self.endpoints = printer_endpoints(
                (i.bInterfaceNumber, i.bInterfaceClass,
                 [(e.bEndpointAddress, e.bmAttributes) for e in i])
                for i in configuration
            )  # fmt: skip
        except usb.core.USBError as exc:
            raise PrinterOffline(f"USB printer: {exc}") from exc
        try:
            if device.is_kernel_driver_active(self.endpoints.interface):
                device.detach_kernel_driver(self.endpoints.interface)  # usblp holds it
        except NotImplementedError:  # backends without kernel-driver calls (Windows)
            pass
        except usb.core.USBError as exc:
            raise PrinterOffline(f"USB printer busy: {exc}") from exc
        self.out_ep = self.endpoints.out_ep
        self.in_ep = self.endpoints.in_ep or 0
        self.device = device  # configured already: no set_configuration(), no reset()
        self._device = device

    def _raw(self, msg: bytes) -> None:
        import usb.core

        try:
            super()._raw(msg)
        except usb.core.USBTimeoutError as exc:
            raise PrinterOffline("the USB printer took no data (stalled or offline)") from exc
        except usb.core.USBError as exc:
            raise PrinterOffline(f"USB write failed: {exc}") from exc

    def _read(self) -> bytes:
        import usb.core

        if self.endpoints is None or self.endpoints.in_ep is None:
            return b""
        try:
            return bytes(self.device.read(self.in_ep, 64, self.timeout))
        except usb.core.USBTimeoutError:
            return b""
        except usb.core.USBError as exc:
            raise PrinterOffline(f"USB read failed: {exc}") from exc

    def close(self) -> None:
        if self._device:
            import usb.util

            usb.util.dispose_resources(self._device)
        self._device = False


class UsblpPrinter(Escpos):  # type: ignore[misc]
    """The usblp character device, read and written: status where the printer answers."""

    def __init__(self, devfile: str, *, timeout: float = 3.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.devfile = devfile
        self.timeout = timeout
        self.fd: int | None = None

    def open(self, raise_not_found: bool = True) -> None:
        try:
            self.fd = os.open(self.devfile, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as exc:
            raise PrinterOffline(f"{self.devfile}: {exc.strerror}") from exc
        self._device = self.fd

    def _raw(self, msg: bytes) -> None:
        assert self.fd is not None
        deadline = time.monotonic() + self.timeout
        view = memoryview(msg)
        while view:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [self.fd], [], left)[1]:
                raise PrinterOffline(f"{self.devfile} took no data for {self.timeout:g} s")
            try:
                view = view[os.write(self.fd, view) :]
            except BlockingIOError:
                continue
            except OSError as exc:
                raise PrinterOffline(f"{self.devfile}: {exc.strerror}") from exc

    def _read(self) -> bytes:
        """What the printer sent back, waiting up to the timeout (empty: nothing)."""
        assert self.fd is not None
        if not select.select([self.fd], [], [], self.timeout)[0]:
            return b""
        try:
            return os.read(self.fd, 64)
        except BlockingIOError:
            return b""
        except OSError as exc:
            if exc.errno in (errno.EIO, errno.ENODEV):
                raise PrinterOffline(f"{self.devfile}: {exc.strerror}") from exc
            return b""

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
        self.fd = None
        self._device = False
