"""Where the sound goes: the pygame mixer (the TV's HDMI audio or a line out), else the log.

One utterance at a time; ``stop`` ends the one playing (a customer who reached the counter
need not hear their number again).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import Protocol

from drivers.voice.pcm import RATE, Pcm, resample

log = logging.getLogger(__name__)


class Speaker(Protocol):
    name: str

    def play(self, pcm: Pcm, text: str) -> None: ...

    def busy(self) -> bool: ...

    def stop(self) -> None: ...


class MixerSpeaker:
    """The pygame mixer, opened at the voice's rate."""

    name = "mixer"

    def __init__(self) -> None:
        import pygame

        self._pygame = pygame
        pygame.mixer.init(frequency=RATE, size=-16, channels=1)
        self._channel = pygame.mixer.Channel(0)

    def play(self, pcm: Pcm, text: str) -> None:
        if text:  # the chime is not news
            log.info("announce: %s (%.1f s)", text, pcm.seconds)
        self._channel.play(self._pygame.mixer.Sound(buffer=resample(pcm).data))

    def busy(self) -> bool:
        return bool(self._channel.get_busy())

    def stop(self) -> None:
        self._channel.fadeout(150)


class LogSpeaker:
    """No sound device: the call is written to the log and takes the time it would take."""

    name = "log"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0

    def play(self, pcm: Pcm, text: str) -> None:
        if text:
            log.warning("announce (no sound device): %s", text)
        self._until = self._clock() + pcm.seconds

    def busy(self) -> bool:
        return self._clock() < self._until

    def stop(self) -> None:
        self._until = self._clock()


@contextlib.contextmanager
def c_stderr_captured() -> Iterator[list[bytes]]:
    """Hold what C libraries write to stderr meanwhile (ALSA's "ALSA lib … cannot find card"
    lines while SDL looks for a sound card) in the yielded list, so the program's own message
    says first what happened; the caller decides where the held lines go."""
    held: list[bytes] = []
    sys.stderr.flush()
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield held
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            held.append(sink.read())


def open_speaker(clock: Callable[[], float] = time.monotonic) -> Speaker:
    """The mixer when a sound device opens, else the log (the display must run regardless)."""
    failure: Exception | None = None
    with c_stderr_captured() as said:
        try:
            speaker: Speaker = MixerSpeaker()
        except Exception as exc:  # pygame.error, or no audio backend at all
            speaker, failure = LogSpeaker(clock), exc
    driver = b"".join(said).decode(errors="replace").strip()
    if failure is None:
        if driver:
            print(driver, file=sys.stderr)  # the device works: its warnings stay as they were
        return speaker
    log.warning("no sound device (%s): calls will be logged, not heard", failure)
    if driver:
        log.debug("the sound driver said: %s", " | ".join(driver.splitlines()))
    return speaker
