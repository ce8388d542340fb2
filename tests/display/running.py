"""Run ``branchq display`` as a subprocess against a real engine, and read its screen."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pygame

from tests.support.engine import DISPLAY_TOKEN, RunningEngine

REPO = Path(__file__).resolve().parents[2]


@dataclass
class RunningDisplay:
    """A hall display process; its log lines are collected as they come."""

    engine: RunningEngine
    workdir: Path
    size: tuple[int, int] = (1920, 1080)
    exit_after: float | None = None
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[str] | None = None
    lines: list[str] = field(default_factory=list)
    _fresh: queue.Queue[str] = field(default_factory=queue.Queue)

    @property
    def screenshot(self) -> Path:
        return self.workdir / "screen.png"

    def start(self) -> RunningDisplay:
        cmd = [sys.executable, "-m", "display", "--engine", self.engine.url,
               "--token", DISPLAY_TOKEN, "--size", "x".join(map(str, self.size)),
               "--screenshot", str(self.screenshot), *self.extra]  # fmt: skip
        if self.exit_after is not None:
            cmd += ["--exit-after", str(self.exit_after)]
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy",
               "XDG_CACHE_HOME": str(self.workdir / "cache"), "PYTHONPATH": str(REPO),
               # The fallback voice, which renders at once: the neural one is tested on its own.
               "BRANCHQ_VOICE_PACK": str(self.workdir / "no-voice-pack")}  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            self._fresh.put(line)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        """Wait for a new log line containing ``text``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._fresh.get(timeout=0.1)
            except queue.Empty:
                continue
            if text in line:
                return line
        raise AssertionError(f"display never logged {text!r}; log:\n" + "\n".join(self.lines))

    def shot(self) -> pygame.Surface:
        """Ask the running display for a screenshot (SIGUSR1) and load it."""
        assert self.proc is not None
        self.screenshot.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        self.wait_for("screenshot saved")
        return pygame.image.load(str(self.screenshot))

    def stop(self) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)
