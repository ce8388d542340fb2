"""Hall display benchmark: frame times in a busy hall, and how fast a call reaches the screen.

    python bench/display.py [--seconds 60] [--sizes 1920x1080,3840x2160] [--calls 20]

1. Frames: a simulated minute-long busy hall (20 calls a minute, tickets issued as often,
   the marquee scrolling, counters pausing) drawn at 30 frames a second with the real state,
   screen model and pygame drawing, headless (SDL dummy driver). Prints median, p99 and max
   frame time per screen size.
2. Latency: a real engine (subprocess) and the real display wiring in this process; a teller
   calls tickets over HTTP; measured are the call event → frame time (event received →
   frame flipped) and the call-next → frame time (teller's request sent → first frame
   showing that number).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pygame

from display.app import HallDisplay, Options
from display.screen import ScreenModel, screen
from display.settings import BranchSettings, DisplaySettings
from display.state import HallState, apply
from display.view import Painter
from drivers.screen.fonts import find_cjk_font
from drivers.voice import LogSpeaker
from queue_core import wire
from queue_core.client import EngineClient
from queue_core.wire import News
from tests.support import wire as made
from tests.support.engine import DISPLAY_TOKEN, LOBBY, RunningEngine

FPS = 30
NOTICE = "今日为养老金发放日，请老年客户到8号爱心窗口办理。本网点营业时间9:00-17:00。"
SERVICES = [
    ("A", "个人现金业务", "Personal cash"),
    ("B", "个人非现金业务", "Personal non-cash"),
    ("C", "对公业务", "Corporate"),
    ("D", "开户与理财", "Accounts & wealth"),
    ("V", "贵宾业务", "VIP banking"),
]


def iso(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat()


def busy_hall(start: float, seconds: float, calls_per_minute: float) -> list[News]:
    """A timeline of engine events: issues and calls at the given rate, pauses, a notice."""
    services: list[wire.ServiceBody] = [
        {"code": c, "name": n, "name_en": e, "waiting": 0, "estimated_wait_s": None, "open": True}
        for c, n, e in SERVICES
    ]
    notice: wire.AnnouncementBody = {"id": 1, "text": NOTICE, "until": None, "active": True}
    events: list[News] = [
        made.snapshot(
            1,
            start,
            counters=[made.counter_body(n) for n in range(1, 9)],
            services=services,
            announcements=[notice],
        )
    ]
    issued = {c: 0 for c, _, _ in SERVICES}
    called = {c: 0 for c, _, _ in SERVICES}
    step = 60.0 / calls_per_minute
    seq, t, i = 1, start, 0
    while t < start + seconds:
        i += 1
        code = SERVICES[i % len(SERVICES)][0]
        issued[code] += 1
        called[code] = min(called[code] + 1, issued[code])
        waiting = {
            c: [f"{c}{n:03d}" for n in range(called[c] + 1, issued[c] + 3)] for c, _, _ in SERVICES
        }
        q = made.queue(**waiting)
        counter = 1 + i % 8
        seq += 1
        fresh = made.ticket(f"{code}{issued[code] + 2:03d}")
        events.append(made.ticket_event(seq, "issued", fresh, t, q))
        seq += 1
        body = made.ticket(f"{code}{called[code]:03d}", counter=counter, green=i % 7 == 0)
        events.append(made.ticket_event(seq, "called", body, t + step / 2, q))
        if i % 5 == 0:
            seq += 1
            state = "paused" if i % 10 == 0 else "open"
            events.append(made.counter_event(seq, made.counter_body(4, state), t))
        t += step
    return events


def frames(size: tuple[int, int], seconds: float, calls_per_minute: float) -> list[float]:
    """Frame times (s) drawing a simulated busy hall at ``FPS``."""
    surface = pygame.display.set_mode(size)
    painter = Painter(surface, find_cjk_font())
    settings = BranchSettings(display=DisplaySettings(flash_s=6))
    start = 1_790_000_000.0
    timeline = busy_hall(start, seconds, calls_per_minute)
    state, nxt, times = HallState(), 0, []
    for frame in range(int(seconds * FPS)):
        now = start + frame / FPS
        t0 = time.perf_counter()
        while nxt < len(timeline) and (nxt == 0 or _at(timeline[nxt]) <= now):
            state = apply(state, timeline[nxt], now)
            nxt += 1
        painter.draw(screen(state, settings, now, True), now)
        pygame.display.flip()
        times.append(time.perf_counter() - t0)
    return times


def _at(news: News) -> float:
    from display.state import parse_time

    return parse_time(news.at) or 0.0


class Probe(HallDisplay):
    """The real display, noting when each number is first drawn as the current call."""

    first_drawn: dict[str, float]

    def draw(self) -> ScreenModel:
        model = super().draw()
        if model.current is not None:
            self.first_drawn.setdefault(model.current.number, time.perf_counter())
        return model


def latency(calls: int) -> tuple[list[float], list[float]]:
    """Event→frame and HTTP call→frame times (s) against a real engine."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = RunningEngine(workdir=Path(tmp)).start()
        try:
            return asyncio.run(_latency(engine, calls))
        finally:
            engine.stop()


async def _latency(engine: RunningEngine, calls: int) -> tuple[list[float], list[float]]:
    surface = pygame.display.set_mode((1920, 1080))
    options = Options(engine=engine.url, token=DISPLAY_TOKEN, voice=False)
    probe = Probe(options, surface, find_cjk_font(), LogSpeaker())
    probe.first_drawn = {}
    answered: dict[str, float] = {}
    lobby = EngineClient(engine.url)  # the kiosk is rate-limited, the lobby manager is not
    lobby.login(*LOBBY)
    teller = EngineClient(engine.url, engine.teller_token(3))
    teller.counter_action(3, "open")

    def work() -> None:
        try:
            time.sleep(1.0)  # let the display connect and take its snapshot
            for _ in range(calls):
                lobby.issue("A")
                if answered:
                    teller.counter_action(3, "finish")
                sent = time.perf_counter()
                ticket = teller.call_next(3)
                assert ticket is not None
                answered[ticket["number"]] = sent
                time.sleep(0.3)
            time.sleep(0.5)
        finally:
            loop.call_soon_threadsafe(probe.stopping.set)

    loop = asyncio.get_running_loop()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    await probe.run()
    worker.join()
    call_to_frame = [
        probe.first_drawn[n] - t for n, t in answered.items() if n in probe.first_drawn
    ]
    return list(probe.call_to_frame_s), call_to_frame


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sizes", default="1920x1080,3840x2160")
    parser.add_argument("--calls-per-minute", type=float, default=20.0)
    parser.add_argument("--calls", type=int, default=20, help="calls in the latency run")
    args = parser.parse_args()
    pygame.display.init()
    pygame.font.init()
    print(
        f"Frames: busy hall, {args.calls_per_minute:g} calls/min, marquee scrolling, "
        f"{args.seconds:g} s at {FPS} fps"
    )
    print(f"{'size':>10} {'frames':>7} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    for text in args.sizes.split(","):
        w, h = (int(v) for v in text.split("x"))
        times = frames((w, h), args.seconds, args.calls_per_minute)
        print(
            f"{text:>10} {len(times):>7} {statistics.median(times) * 1000:>10.2f} "
            f"{ms(times, 0.99):>8.2f} {max(times) * 1000:>8.2f}"
        )
    event_frame, call_frame = latency(args.calls)
    print(f"\nLatency against a real engine, 1920x1080, {args.calls} calls")
    print(f"{'measure':>24} {'n':>4} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    for name, values in (
        ("call event -> frame", event_frame),
        ("call-next sent -> frame", call_frame),
    ):
        print(
            f"{name:>24} {len(values):>4} {statistics.median(values) * 1000:>10.2f} "
            f"{ms(values, 0.99):>8.2f} {max(values) * 1000:>8.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
