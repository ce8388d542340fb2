"""``TicketPrinter``: print a ticket, confirm it printed, report the printer to the engine."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Literal

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Dummy, File, Network, Serial

from drivers.printer.errors import (
    CoverOpen,
    NotConfirmed,
    PaperJam,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
)
from drivers.printer.escpos_writer import (
    Charset,
    QrMode,
    TextMode,
    TicketWriter,
    paper_columns,
    paper_dots,
)
from drivers.printer.spoolers import CupsQueue, LpQueue, PrintQueue, WindowsQueue
from drivers.printer.status import (
    DLE_EOT,
    GS_R_PAPER,
    PROCESS_ID_REPLY,
    QUERIES,
    UNREADABLE,
    PrinterStatus,
    is_paper_sensor_byte,
    is_status_byte,
    paper_from_sensor,
    parse_status,
    process_id_request,
)
from drivers.printer.ticket import TicketPrint, TicketSettings, layout_ticket
from drivers.printer.transports import UsblpPrinter, UsbPrinter

log = logging.getLogger(__name__)
HealthReport = Callable[[str, dict[str, Any]], None]
READABLE = {"network", "serial", "usb", "usblp"}
SPOOLERS = {"win32", "cups", "lp"}  # a print queue: each ticket is one spool job
SPOOLER_NEEDS = {
    "cups": "pycups (pip install 'branchq[cups]'; Debian libcups2-dev to build it)",
    "lp": "the lp command (Debian cups-client)",
    "win32": "Windows and pywin32 (pip install 'branchq[windows]')",
}
Confirm = Literal["paper_sensor", "process_id", "none"]


@dataclass(frozen=True)
class PrinterConfig:
    """The ``[printer]`` section of the branch TOML (and a kiosk's own overrides)."""

    # network | serial | usb | usblp | file | win32 | cups | lp | dummy
    transport: str = "dummy"
    host: str = ""  # network: the printer; cups: the CUPS server, host or host:port
    port: int = 9100
    device: str = ""  # usblp: /dev/usb/lp0; serial: /dev/ttyS0; file: any path
    baudrate: int = 9600
    usb_vendor: int = 0
    usb_product: int = 0
    queue: str = ""  # win32, cups, lp: the printer queue's name (empty: the default one)
    # python-escpos printer profile: its paper width, columns, QR and cutter decide the layout
    # (TM-T20II: 576 dots / 48 columns; TM-T88V: 512 / 42; ZJ-5870, POS-5890: 384 / 32, no QR)
    profile: str = "TM-T20II"
    text_mode: TextMode = "native"  # image: for printers without a Chinese font
    charset: Charset = "gbk"
    qr: QrMode = "native"
    font: str | None = None  # for text drawn as an image
    timeout: float = 3.0  # each write and status read
    # how a ticket is known printed: GS r 1 answered after the data (most ESC/POS printers),
    # Epson's GS ( H process ID, or not at all (transports that cannot read say "unknown")
    confirm: Confirm = "paper_sensor"
    confirm_timeout: float = 15.0  # printing a ticket takes a few seconds
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
    def readable(self) -> bool:
        """Whether this transport can be asked the printer's status."""
        return self.transport in READABLE

    @property
    def paper_dots(self) -> int:
        """The printable width of this printer's profile, in dots."""
        return paper_dots(Dummy(profile=self.profile))

    @property
    def ticket_settings(self) -> TicketSettings:
        return TicketSettings(english=self.english, footer=self.footer, footer_en=self.footer_en)


def open_device(config: PrinterConfig) -> Escpos:
    """The python-escpos printer for the configured transport (not yet connected)."""
    kind, profile = config.transport, config.profile
    if kind == "network":
        return Network(config.host, port=config.port, timeout=config.timeout, profile=profile)
    if kind == "serial":
        return Serial(
            config.device, baudrate=config.baudrate, timeout=config.timeout, profile=profile
        )
    if kind == "usb":
        return UsbPrinter(
            config.usb_vendor, config.usb_product, timeout=config.timeout, profile=profile
        )
    if kind == "usblp":
        return UsblpPrinter(config.device, timeout=config.timeout, profile=profile)
    if kind == "file":
        return File(config.device, profile=profile)
    if kind in SPOOLERS:
        return open_queue(config)
    if kind == "dummy":
        return Dummy(profile=profile)
    raise ValueError(f"unknown printer transport {kind!r}")


def open_queue(config: PrinterConfig) -> Escpos:
    """A spooler's queue; ``PrinterOffline`` saying what to install where its library is
    missing (python-escpos refuses to build the printer without it)."""
    try:
        if config.transport == "cups":
            return CupsQueue(config.queue, server=config.host, profile=config.profile)
        if config.transport == "lp":
            return LpQueue(config.queue, timeout=config.confirm_timeout, profile=config.profile)
        return WindowsQueue(config.queue, profile=config.profile)
    except RuntimeError as exc:
        need = SPOOLER_NEEDS[config.transport]
        raise PrinterOffline(f"the {config.transport} transport needs {need}: {exc}") from exc


def raise_for(status: PrinterStatus) -> None:
    """The typed error for a status that cannot print."""
    if not status.readable:
        return
    if status.cover_open:
        raise CoverOpen("cover open")
    if status.paper == "out":
        raise PaperOut("paper out")
    if status.error == "jam":
        raise PaperJam("paper jam")
    if status.online is False:
        raise PrinterOffline("printer reports offline")
    if status.error:
        raise PrinterFault(f"printer error: {status.error}")


class TicketPrinter:
    """One ticket printer. See the package docstring for the interface.

    The connection stays open between tickets (a USB printer is not reset for each one) and
    is opened again after a failure."""

    def __init__(
        self,
        config: PrinterConfig,
        *,
        device: Escpos | None = None,
        on_health: HealthReport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._given = device
        self._device: Escpos | None = device
        self.on_health = on_health
        self.clock = clock
        self.last_job = b""
        self._reported: tuple[str, dict[str, Any]] | None = None

    def status(self) -> PrinterStatus:
        """Ask the printer (``DLE EOT 1–4``); ``PrinterOffline`` if it cannot be reached."""
        try:
            with self._session() as device:
                status = self._query(device)
        except PrinterError as exc:
            self._report("error", {"error": exc.code, "message": str(exc)})
            raise
        self._report(status.health, status.detail())
        return status

    def print_ticket(self, ticket: TicketPrint) -> PrinterStatus:
        """Print one ticket and confirm it printed; raises a ``PrinterError`` subclass when
        it did not (``NotConfirmed`` when the printer took it but never said it printed)."""
        try:
            status = self._print(ticket)
        except PrinterError as exc:
            self._report("error", {"error": exc.code, "message": str(exc)})
            raise
        self._report(status.health, status.detail())
        return status

    def close(self) -> None:
        if self._device is not None and self._device is not self._given:
            self._device.close()
        self._device = self._given

    def _print(self, ticket: TicketPrint) -> PrinterStatus:
        job = self.render(ticket)
        with self._session() as device:
            raise_for(self._query(device))
            confirm = self._confirm_request()
            try:
                device._raw(job + confirm)
            except (OSError, TimeoutError) as exc:
                raise PrinterOffline(f"sending the ticket failed: {exc}") from exc
            self.last_job = job
            if isinstance(device, PrintQueue):
                device.submit(f"BranchQ {ticket.number}", self.config.confirm_timeout, self.clock)
                return UNREADABLE
            if not confirm:
                return self._query(device)
            return self._await_confirmation(device, confirm)

    def _confirm_request(self) -> bytes:
        if not self.config.readable or self.config.confirm == "none":
            return b""
        if self.config.confirm == "process_id":
            return process_id_request(f"{secrets.randbelow(10_000):04d}".encode())
        return GS_R_PAPER

    def _await_confirmation(self, device: Escpos, request: bytes) -> PrinterStatus:
        """Wait for the answer that follows the ticket; without it, ask why."""
        deadline = self.clock() + self.config.confirm_timeout
        got = b""
        while self.clock() < deadline:
            got += self._read(device)
            if request == GS_R_PAPER:
                answer = next((b for b in got if is_paper_sensor_byte(b)), None)
                if answer is not None:
                    paper = paper_from_sensor(answer)
                    status = PrinterStatus(True, online=True, paper=paper)
                    raise_for(status)
                    return status
            elif PROCESS_ID_REPLY + request[-4:] + b"\x00" in got:
                return PrinterStatus(True, online=True, paper="ok")
        status = self._query(device)  # real-time: answered even while the job is stuck
        raise_for(status)  # out of paper, cover opened, jam … during the ticket
        raise NotConfirmed(
            f"the printer took the ticket but did not confirm it ({status.detail()})"
        )

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

    def _session(self) -> _Session:
        return _Session(self)

    def _connect(self) -> Escpos:
        if self._device is not None:
            return self._device
        device = open_device(self.config)  # PrinterOffline when a library is missing
        try:
            device.open()
        except PrinterError:
            raise
        except (DeviceNotFoundError, OSError) as exc:
            raise PrinterOffline(str(exc)) from exc
        except Exception as exc:  # python-escpos raises USBNotFoundError, RuntimeError …
            raise PrinterOffline(str(exc)) from exc
        self._device = device
        return device

    def _release(self, failed: bool) -> None:
        """After a job: keep the connection, unless it failed or is a spool job."""
        if self._device is None or self._device is self._given:
            return
        if failed or self.config.transport in SPOOLERS or self.config.transport == "file":
            try:
                self._device.close()  # a spooler's close() ends the job and sends it
            except Exception as exc:
                log.debug("closing the printer: %s", exc)
            self._device = None

    def _read(self, device: Escpos) -> bytes:
        try:
            return bytes(device._read() or b"")
        except (OSError, TimeoutError) as exc:
            log.debug("printer read: %s", exc)
            return b""

    def _query(self, device: Escpos) -> PrinterStatus:
        if isinstance(device, PrintQueue):
            return device.queue_status()
        if not self.config.readable:
            return UNREADABLE
        answers: dict[int, int] = {}
        for n in QUERIES:
            try:
                device._raw(DLE_EOT + bytes([n]))
            except (OSError, TimeoutError) as exc:
                raise PrinterOffline(f"asking the status failed: {exc}") from exc
            data = self._read(device)
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


class _Session:
    """``with printer._session() as device``: the open device; closed again on failure."""

    def __init__(self, printer: TicketPrinter) -> None:
        self.printer = printer

    def __enter__(self) -> Escpos:
        return self.printer._connect()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self.printer._release(failed=kind is not None)
