"""``branchq kiosk``: wire the touch screen, the card reader, the engine and the printer.

One asyncio loop in the main thread: reading pygame's input and drawing (only when the state
changed), following ``/events`` through the shared ``EventStream``, and one task per effect
the state asks for (issue, print, reload services, check the PIN). Printing runs in a worker
thread (the printer's I/O blocks) one ticket at a time; the printer reports its health to the
engine itself (``TicketPrinter(on_health=…)``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame

from drivers.printer import NoPrinter, PrinterConfig, PrinterError, TicketPrint, TicketPrinter
from drivers.screen.program import (
    cjk_font,
    open_screen,
    run_program,
    size_option,
    until_stopped,
)
from drivers.voice import LogSpeaker, Speaker, Voice, open_speaker
from kiosk import care
from kiosk.guide import Guide, voice_options
from kiosk.layout import hit
from kiosk.model import (
    AskForHelp,
    BranchLoaded,
    CheckInCode,
    CheckPin,
    Effect,
    EngineEvent,
    HelpAsked,
    Issued,
    IssueFailed,
    IssueTicket,
    Key,
    KioskState,
    LocalSettings,
    Message,
    PinChecked,
    Printed,
    PrintFailed,
    PrintTicket,
    RefreshServices,
    ReportPrint,
    SaveSettings,
    ServicesLoaded,
    Showing,
    Speak,
    Tap,
    Tick,
    TokenChecked,
)
from kiosk.model import Link as LinkChanged
from kiosk.settings import SettingsFile, default_path, parse_printer_url, printer_settings
from kiosk.state import new_state, step
from kiosk.view import Painter
from queue_core import DEFAULT_ENGINE
from queue_core.client import (
    AsyncEngineClient,
    EngineClient,
    EngineError,
    EngineUnavailable,
    EventStream,
    configure_logging,
)
from queue_core.retry import keep_trying
from queue_core.security import hash_pin, verify_pin

log = logging.getLogger("kiosk")
ISSUE_RETRY_DELAYS = (0.0, 0.25, 0.5, 1.0)  # the same Idempotency-Key each time
ISSUE_DEADLINE_S = 6.0
TICK_S = 0.25
PRINTER_CHECK_S = 30.0
TOKEN_CHECK_S = 30.0  # how often a refused token is asked about again


@dataclass(frozen=True, slots=True)
class Options:
    engine: str
    token: str
    settings: Path
    printer: dict[str, Any] = field(default_factory=dict)  # command-line overrides
    fullscreen: bool = False
    size: tuple[int, int] | None = None
    screenshot: Path | None = None
    exit_after: float | None = None
    font: str | None = None
    fps: float = 60.0
    voice: bool = True  # care mode's spoken guidance
    neural: bool = True  # False: the robotic eSpeak NG voice only (no 500 MB model in memory)


class Kiosk:
    """The running kiosk: its state, screen, printer and link to the engine."""

    def __init__(
        self,
        options: Options,
        surface: pygame.Surface,
        font: Path,
        settings: SettingsFile,
        clock: Callable[[], float] = time.time,
        session: str | None = None,
        printer_device: Any = None,
        speaker: Speaker | None = None,
    ) -> None:
        self.options = options
        self.surface = surface
        self.painter = Painter(surface, font)
        self.settings = settings
        self.clock = clock
        self.printer_device = printer_device  # tests and benches: a python-escpos Dummy
        self.guide = Guide(speaker or LogSpeaker())
        self.state: KioskState = new_state(
            session or secrets.token_hex(6), self._initial_local(), bool(settings.pin_hash)
        )
        self.branch: dict[str, Any] = {}
        self.printer: TicketPrinter | None = None
        self.printer_missing = False  # nothing configured: say so instead of "take your ticket"
        self.dirty = asyncio.Event()
        self.stopping = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.print_lock = asyncio.Lock()
        self.tapped_at: float | None = None  # perf_counter of the last service press
        self.shown: dict[str, float] = {}  # ticket number → perf_counter when first drawn
        self.printed: dict[str, float] = {}  # ticket number → perf_counter when printed
        self.latency: list[tuple[str, float]] = []  # (number, tap → number drawn, seconds)
        self._link(self.engine_url)

    @property
    def engine_url(self) -> str:
        return self.settings.local.engine or self.options.engine

    def _initial_local(self) -> LocalSettings:
        local = self.settings.local
        return local if local.engine else LocalSettings(self.options.engine, local.printer,
                                                        local.language)  # fmt: skip

    def _link(self, engine: str) -> None:
        self.client = AsyncEngineClient(engine, self.options.token, timeout=3.0)
        self.health_client = EngineClient(engine, self.options.token, timeout=3.0)
        self.stream = EventStream(engine, self.options.token, on_state=self._link_changed)

    # Messages in, effects out
    def dispatch(self, message: Message) -> None:
        before = self.state
        self.state, effects = step(self.state, message)
        for effect in effects:
            self._run(effect)
        if self.state != before:
            self.dirty.set()

    def _run(self, effect: Effect) -> None:
        match effect:
            case IssueTicket():
                self.spawn(self._issue(effect))
            case CheckInCode():
                self.spawn(self._check_in(effect))
            case PrintTicket(ticket=ticket, reprint=reprint):
                self.spawn(self._print(ticket, reprint))
            case ReportPrint():
                self.spawn(self._report_print(effect))
            case RefreshServices():
                self.spawn(self._refresh_services())
            case CheckPin(pin=pin):
                self.spawn(self._check_pin(pin))
            case SaveSettings(settings=local):
                self._save(local)
            case Speak(text=text, lang=lang):
                self.spawn(self.guide.say(text, lang))
            case AskForHelp():
                self.spawn(self._ask_for_help())

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("kiosk task failed", exc_info=task.exception())

    def _link_changed(self, connected: bool) -> None:
        log.info("event link %s", "up" if connected else "down")
        self.dispatch(LinkChanged(connected, self.clock()))

    # The engine
    async def _issue(self, effect: IssueTicket) -> None:
        body: dict[str, Any] = {"service": effect.service}
        if effect.care:
            body["care"] = True
        if effect.card is not None:
            body["card"] = effect.card
        await self._post_for_ticket("/tickets", body, effect.key)

    async def _check_in(self, effect: CheckInCode) -> None:
        """A customer's check-in code: the engine answers the ticket it put in the queue."""
        await self._post_for_ticket("/phone/check-in-code", {"code": effect.code}, effect.key)

    async def _post_for_ticket(self, path: str, body: dict[str, Any], key: str) -> None:
        """POST for a ticket, retried with the same Idempotency-Key while unanswered; the
        answer (``Issued``) or the refusal (``IssueFailed``) goes to the state."""
        headers = {"Idempotency-Key": key}
        deadline = time.monotonic() + ISSUE_DEADLINE_S
        status, code = 0, "engine_unavailable"
        for delay in ISSUE_RETRY_DELAYS:
            await asyncio.sleep(delay)
            if time.monotonic() > deadline:
                break
            try:
                ticket = await self.client.request("POST", path, body, headers=headers)
            except EngineError as exc:
                status, code = exc.status, exc.code
                if exc.status == 0 or exc.status >= 500:
                    log.warning("%s %s not answered (%s); retrying", path, key, exc)
                    continue
                break
            self.dispatch(Issued(key, ticket, self.clock()))
            return
        self.dispatch(IssueFailed(key, status, code, self.clock()))

    async def _refresh_services(self) -> None:
        try:
            services = await self.client.request("GET", "/services")
        except EngineError as exc:
            log.info("services not refreshed: %s", exc)
            return
        self.dispatch(ServicesLoaded(services, self.clock()))

    async def load_branch(self) -> None:
        async def load() -> None:
            branch = await self.client.request("GET", "/branch")
            services = await self.client.request("GET", "/services")
            me = await self.client.request("GET", "/auth/me")
            self.branch = branch
            self.printer = self._make_printer()
            self.dispatch(BranchLoaded(branch, self.clock(), kiosk=str(me.get("name") or "")))
            self.dispatch(ServicesLoaded(services, self.clock()))
            self._start_voice(branch)

        await keep_trying(load, (EngineError,), "branch", max_delay=15.0, stopping=self.stopping)

    async def check_token(self) -> None:
        """Ask the engine whose token this kiosk has. While it is not a kiosk's (unknown, or a
        display's…), the screen says so and every press is refused with that notice; the log
        says what to fix. Asked again every ``TOKEN_CHECK_S``: the branch file may be fixed."""
        said = ""
        while not self.stopping.is_set():
            problem: str | None = None  # None: no answer (the link strip tells that)
            try:
                me = await self.client.request("GET", "/auth/me")
                problem = "" if me.get("role") == "kiosk" else str(me.get("role"))
            except EngineUnavailable:
                pass
            except EngineError as exc:
                problem = "invalid" if exc.status in (401, 403) else None
            if problem is not None:
                self.dispatch(TokenChecked(problem, self.clock()))
                if problem and problem != said:
                    log.error(
                        "%s: no tickets can be issued. Start the kiosk with --token (or "
                        "BRANCHQ_TOKEN) set to the token of a [[devices]] entry with "
                        'role = "kiosk" in the branch file',
                        "the engine does not know this kiosk's token"
                        if problem == "invalid"
                        else f"this token is a {problem} device's, not a kiosk's",
                    )
                said = problem
                if not problem:
                    return
            await asyncio.sleep(TOKEN_CHECK_S if problem else 2.0)

    async def follow_events(self) -> None:
        while not self.stopping.is_set():
            try:
                async for news in self.stream:
                    self.dispatch(EngineEvent(news, self.clock()))
            except EngineError as exc:  # the token was refused
                log.error("event stream refused: %s", exc)
                await asyncio.sleep(30)

    def _start_voice(self, branch: dict[str, Any]) -> None:
        if not self.options.voice or self.guide.voice is not None:
            return
        options = voice_options(branch.get("voice") or {}, neural=self.options.neural)
        self.guide.voice = Voice(options)
        self.spawn(self.guide.warm(care.fixed_guidance(self.state)))

    # The printer
    def _make_printer(self) -> TicketPrinter:
        if self.printer is not None and not self.print_lock.locked():
            self.printer.close()  # its connection stays open between tickets
        merged = printer_settings(self.branch, self.state.local.printer, self.options.printer)
        config = PrinterConfig.from_mapping(merged)
        self.printer_missing = "transport" not in merged and self.printer_device is None
        if self.printer_missing:
            log.warning(
                "no printer configured (--printer-url, or [printer] transport in the branch "
                "file): tickets are issued but not printed; the screen says to remember the number"
            )
        return TicketPrinter(config, device=self.printer_device, on_health=self._report_printer)

    def _report_printer(self, status: str, detail: dict[str, Any]) -> None:
        """The printer's health to the engine (from the printing thread)."""
        self.health_client.report_health(status, detail)

    async def _print(self, ticket: Mapping[str, Any], reprint: bool = False) -> None:
        ticket_id, number = str(ticket.get("id", "")), str(ticket.get("number", ""))
        async with self.print_lock:
            try:
                if self.printer is None:
                    raise PrinterError("the printer is not configured yet")
                if self.printer_missing:
                    raise NoPrinter("no printer configured")
                job = TicketPrint.from_engine(ticket, self.branch, self.engine_url)
                await asyncio.to_thread(self.printer.print_ticket, job)
            except Exception as exc:  # a bug in printing must not stop the kiosk issuing
                fault = exc if isinstance(exc, PrinterError) else PrinterError(str(exc))
                if isinstance(exc, PrinterError):
                    log.error("ticket %s not printed: %s", number, exc)
                else:
                    log.exception("ticket %s not printed", number)
                now, hold = self.clock(), not isinstance(exc, NoPrinter)
                self.dispatch(
                    PrintFailed(ticket_id, fault.code, fault.message_zh, now, reprint, hold)
                )
                return
        self.printed[number] = time.perf_counter()
        self.dispatch(Printed(ticket_id, self.clock(), reprint))

    async def _report_print(self, effect: ReportPrint) -> None:
        """Tell the engine how a print ended, until it answers: a failure not heard of would
        leave a number in the line that nobody holds."""
        outcome = "printed" if effect.failed is None else "print-failed"
        body = {} if effect.failed is None else {"code": effect.failed}

        async def send() -> None:
            try:
                await self.client.request("POST", f"/tickets/{effect.ticket_id}/{outcome}", body)
            except EngineError as exc:
                if exc.status == 0 or exc.status >= 500:
                    raise
                log.error("the engine refused %s of %s: %s", outcome, effect.ticket_id, exc)

        await keep_trying(send, (EngineError,), outcome, max_delay=10.0, stopping=self.stopping)

    async def watch_printer(self) -> None:
        """After a fault, ask the printer now and then; clear the banner when it is back."""
        while not self.stopping.is_set():
            await asyncio.sleep(PRINTER_CHECK_S)
            printer = self.printer
            if not self.state.printer_fault or printer is None or self.printer_missing:
                continue
            if self.print_lock.locked():
                continue
            try:
                status = await asyncio.to_thread(printer.status)
            except PrinterError:
                continue
            if status.readable and status.health != "error":
                self.dispatch(Printed("", self.clock()))

    # Operator
    async def _ask_for_help(self) -> None:
        try:
            await self.client.request("POST", "/help")
            ok = True
        except (EngineError, OSError) as exc:
            log.error("help request not delivered: %s", exc)
            ok = False
        self.dispatch(HelpAsked(ok, self.clock()))

    async def _check_pin(self, pin: str) -> None:
        ok = await asyncio.to_thread(verify_pin, pin, self.settings.pin_hash)
        self.dispatch(PinChecked(ok, self.clock()))

    def _save(self, local: LocalSettings) -> None:
        engine_changed = local.engine != self.engine_url
        self.settings = self.settings.with_local(local)
        try:
            self.settings.save()
        except OSError as exc:
            log.error("settings not saved: %s", exc)
        if self.branch:
            self.printer = self._make_printer()
        if engine_changed:
            log.info("engine changed to %s", local.engine)
            self.stream.stop()
            self._link(local.engine)
            self.spawn(self.check_token())
            self.spawn(self.follow_events())
            self.spawn(self.load_branch())

    # The screen
    def handle_input(self) -> None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                self.stopping.set()
            elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
                self.tap_at(*event.pos)
            elif event.type == pygame.KEYDOWN:
                key = key_name(event)
                if key is not None:
                    self.dispatch(Key(key, self.clock()))

    def tap_at(self, x: int, y: int) -> None:
        target = hit(self.state, *self.surface.get_size(), x, y)
        if target is None:
            return
        if target.startswith("service:"):
            self.tapped_at = time.perf_counter()
        self.dispatch(Tap(target, self.clock()))

    def draw(self) -> None:
        self.painter.draw(self.state)
        pygame.display.flip()
        screen = self.state.screen
        if isinstance(screen, Showing):
            number = str(screen.ticket.get("number", ""))
            if number not in self.shown:
                self.shown[number] = time.perf_counter()
                if self.tapped_at is not None:
                    self.latency.append((number, self.shown[number] - self.tapped_at))
                    self.tapped_at = None

    async def show_frames(self) -> None:
        last_tick = 0.0
        self.dirty.set()
        while not self.stopping.is_set():
            self.handle_input()
            now = time.monotonic()
            if now - last_tick >= TICK_S:
                last_tick = now
                self.dispatch(Tick(self.clock()))
            if self.dirty.is_set():
                self.dirty.clear()
                self.draw()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dirty.wait(), 1 / self.options.fps)

    def save_screenshot(self, path: Path | None = None) -> None:
        target = path or self.options.screenshot
        if target is None:
            return
        self.painter.draw(self.state)
        pygame.image.save(self.surface, str(target))
        log.info("screenshot saved to %s", target)

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
            loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
            loop.add_signal_handler(signal.SIGUSR1, self.save_screenshot)
        for coro in (self.check_token(), self.follow_events(), self.load_branch(),
                     self.show_frames(), self.watch_printer()):  # fmt: skip
            self.spawn(coro)
        try:
            await until_stopped(self.stopping, self.options.exit_after)
        finally:
            self.save_screenshot()
            self.stopping.set()
            self.stream.stop()
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.client.aclose()
            self.health_client.close()
        return 0


def key_name(event: Any) -> str | None:
    """A pygame key press as the state's ``Key``: a character, or a named key."""
    mods = event.mod
    if event.key == pygame.K_F12 or (
        event.key == pygame.K_s and mods & pygame.KMOD_CTRL and mods & pygame.KMOD_ALT
    ):
        return "operator"
    named = {pygame.K_RETURN: "enter", pygame.K_KP_ENTER: "enter",
             pygame.K_BACKSPACE: "backspace", pygame.K_ESCAPE: "escape"}  # fmt: skip
    if event.key in named:
        return named[event.key]
    text = getattr(event, "unicode", "")
    return text if len(text) == 1 and text.isprintable() else None


parse_size = size_option(480, 480)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="branchq kiosk", description="The ticket kiosk.")
    p.add_argument("--engine",
                   help=f"engine URL (else the saved one, else {DEFAULT_ENGINE})")  # fmt: skip
    p.add_argument("--token", default=os.environ.get("BRANCHQ_TOKEN"),
                   help="the kiosk's device token (default: $BRANCHQ_TOKEN)")  # fmt: skip
    p.add_argument("--printer-url", type=parse_printer_url,
                   help="usblp:///dev/usb/lp0 (read back: status), tcp://HOST:9100, "
                        "serial:///dev/ttyS0, usb://VID:PID, file:///PATH (write only), "
                        "win32:QUEUE, cups://HOST/QUEUE, lp:QUEUE or dummy: "
                        "(over the branch's [printer])")  # fmt: skip
    p.add_argument("--settings", type=Path, default=None,
                   help="settings file (default: ~/.config/branchq/kiosk.json)")  # fmt: skip
    p.add_argument("--set-pin", action="store_true", help="set the operator PIN and quit")
    p.add_argument("--fullscreen", action="store_true", help="take the whole screen")
    p.add_argument("--size", type=parse_size, help="window size WxH (default 1080x1920)")
    p.add_argument("--screenshot", type=Path, help="save the screen to this PNG on exit")
    p.add_argument("--exit-after", type=float, help="quit after this many seconds")
    p.add_argument("--font", help="a font file that draws Chinese (else found on the system)")
    p.add_argument("--no-voice", action="store_true", help="care mode without spoken guidance")
    p.add_argument(
        "--no-neural-voice",
        action="store_true",
        help="guide with eSpeak NG only (a kiosk PC without memory for the model)",
    )
    p.add_argument("--log-level", default="INFO")
    return p


def set_pin(settings: SettingsFile) -> int:
    pin = getpass.getpass("operator PIN (4 to 12 digits): ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        print("a PIN is 4 to 12 digits", file=sys.stderr)
        return 2
    if getpass.getpass("again: ") != pin:
        print("the two PINs differ", file=sys.stderr)
        return 2
    settings = SettingsFile(settings.path, settings.local, hash_pin(pin))
    settings.save()
    print(f"PIN hash saved to {settings.path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        settings = SettingsFile.load(args.settings or default_path())
    except ValueError as exc:
        log.critical("%s", exc)
        return 2
    if args.set_pin:
        return set_pin(settings)
    engine = args.engine or settings.local.engine or DEFAULT_ENGINE
    if not args.token:
        print("branchq kiosk: --token is required (the kiosk's device token)", file=sys.stderr)
        return 2
    options = Options(
        engine=engine, token=args.token, settings=settings.path, printer=args.printer_url or {},
        fullscreen=args.fullscreen, size=args.size, screenshot=args.screenshot,
        exit_after=args.exit_after, font=args.font, voice=not args.no_voice,
        neural=not args.no_neural_voice,
    )  # fmt: skip
    font = cjk_font(options.font)
    if font is None:
        return 2
    surface = open_screen("BranchQ kiosk", options.fullscreen, options.size, (1080, 1920))
    speaker: Speaker = open_speaker() if options.voice else LogSpeaker()
    return run_program(lambda: Kiosk(options, surface, font, settings, speaker=speaker).run())


if __name__ == "__main__":
    raise SystemExit(main())
