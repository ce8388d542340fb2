"""The display's tests run headless (pygame's dummy video and audio drivers)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine import DEMO_CONFIG, RunningEngine

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[RunningEngine]:
    """The demo branch with a short voice (said once, Chinese only), so that calls spoken
    one after the other fit in a test's time; everything else is the demo branch."""
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    quick = re.sub(r"\[voice\][^\[]*", "[voice]\nrepeat = 1\nenglish = false\n\n", text, count=1)
    config = tmp_path / "branch.toml"
    config.write_text(quick, encoding="utf-8")
    running = RunningEngine(workdir=tmp_path, config=config).start()
    try:
        yield running
    finally:
        running.stop()
