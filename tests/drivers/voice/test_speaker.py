"""Where the sound goes: without a sound card the display says so first, in its own words."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.voice.speaker import c_stderr_captured


def test_what_c_code_writes_to_stderr_meanwhile_is_held_not_shown(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with c_stderr_captured() as held:
        os.write(2, b"ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM default\n")
    assert b"Unknown PCM default" in b"".join(held)
    assert "ALSA" not in capfd.readouterr().err


def test_without_a_sound_card_the_display_says_so_first(tmp_path: Path) -> None:
    script = (
        "import logging; logging.basicConfig(level=logging.INFO)\n"
        "from drivers.voice import open_speaker; print(open_speaker().name)"
    )
    env = {**os.environ, "SDL_AUDIODRIVER": "alsa", "PYGAME_HIDE_SUPPORT_PROMPT": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=60, cwd=tmp_path)  # fmt: skip
    if done.stdout.strip() == "mixer":
        pytest.skip("this machine has a sound card")
    assert done.stderr.splitlines()[0].endswith("calls will be logged, not heard"), done.stderr
    assert "ALSA lib" not in done.stderr
