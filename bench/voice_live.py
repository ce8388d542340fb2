"""The voice benchmark's live parts: a real engine, the real display wiring, a real process.

``press_to_sound``: a teller's call-next over HTTP → the display's first sound (the chime) and
its speech, with the display running in this process on a speaker that records what it is
given. ``display_rss``: the peak memory of a ``branchq display`` process that has loaded its
voice and announced two calls.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pygame

from display.announce import spoken_text
from display.app import HallDisplay, Options
from display.settings import DEFAULT_TEMPLATE_ZH
from drivers.screen.fonts import find_cjk_font
from drivers.voice import kokoro
from drivers.voice.pack import VoicePack, default_styles, extract_style
from drivers.voice.pcm import Pcm
from queue_core.client import EngineClient
from tests.support.engine import DEMO_CONFIG, DISPLAY_TOKEN, LOBBY, RunningEngine

REPO = Path(__file__).resolve().parents[1]


class RecordingSpeaker:
    """Plays nothing; notes when each sound would start, and is busy for its length."""

    name = "log"

    def __init__(self) -> None:
        self.heard: list[tuple[float, str]] = []
        self._until = 0.0

    def play(self, pcm: Pcm, text: str) -> None:
        now = time.perf_counter()
        self.heard.append((now, text))
        self._until = now + pcm.seconds

    def busy(self) -> bool:
        return time.perf_counter() < self._until

    def stop(self) -> None:
        self._until = time.perf_counter()


def new_pack(root: Path) -> Path:
    pack = VoicePack(root)
    style = extract_style(default_styles(), "zf_xiaoyi", root / "styles")
    pack.create("zf_xiaoyi", kokoro.check_style(style, "zf_xiaoyi"), 0.9)
    return root


def quiet_config(tmp: Path) -> Path:
    """The demo branch said once, Chinese only: what is measured is the start of speech."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    quick = re.sub(r"\[voice\][^\[]*", "[voice]\nrepeat = 1\nenglish = false\n\n", text, count=1)
    config = tmp / "branch.toml"
    config.write_text(quick, encoding="utf-8")
    return config


def press_to_sound(neural: bool, ready: bool, calls: int) -> tuple[list[float], list[float]]:
    """(press → first sound, press → speech) seconds for ``calls`` calls at counter 3."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = RunningEngine(workdir=root, config=quiet_config(root)).start()
        try:
            pack = new_pack(root / "pack") if neural else root / "no-pack"
            return asyncio.run(_press(engine, pack, ready, calls))
        finally:
            engine.stop()


async def _press(
    engine: RunningEngine, pack: Path, ready: bool, calls: int
) -> tuple[list[float], list[float]]:
    surface = pygame.display.set_mode((1280, 720))
    speaker = RecordingSpeaker()
    display = HallDisplay(Options(engine=engine.url, token=DISPLAY_TOKEN), surface,
                          find_cjk_font(), speaker, cache=pack)  # fmt: skip
    if not ready:
        display._prepare_calls_of = lambda ticket: None  # type: ignore[method-assign]
    lobby = EngineClient(engine.url)
    lobby.login(*LOBBY)
    teller = EngineClient(engine.url, engine.teller_token(3))
    teller.counter_action(3, "open")
    pressed: dict[str, float] = {}
    loop = asyncio.get_running_loop()

    def work() -> None:
        try:
            deadline = time.monotonic() + 120
            while display.voice is None or display.voice.source == "none":
                if time.monotonic() > deadline:
                    return
                time.sleep(0.2)
            time.sleep(3.0)  # the voice is loaded at start
            for i in range(calls):
                ticket = lobby.issue("A")
                if ready and display.voice is not None:
                    text = spoken_text(DEFAULT_TEMPLATE_ZH, "zh", ticket["number"], 3)
                    until = time.monotonic() + 120
                    while not display.voice.ready("zh", text) and time.monotonic() < until:
                        time.sleep(0.1)
                if i:
                    teller.counter_action(3, "finish")
                pressed[ticket["number"]] = time.perf_counter()
                teller.call_next(3)
                until = time.monotonic() + 300  # a sentence not ready is rendered meanwhile
                while time.monotonic() < until and not any(
                    ticket["number"] in text for _, text in speaker.heard
                ):
                    time.sleep(0.1)
                while speaker.busy() or len(display.queue):
                    time.sleep(0.1)
                time.sleep(4.0)  # a quiet moment: the next call opens with its chime
        finally:
            loop.call_soon_threadsafe(display.stopping.set)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    await display.run()
    worker.join()
    first, speech = [], []
    for number, at in pressed.items():
        after = [(t, text) for t, text in speaker.heard if t >= at]
        sounds = [t for t, _ in after]
        said = [t for t, text in after if number in text]
        if sounds and said:
            first.append(sounds[0] - at)
            speech.append(said[0] - at)
    return first, speech


def display_rss(neural: bool) -> int:
    """Peak RSS (KiB) of a display process with its voice loaded, after two calls."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        engine = RunningEngine(workdir=root, config=quiet_config(root)).start()
        try:
            pack = new_pack(root / "pack") if neural else root / "no-pack"
            env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
                   "BRANCHQ_VOICE_PACK": str(pack), "PYTHONPATH": str(REPO)}  # fmt: skip
            proc = subprocess.Popen(
                [sys.executable, "-m", "display", "--engine", engine.url, "--token",
                 DISPLAY_TOKEN, "--size", "1920x1080"],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            lines: list[str] = []
            threading.Thread(target=lambda: lines.extend(proc.stdout or []), daemon=True).start()
            lobby = EngineClient(engine.url)
            lobby.login(*LOBBY)
            teller = EngineClient(engine.url, engine.teller_token(3))
            teller.counter_action(3, "open")
            deadline = time.monotonic() + 120
            while not any("voice:" in line for line in lines) and time.monotonic() < deadline:
                time.sleep(0.2)
            for i in range(2):
                lobby.issue("A")
                if i:
                    teller.counter_action(3, "finish")
                teller.call_next(3)
                until = time.monotonic() + 90
                while sum("announce" in line for line in lines) <= i and time.monotonic() < until:
                    time.sleep(0.2)
            status = Path(f"/proc/{proc.pid}/status").read_text()
            proc.terminate()
            proc.wait(timeout=30)
            peak = re.search(r"VmHWM:\s+(\d+) kB", status)
            return int(peak.group(1)) if peak else 0
        finally:
            engine.stop()
