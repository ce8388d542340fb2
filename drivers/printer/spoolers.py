"""Print queues: a ticket as one RAW job through a spooler instead of straight to the printer.

python-escpos's three spooler transports, each with what it lacks for a kiosk:

* ``CupsQueue`` (python-escpos's ``CupsPrinter``, over pycups): a CUPS raw queue, local or on a
  print server. Before a ticket it asks the queue's state (a stopped queue or one refusing jobs
  is ``PrinterOffline`` with CUPS's own message); after it, it follows the job until CUPS has
  passed it on to the printer (job state ``completed``). A job CUPS aborts, or cannot pass on
  within the wait (the printer unplugged: the backend keeps retrying), is cancelled, so it does
  not come out later beside the reprint, and is ``PrinterOffline``.
* ``LpQueue`` (python-escpos's ``LP``, the ``lp`` command, no compiled dependency): the same
  through the command line tools (``lp``, ``lpstat``, ``cancel``) of the machine's CUPS (or
  ``$CUPS_SERVER``). It cannot tell a completed job from an aborted one, only that the job has
  left the queue. Unlike ``LP`` it checks ``lp``'s exit status, starts ``lp`` only for a ticket
  (a status question prints nothing) and adds no line feed after the cut.
* ``WindowsQueue`` (python-escpos's ``Win32Raw``, over pywin32): a Windows printer queue, RAW
  datatype. Errors of the Windows spooler become ``PrinterOffline``; the ticket counts as
  printed once the spooler took the job (Windows's job status is not followed). It cannot run
  on Linux and is not tested here.

No spooler returns the printer's answers: paper and cover state are unknown (health
``unknown``), and a ticket is confirmed only as far as the spooler can tell.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import LP, CupsPrinter, Win32Raw

from drivers.printer.errors import PrinterOffline
from drivers.printer.status import UNREADABLE, PrinterStatus

Clock = Callable[[], float]
CUPS_PORT = 631
POLL_S = 0.1
# IPP job-state (RFC 8011 5.3.7) and printer-state (5.4.11)
JOB_COMPLETED, JOB_CANCELED, JOB_ABORTED, JOB_STOPPED = 9, 7, 8, 6
PRINTER_STOPPED = 5
REQUEST_ID = re.compile(r"request id is (\S+)")


class PrintQueue(ABC):
    """A spooler: ``queue_status`` before a ticket, ``submit`` to send the job and follow it."""

    @abstractmethod
    def queue_status(self) -> PrinterStatus:
        """``UNREADABLE`` (paper and cover unknown), or ``PrinterOffline`` if the queue
        cannot take a ticket."""

    @abstractmethod
    def submit(self, name: str, wait: float, clock: Clock) -> None:
        """Send what was written as one job named ``name``; return once the spooler passed it
        on to the printer, or raise ``PrinterOffline`` (the job cancelled) within ``wait``."""


def cups_server(host: str) -> tuple[str, int]:
    """``print-server``, ``print-server:8631`` or ``[::1]:631`` → host and port."""
    if not host:
        return "localhost", CUPS_PORT
    parts = urlsplit(f"//{host}")
    return parts.hostname or "localhost", parts.port or CUPS_PORT


class CupsQueue(CupsPrinter, PrintQueue):  # type: ignore[misc]
    """python-escpos's CUPS printer, with the queue's state and the job followed."""

    printer_name: str

    def __init__(self, queue: str, server: str = "", **kwargs: Any) -> None:
        host, port = cups_server(server)
        super().__init__(queue, host=host, port=port, **kwargs)
        self.job_id: int | None = None

    @property
    def where(self) -> str:
        return f"CUPS at {self.host}:{self.port}"

    def open(self, job_name: str = "BranchQ ticket", raise_not_found: bool = True) -> None:
        import cups

        try:
            super().open(job_name=job_name)
        except (DeviceNotFoundError, cups.IPPError, RuntimeError) as exc:
            name = self.printer_name or "(the default)"
            raise PrinterOffline(f"{self.where}: no print queue {name}: {_last_line(exc)}") from exc

    def queue_status(self) -> PrinterStatus:
        queue = self._ask(
            self.device.getPrinterAttributes,
            self.printer_name,
            ("printer-state", "printer-state-message", "printer-is-accepting-jobs"),
        )
        why = queue.get("printer-state-message") or "no reason given"
        if queue.get("printer-state") == PRINTER_STOPPED:
            raise PrinterOffline(f"print queue {self.printer_name} is stopped: {why}")
        if not queue.get("printer-is-accepting-jobs", True):
            raise PrinterOffline(f"print queue {self.printer_name} refuses jobs: {why}")
        return UNREADABLE

    def send(self) -> None:
        """python-escpos's ``send``, keeping the job's id."""
        import cups

        if not self.pending_job:
            return
        self.tmpfile.flush()
        try:
            self.job_id = self.device.printFile(
                self.printer_name,
                self.tmpfile.name,
                self.job_name,
                {"document-format": cups.CUPS_FORMAT_RAW},
            )
        except (cups.IPPError, RuntimeError) as exc:
            raise PrinterOffline(f"{self.where} refused the ticket: {_last_line(exc)}") from exc
        finally:
            self._clear()

    def submit(self, name: str, wait: float, clock: Clock) -> None:
        self.job_name = name
        self.send()
        assert self.job_id is not None
        deadline = clock() + wait
        while True:
            job = self._ask(
                self.device.getJobAttributes,
                self.job_id,
                ("job-state", "job-state-reasons", "job-printer-state-message"),
            )
            state = job.get("job-state")
            if state == JOB_COMPLETED:
                return
            why = job.get("job-printer-state-message") or job.get("job-state-reasons") or ""
            if state in (JOB_CANCELED, JOB_ABORTED):
                raise PrinterOffline(f"CUPS job {self.job_id} {job.get('job-state-reasons')}")
            if state == JOB_STOPPED or clock() >= deadline:
                self._cancel()
                raise PrinterOffline(
                    f"CUPS job {self.job_id} not passed to the printer in {wait:g} s, "
                    f"cancelled: {why or 'no reason given'}"
                )
            time.sleep(POLL_S)

    def _ask(
        self, ask: Callable[..., dict[str, Any]], which: str | int, attributes: tuple[str, ...]
    ) -> dict[str, Any]:
        """A queue's or a job's attributes (IPP Get-Printer- / Get-Job-Attributes)."""
        import cups

        try:
            return ask(which, requested_attributes=list(attributes))
        except (cups.IPPError, RuntimeError) as exc:
            raise PrinterOffline(f"{self.where}: {_last_line(exc)}") from exc

    def _cancel(self) -> None:
        import cups

        with contextlib.suppress(cups.IPPError, RuntimeError):  # it may have completed meanwhile
            self.device.cancelJob(self.job_id)


class LpQueue(LP, PrintQueue):  # type: ignore[misc]
    """python-escpos's ``lp`` printer: the exit status checked, one ``lp`` per ticket."""

    printer_name: str

    def __init__(self, queue: str, *, timeout: float = 10.0, **kwargs: Any) -> None:
        super().__init__(queue, **kwargs)
        self.timeout = timeout
        self.job = bytearray()
        self.job_id = ""

    def open(self, job_name: str = "BranchQ ticket", raise_not_found: bool = True) -> None:
        try:
            self.printer_name = self.printer_name or self._get_system_default_printer()
            known = self.printers
        except (OSError, IndexError, subprocess.SubprocessError) as exc:
            raise PrinterOffline(f"lpstat: {exc}") from exc
        if self.printer_name not in known:
            name = self.printer_name or "(no default queue)"
            raise PrinterOffline(f"no print queue {name} (lpstat -v lists {sorted(known)})")
        self.job_name = job_name
        self.job.clear()
        self._device = True

    def queue_status(self) -> PrinterStatus:
        listed = self._run("lpstat", "-p", self.printer_name)
        if listed.returncode != 0 or " disabled" in listed.stdout:
            raise PrinterOffline(f"print queue {self.printer_name}: {_text(listed)}")
        return UNREADABLE

    def _raw(self, msg: bytes) -> None:
        self.job += msg

    def submit(self, name: str, wait: float, clock: Clock) -> None:
        command = ["lp", "-d", self.printer_name, "-t", name, "-o", "raw"]
        took = self._run(*command, data=bytes(self.job))
        self.job.clear()
        found = REQUEST_ID.search(took.stdout)
        if took.returncode != 0 or found is None:
            raise PrinterOffline(f"lp refused the ticket: {_text(took)}")
        self.job_id = found.group(1)
        deadline = clock() + wait
        while self.job_id in self._run("lpstat", "-W", "not-completed", "-o").stdout.split():
            if clock() >= deadline:
                self._run("cancel", self.job_id)
                raise PrinterOffline(
                    f"print job {self.job_id} not passed to the printer in {wait:g} s, "
                    f"cancelled: {_text(self._run('lpstat', '-p', self.printer_name))}"
                )
            time.sleep(POLL_S)

    def close(self) -> None:
        self.job.clear()
        self._device = False

    def _run(self, *command: str, data: bytes | None = None) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                command,
                input=None if data is None else data.decode("latin-1"),
                capture_output=True,
                text=True,
                encoding="latin-1",
                timeout=self.timeout,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PrinterOffline(f"{command[0]}: {exc}") from exc


class WindowsQueue(Win32Raw, PrintQueue):  # type: ignore[misc]
    """python-escpos's Windows printer queue: one RAW document per ticket (none for a status
    question), the spooler's errors as ``PrinterOffline``. Not run here: pywin32 is for
    Windows only."""

    printer_name: str

    def __init__(self, queue: str, **kwargs: Any) -> None:
        super().__init__(queue, **kwargs)
        self.job = bytearray()

    def open(self, job_name: str = "BranchQ ticket", raise_not_found: bool = True) -> None:
        try:
            self.printer_name = self.printer_name or _windows().GetDefaultPrinter()
            known = self.printers
        except Exception as exc:  # pywintypes.error
            raise PrinterOffline(f"Windows printers: {exc}") from exc
        if self.printer_name not in known:
            raise PrinterOffline(f"no Windows printer {self.printer_name!r} ({sorted(known)})")
        self.job.clear()
        self._device = True

    def queue_status(self) -> PrinterStatus:
        return UNREADABLE

    def _raw(self, msg: bytes) -> None:
        self.job += msg

    def submit(self, name: str, wait: float, clock: Clock) -> None:
        self._device = False
        try:  # StartDocPrinter (RAW), WritePrinter, EndDocPrinter: the job goes to the spooler
            super().open(job_name=name)
            super()._raw(bytes(self.job))
            super().close()
        except Exception as exc:  # DeviceNotFoundError, pywintypes.error
            raise PrinterOffline(f"Windows printer {self.printer_name!r}: {exc}") from exc
        finally:
            self.job.clear()

    def close(self) -> None:
        if self._device not in (True, False, None):
            with contextlib.suppress(Exception):
                super().close()  # a document left open by a failed submit
        self.job = bytearray()  # (also from __del__ when __init__ refused: no pywin32)
        self._device = False


def _windows() -> Any:
    import win32print  # type: ignore[import-not-found, unused-ignore]

    return win32print


def _last_line(exc: BaseException) -> str:
    """The reason in an error: pycups's ``IPPError(status, message)``, python-escpos's
    "Unable to start a print job …:\n<reason>"."""
    if len(exc.args) == 2 and isinstance(exc.args[1], str):
        return exc.args[1]
    text = str(exc).strip()
    return text.splitlines()[-1].strip() if text else type(exc).__name__


def _text(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
