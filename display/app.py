"""``branchq display``: wire the engine's event stream to the screen and the voice.

One asyncio loop in the main thread runs four tasks: following ``/events`` (snapshot or
replay, then live events, reconnecting with the last ``seq``), drawing frames (woken at once
by a new event, else at the frame rate while something moves), speaking the queued calls
one at a time, and reporting the display's health to the engine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pygame

from display.announce import SETTLES_CALL, AnnouncementQueue, Utterance, spoken_text, text_of
from display.screen import ScreenModel, screen
from display.settings import BranchSettings, branch_settings
from display.sound import opening, saying
from display.state import Call, HallState, apply, call_of
from display.view import Painter
from drivers.screen.program import (
    cjk_font,
    open_screen,
    run_program,
    size_option,
    until_stopped,
)
from drivers.voice import LogSpeaker, Pcm, Speaker, Voice, VoiceOptions, open_speaker
from queue_core import DEFAULT_ENGINE
from queue_core.client import AsyncEngineClient, EngineError, EventStream, configure_logging
from queue_core.retry import keep_trying
from queue_core.wire import News, TicketBody, TicketNews

log = logging.getLogger("display")

HEALTH_EVERY_S = 30.0
#: How long a saying lasts, until it is rendered and known (a Chinese call: about 3 s).
SAYING_GUESS_S = 3.5


@dataclass(frozen=True, slots=True)
class Options:
    engine: str
    token: str
    fullscreen: bool = False
    size: tuple[int, int] | None = None
    screenshot: Path | None = None
    exit_after: float | None = None
    fps: float = 30.0
    voice: bool = True
    font: str | None = None


class HallDisplay:
    """The running display: its state, screen, voice queue and link to the engine."""

    def __init__(
        self,
        options: Options,
        surface: pygame.Surface,
        font: Path,
        speaker: Speaker,
        clock: Callable[[], float] = time.time,
        cache: Path | None = None,
    ) -> None:
        self.options = options
        self.surface = surface
        self.painter = Painter(surface, font)
        self.font = font
        self.speaker = speaker
        self.clock = clock
        self.cache = cache
        self.settings = BranchSettings()
        self.state = HallState()
        self.queue = AnnouncementQueue(self.settings.voice.repeat, self.settings.voice.max_age_s)
        self.voice: Voice | None = None
        self.serves: dict[int, tuple[str, ...]] = {}  # counter -> services, from GET /branch
        self.announcing: Call | None = None  # the call being spoken: it flashes meanwhile
        self.first_sound_s: deque[tuple[float, bool]] = deque(maxlen=1000)  # (s, was ready)
        self._prepare: asyncio.Queue[str] = asyncio.Queue(maxsize=100)
        self.client = AsyncEngineClient(options.engine, options.token)
        self.stream = EventStream(options.engine, options.token, on_state=self._link_changed)
        self.dirty = asyncio.Event()
        self.link_changed = asyncio.Event()
        self.stopping = asyncio.Event()
        self.auth_error = ""
        self.reconnects = 0
        self.offline_since: float | None = self.clock()
        self.spoken: deque[str] = deque(maxlen=50)  # what the hall heard, newest last
        self.call_to_frame_s: deque[float] = deque(maxlen=1000)
        self._event_waiting_since: float | None = None
        self.frames = 0
        self.announced: dict[str, Any] | None = None

    # Events in
    def on_event(self, news: News) -> None:
        """Apply one engine event: new state, and a call to say when it is one."""
        now = self.clock()
        fresh = self.settings.display.fresh_s
        self.state = apply(self.state, news, now, fresh)
        call = call_of(news, now, fresh)
        if call is not None and self.options.voice and self.settings.voice.enabled:
            self.queue.offer(call, now)
        elif isinstance(news, TicketNews) and f"ticket.{news.kind}" in SETTLES_CALL:
            self.queue.settle(news.ticket["id"])
            if self.announcing is not None and self.announcing.ticket_id == news.ticket["id"]:
                self.speaker.stop()  # the customer is at the counter: no need to go on
        elif isinstance(news, TicketNews) and news.kind == "issued":
            self._prepare_calls_of(news.ticket)
        if call is not None and self._event_waiting_since is None:
            self._event_waiting_since = time.perf_counter()  # measured: call event -> frame
        self.dirty.set()

    def _link_changed(self, connected: bool) -> None:
        now = self.clock()
        if self.stopping.is_set():
            return
        if connected:
            if self.offline_since is not None:
                log.info("event link up (was down %.1f s)", now - self.offline_since)
            self.offline_since = None
        else:
            self.offline_since = now
            self.reconnects += 1
            log.warning("event link lost; reconnecting from seq %s", self.stream.last_seq)
        self.link_changed.set()
        self.dirty.set()

    def configure(self, branch: dict[str, Any]) -> None:
        """Take the branch's settings from ``GET /branch``."""
        self.settings = branch_settings(branch)
        voice = self.settings.voice
        self.queue.repeat, self.queue.max_age_s = voice.repeat, voice.max_age_s
        self.queue.repeat_busy, self.queue.max_duty = voice.repeat_busy, voice.max_duty
        self.queue.duty.window_s = voice.duty_window_s
        self.queue.english_busy = voice.english_busy
        self.serves = {
            int(c["number"]): tuple(str(s) for s in c.get("services") or ())
            for c in branch.get("counters") or []
            if "number" in c
        }
        if self.options.voice and voice.enabled:
            self.voice = Voice(
                VoiceOptions(
                    pack_dir=Path(voice.pack_dir) if voice.pack_dir else self.cache,
                    recordings=Path(voice.segments_dir) if voice.segments_dir else None,
                    role="display",
                    espeak_wpm=voice.espeak_wpm,
                )
            )
        self.dirty.set()

    # Sentences rendered before they are needed
    def _prepare_calls_of(self, ticket: TicketBody) -> None:
        """A new ticket: render its call for every open counter that serves its service."""
        number, service = ticket["number"], ticket["service"]
        if self.voice is None or not number:
            return
        open_counters = {c.number for c in self.state.counters if c.state == "open"}
        template = self.settings.voice.template_zh
        for counter, services in self.serves.items():
            if service in services and (counter in open_counters or not open_counters):
                text = spoken_text(template, "zh", number, counter)
                if self._prepare.full():
                    self._prepare.get_nowait()  # the oldest ticket is the least likely next
                self._prepare.put_nowait(text)

    async def prepare_sentences(self) -> None:
        """Render announced-to-be sentences one at a time, in the background, lowest priority."""
        while not self.stopping.is_set():
            text = await self._prepare.get()
            voice = self.voice
            if voice is not None and not voice.ready("zh", text):
                await asyncio.to_thread(voice.sentence, "zh", text)

    async def follow_events(self) -> None:
        while not self.stopping.is_set():
            try:
                async for event in self.stream:
                    self.on_event(event)
            except EngineError as exc:  # the token was refused: say so on screen, retry slowly
                self.auth_error = exc.message
                log.error("event stream refused: %s", exc)
                self.dirty.set()
                await asyncio.sleep(30)

    async def load_branch(self) -> None:
        async def load() -> None:
            branch = await self.client.request("GET", "/branch")
            self.configure(branch)
            if self.voice is not None:
                source = await asyncio.to_thread(self.voice.load)
                log.info("voice: %s", source)
                if self.voice.neural_state() is not None:
                    log.warning("voice: %s", self.voice.neural_state())

        await keep_trying(
            load, (EngineError,), "branch settings", max_delay=30.0, stopping=self.stopping
        )

    # Screen out
    def model(self) -> ScreenModel:
        announcing = self.announcing.ticket_id if self.announcing is not None else None
        return screen(self.state, self.settings, self.clock(), self.stream.connected, announcing)

    def draw(self) -> ScreenModel:
        model = self.model()
        self.painter.draw(model, self.clock())
        pygame.display.flip()
        self.frames += 1
        if self._event_waiting_since is not None:
            self.call_to_frame_s.append(time.perf_counter() - self._event_waiting_since)
            self._event_waiting_since = None
        return model

    def handle_input(self) -> None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (
                event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_q)
            ):
                self.stopping.set()
            elif event.type == pygame.VIDEORESIZE:
                self.painter.resize(pygame.display.get_surface())

    async def show_frames(self) -> None:
        while not self.stopping.is_set():
            self.dirty.clear()
            self.handle_input()
            model = self.draw()
            moving = bool(model.marquee) or model.flash_on is not None
            now = self.clock()
            wait = 1 / self.options.fps if moving else 1.0 - (now % 1.0) + 0.01
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dirty.wait(), wait)

    # Voice out
    async def speak(self) -> None:
        while not self.stopping.is_set():
            if not self.speaker.busy():
                utterance = self.queue.take(self.clock())
                if utterance is not None:
                    started = self.clock()
                    try:
                        await self._say(utterance)
                    except Exception:  # one bad call must not silence the hall all day
                        log.exception("could not announce %s", utterance.call.number)
                    finally:
                        self.queue.duty.spoke(started, self.clock())
                        self._announcing(None)
            await asyncio.sleep(0.05)

    async def _until_quiet(self) -> None:
        while self.speaker.busy():
            await asyncio.sleep(0.02)

    def _announcing(self, call: Call | None, seconds: float = 0.0) -> None:
        """The call now spoken flashes on the screen and, through the engine, on its sign."""
        self.announcing = call
        self.dirty.set()
        if call is not None:
            self.announced = {"number": call.number, "counter": call.counter,
                              "seconds": round(seconds, 1)}  # fmt: skip
        else:
            self.announced = None
        self.link_changed.set()  # report it now: the signs agent flashes the counter's sign

    async def _say(self, utterance: Utterance) -> None:
        call, settings, voice = utterance.call, self.settings.voice, self.voice
        text = text_of(call, settings)
        zh = spoken_text(settings.template_zh, "zh", call.number, call.counter)
        ready = voice is None or voice.ready("zh", zh)
        rendering = asyncio.create_task(
            asyncio.to_thread(saying, call, settings, voice, None if utterance.english else ["zh"])
        ) if voice is not None else None  # fmt: skip
        # The chime sounds at once, and covers the rendering of a sentence not ready yet.
        start = opening(settings) if utterance.chime or not ready else Pcm(b"")
        if start.data:
            self.speaker.play(start, "")
            self._first_sound(call, ready)
            self._announcing(call, start.seconds + utterance.repeats * SAYING_GUESS_S)
        pcm = await rendering if rendering is not None else start
        if not start.data:
            self._first_sound(call, ready)
        self._announcing(call, start.seconds + utterance.repeats * (pcm.seconds + settings.gap_s))
        await self._until_quiet()
        said = 0
        while rendering is not None and pcm.data and not self.queue.settled(call):
            self.speaker.play(pcm, text)
            said += 1
            await self._until_quiet()
            if not self.queue.say_again(utterance, said, self.clock()):
                break
            await asyncio.sleep(settings.gap_s)
        self.spoken.append(f"{call.number}@{call.counter}")

    def _first_sound(self, call: Call, ready: bool) -> None:
        self.first_sound_s.append((self.clock() - call.seen_at, ready))

    # Health out
    def health(self) -> tuple[str, dict[str, Any]]:
        source = self.voice.source if self.voice is not None else "off"
        last = self.state.last_event_seen_at
        detail: dict[str, Any] = {
            "connected": self.stream.connected,
            "last_seq": self.stream.last_seq,
            "last_event_at": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
            "reconnects": self.reconnects,
            "screen": "x".join(map(str, self.surface.get_size())),
            "font": self.font.name,
            "voice": source,
            "speaker": self.speaker.name,
            "calls_to_announce": len(self.queue),
            "announcing": self.announced,
        }
        degraded = source in ("none",) or isinstance(self.speaker, LogSpeaker)
        return ("warning" if degraded and self.options.voice else "ok"), detail

    async def report_health(self) -> None:
        while not self.stopping.is_set():
            if self.stream.connected:
                status, detail = self.health()
                try:
                    await self.client.report_health(status, detail)
                except EngineError as exc:
                    log.info("health report not delivered: %s", exc)
            self.link_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.link_changed.wait(), HEALTH_EVERY_S)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.critical("display task failed; quitting", exc_info=task.exception())
            self.stopping.set()  # let the service manager restart a whole display

    def save_screenshot(self) -> None:
        """Save what the screen shows now (at exit, and on SIGUSR1 while running)."""
        if self.options.screenshot is None:
            return
        self.painter.draw(self.model(), self.clock())
        pygame.image.save(self.surface, str(self.options.screenshot))
        log.info("screenshot saved to %s", self.options.screenshot)

    def _on_signals(self) -> None:
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, AttributeError):  # not on Windows
            loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
            loop.add_signal_handler(signal.SIGUSR1, self.save_screenshot)

    async def run(self) -> int:
        self._on_signals()
        tasks = [
            asyncio.create_task(coro)
            for coro in (self.follow_events(), self.load_branch(), self.show_frames(),
                         self.speak(), self.prepare_sentences(), self.report_health())
        ]  # fmt: skip
        for task in tasks:
            task.add_done_callback(self._task_ended)
        try:
            await until_stopped(self.stopping, self.options.exit_after)
        finally:
            self.save_screenshot()  # what the hall saw, before the link closes
            self.stopping.set()
            self.stream.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.client.aclose()
        return 0


parse_size = size_option(320, 240)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="branchq display", description="The hall display.")
    p.add_argument("--engine", default=DEFAULT_ENGINE,
                   help=f"engine base URL (default {DEFAULT_ENGINE})")  # fmt: skip
    p.add_argument("--token", default=os.environ.get("BRANCHQ_TOKEN"),
                   required="BRANCHQ_TOKEN" not in os.environ,
                   help="the display's device token (default: $BRANCHQ_TOKEN)")  # fmt: skip
    p.add_argument("--fullscreen", action="store_true", help="take the whole screen")
    p.add_argument("--size", type=parse_size, help="window size WxH (default 1920x1080)")
    p.add_argument("--screenshot", type=Path,
                   help="save the screen to this PNG on exit (and on SIGUSR1)")  # fmt: skip
    p.add_argument("--exit-after", type=float, help="quit after this many seconds")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate while things move")
    p.add_argument("--no-voice", action="store_true", help="show calls without speaking them")
    p.add_argument("--font", help="a font file that draws Chinese (else found on the system)")
    p.add_argument("--log-level", default="INFO")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging(args.log_level)
    options = Options(
        engine=args.engine, token=args.token, fullscreen=args.fullscreen, size=args.size,
        screenshot=args.screenshot, exit_after=args.exit_after, fps=max(1.0, args.fps),
        voice=not args.no_voice, font=args.font,
    )  # fmt: skip
    font = cjk_font(options.font)
    if font is None:
        return 2
    surface = open_screen("BranchQ", options.fullscreen, options.size, (1920, 1080))
    speaker: Speaker = open_speaker() if options.voice else LogSpeaker()
    log.info("display %s on %s, font %s, sound %s", "x".join(map(str, surface.get_size())),
             options.engine, font.name, speaker.name)  # fmt: skip
    return run_program(lambda: HallDisplay(options, surface, font, speaker).run())


if __name__ == "__main__":
    raise SystemExit(main())
