"""``TicketPrinter``: print a ticket, ask the printer how it is, report both to the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial, Usb

from drivers.printer.errors import CoverOpen, PaperOut, PrinterError, PrinterFault, PrinterOffline
from drivers.printer.escpos_writer import (
    Charset,
    QrMode,
    TextMode,
    TicketWriter,
    paper_columns,
    paper_dots,
)
from drivers.printer.status import (
    DLE_EOT,
    QUERIES,
    UNREADABLE,
    PrinterStatus,
    is_status_byte,
    parse_status,
)
from drivers.printer.ticket import TicketPrint, TicketSettings, layout_ticket

log = logging.getLogger(__name__)
HealthReport = Callable[[str, dict[str, Any]], None]
READABLE = {"network", "serial", "usb"}


@dataclass(frozen=True)
class PrinterConfig:
    """The ``[printer]`` section of the branch TOML (and a kiosk's own overrides)."""

    transport: str = "dummy"  # network | serial | usb | file | dummy
    host: str = ""
    port: int = 9100
    device: str = ""  # file: /dev/usb/lp0; serial: /dev/ttyS0
    baudrate: int = 9600
    usb_vendor: int = 0
    usb_product: int = 0
    # python-escpos printer profile: its paper width, columns, QR and cutter decide the layout
    # (TM-T20II: 576 dots / 48 columns; TM-T88V: 512 / 42; ZJ-5870, POS-5890: 384 / 32, no QR)
    profile: str = "TM-T20II"
    text_mode: TextMode = "native"  # image: for printers without a Chinese font
    charset: Charset = "gbk"
    qr: QrMode = "native"
    font: str | None = None  # for text drawn as an image
    timeout: float = 3.0
    english: bool = True
    footer: str = "请留意叫号，过号请咨询大堂经理"
    footer_en: str | None = None

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> PrinterConfig:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known}
        for key in ("usb_vendor", "usb_product"):
            if isinstance(values.get(key), str):
                values[key] = int(values[key], 0)
        return cls(**values)

    @property
    def paper_dots(self) -> int:
        """The printable width of this printer's profile, in dots."""
        return paper_dots(Dummy(profile=self.profile))

    @property
    def ticket_settings(self) -> TicketSettings:
        return TicketSettings(english=self.english, footer=self.footer, footer_en=self.footer_en)


def open_device(config: PrinterConfig) -> Escpos:
    """The python-escpos printer for the configured transport (not yet connected)."""
    kind = config.transport
    if kind == "network":
        return Network(
            config.host, port=config.port, timeout=config.timeout, profile=config.profile
        )
    if kind == "serial":
        return Serial(
            config.device, baudrate=config.baudrate, timeout=config.timeout, profile=config.profile
        )
    if kind == "usb":
        return Usb(config.usb_vendor, config.usb_product, timeout=0, profile=config.profile)
    if kind == "file":
        return File(config.device, profile=config.profile)
    if kind == "dummy":
        return Dummy(profile=config.profile)
    raise ValueError(f"unknown printer transport {kind!r}")


def raise_for(status: PrinterStatus) -> None:
    """The typed error for a status that cannot print."""
    if not status.readable:
        return
    if status.cover_open:
        raise CoverOpen("cover open")
    if status.paper == "out":
        raise PaperOut("paper out")
    if status.online is False:
        raise PrinterOffline("printer reports offline")
    if status.error:
        raise PrinterFault(f"printer error: {status.error}")


class TicketPrinter:
    """One ticket printer. See the package docstring for the interface."""

    def __init__(
        self,
        config: PrinterConfig,
        *,
        device: Escpos | None = None,
        on_health: HealthReport | None = None,
    ) -> None:
        self.config = config
        self._device = device
        self.on_health = on_health
        self.last_job = b""
        self._reported: tuple[str, dict[str, Any]] | None = None

    def status(self) -> PrinterStatus:
        """Ask the printer (``DLE EOT 1–4``); ``PrinterOffline`` if it cannot be reached."""
        try:
            device = self._open()
            try:
                status = self._query(device)
            finally:
                self._done(device)
        except PrinterError as exc:
            self._report("error", {"error": exc.code, "message": str(exc)})
            raise
        self._report(status.health, status.detail())
        return status

    def print_ticket(self, ticket: TicketPrint) -> PrinterStatus:
        """Print one ticket; raises a ``PrinterError`` subclass when it could not be printed."""
        try:
            status = self._print(ticket)
        except PrinterError as exc:
            self._report("error", {"error": exc.code, "message": str(exc)})
            raise
        self._report(status.health, status.detail())
        return status

    def _print(self, ticket: TicketPrint) -> PrinterStatus:
        job = self.render(ticket)
        device = self._open()
        try:
            raise_for(self._query(device))
            try:
                device._raw(job)
            except OSError as exc:
                raise PrinterOffline(f"sending the ticket failed: {exc}") from exc
            self.last_job = job
            after = self._query(device)
            raise_for(after)  # out of paper during the ticket: it is not whole
            return after
        finally:
            self._done(device)

    def render(self, ticket: TicketPrint) -> bytes:
        """The ESC/POS bytes of a ticket, laid out for this printer's profile."""
        buffer = Dummy(profile=self.config.profile)
        settings = replace(self.config.ticket_settings, columns=paper_columns(buffer))
        TicketWriter(
            buffer,
            text_mode=self.config.text_mode,
            charset=self.config.charset,
            qr_mode=self.config.qr,
            font_path=self.config.font,
        ).write(layout_ticket(ticket, settings))
        return bytes(buffer.output)

    def _open(self) -> Escpos:
        if self._device is not None:
            return self._device
        device = open_device(self.config)
        try:
            device.open()
        except (DeviceNotFoundError, OSError) as exc:
            raise PrinterOffline(str(exc)) from exc
        except Exception as exc:  # python-escpos raises USBNotFoundError and others
            raise PrinterOffline(str(exc)) from exc
        return device

    def _done(self, device: Escpos) -> None:
        if device is not self._device:
            device.close()

    def _query(self, device: Escpos) -> PrinterStatus:
        if self.config.transport not in READABLE:
            return UNREADABLE
        answers: dict[int, int] = {}
        for n in QUERIES:
            try:
                device._raw(DLE_EOT + bytes([n]))
                data = device._read()
            except (OSError, TimeoutError) as exc:
                log.debug("status %s: %s", n, exc)
                data = b""
            if data and is_status_byte(data[-1]):
                answers[n] = data[-1]
        if not answers:
            raise PrinterOffline("the printer does not answer status requests")
        return parse_status(answers)

    def _report(self, status: str, detail: dict[str, Any]) -> None:
        if self.on_health is None or self._reported == (status, detail):
            return
        self._reported = (status, detail)
        try:
            self.on_health(status, {"printer": detail})
        except Exception as exc:  # the ticket matters more than the report
            log.warning("could not report printer health: %s", exc)
