"""The hall's voice: a synthesised chime, then the call joined from spoken segments.

Offline by construction. A sentence is cut into segments (请 / A / 0 / 1 / 2 / 号 / 到 / 3 /
号窗口 / 办理业务); each segment comes from a folder of recorded WAVs when the branch has one
(``[voice] segments_dir``: the natural voice commercial systems use), otherwise from
``espeak-ng``, rendered once into a cache and reused, so at run time a call is only a join of
PCM buffers. The chime is synthesised in pure Python. Output goes to a ``Speaker``: the
pygame mixer, or, on a machine with no sound device, the log.
"""

from __future__ import annotations

import array
import hashlib
import logging
import math
import os
import shutil
import subprocess
import threading
import time
import wave
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Protocol

from display.announce import Segment, Utterance, sentences
from display.settings import VoiceSettings

log = logging.getLogger(__name__)

RATE = 22050  # espeak-ng's own rate: its segments join without resampling
SAMPLE_BYTES = 2
WORD_GAP_S = 0.03


def silence(seconds: float) -> bytes:
    return bytes(int(RATE * seconds) * SAMPLE_BYTES)


def duration_of(pcm: bytes) -> float:
    return len(pcm) / (RATE * SAMPLE_BYTES)


@cache
def chime(volume: float = 0.5) -> bytes:
    """A two-note "ding-dong" (E5 then C5) with a bell-like decay, 16-bit mono."""
    samples = array.array("h")
    for freq, seconds in ((659.25, 0.45), (523.25, 0.7)):
        n = int(RATE * seconds)
        for i in range(n):
            t = i / RATE
            envelope = math.exp(-4.0 * t) * min(1.0, i / 200)
            tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            samples.append(int(32767 * volume * envelope * tone / 1.3))
    return samples.tobytes()


def trim(pcm: bytes, threshold: int = 400, margin_s: float = 0.02) -> bytes:
    """Cut the silence a synthesiser leaves around a word, so joined words flow."""
    samples = array.array("h", pcm)
    loud = [i for i, s in enumerate(samples) if abs(s) > threshold]
    if not loud:
        return b""
    margin = int(RATE * margin_s)
    start, end = max(0, loud[0] - margin), min(len(samples), loud[-1] + margin)
    return samples[start:end].tobytes()


def read_wav(path: Path) -> bytes:
    """The PCM of a mono 16-bit WAV at ``RATE``; anything else is refused, not guessed at."""
    with wave.open(str(path), "rb") as w:
        if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, RATE):
            raise ValueError(f"{path}: need mono 16-bit {RATE} Hz, got {w.getparams()}")
        return w.readframes(w.getnframes())


def write_wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_BYTES)
        w.setframerate(RATE)
        w.writeframes(pcm)


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "branchq" / "voice"


class SegmentBank:
    """Spoken segments by (language, text): recorded WAVs first, else espeak-ng, cached."""

    def __init__(self, voice: VoiceSettings, cache: Path | None = None) -> None:
        self.voices = {"zh": voice.voice_zh, "en": voice.voice_en}
        self.recorded = Path(voice.segments_dir) if voice.segments_dir else None
        self.cache = cache or default_cache()
        self.espeak = shutil.which("espeak-ng")
        self.speed = voice.speed
        self._memory: dict[Segment, bytes] = {}
        # Warming (at start) and composing (on a call) run in worker threads: one at a time.
        self._lock = threading.Lock()

    @property
    def source(self) -> str:
        if self.recorded is not None and self.recorded.is_dir():
            return "recorded+espeak-ng" if self.espeak else "recorded"
        return "espeak-ng" if self.espeak else "none"

    def _recorded(self, seg: Segment) -> bytes | None:
        if self.recorded is None:
            return None
        path = self.recorded / seg.lang / f"{seg.text}.wav"
        if not path.is_file():
            return None
        try:
            return trim(read_wav(path))
        except (ValueError, OSError, wave.Error) as exc:
            log.error("recorded segment unusable: %s", exc)
            return None

    def _synthesised(self, seg: Segment) -> bytes | None:
        if self.espeak is None:
            return None
        voice = self.voices.get(seg.lang, seg.lang)
        key = hashlib.sha1(f"{voice}\0{self.speed}\0{seg.text}".encode()).hexdigest()[:20]
        path = self.cache / f"{voice}-{key}.wav"
        if not path.is_file():
            self.cache.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            subprocess.run(
                [self.espeak, "-v", voice, "-s", str(self.speed), "-w", str(tmp), seg.text],
                check=True, capture_output=True, timeout=10,
            )  # fmt: skip
            raw = read_wav(tmp)
            write_wav(tmp, trim(raw))
            tmp.replace(path)
        return read_wav(path)

    def get(self, seg: Segment) -> bytes:
        """The PCM of one segment; a pause for punctuation; empty when no source can say it."""
        if seg.text in (",", "，", "、"):
            return silence(0.2)
        with self._lock:
            return self._get(seg)

    def _get(self, seg: Segment) -> bytes:
        if seg not in self._memory:
            pcm = self._recorded(seg)
            if pcm is None:
                try:
                    pcm = self._synthesised(seg)
                except (OSError, subprocess.SubprocessError, ValueError, EOFError,
                        wave.Error) as exc:  # fmt: skip
                    log.error("cannot synthesise %r: %s", seg.text, exc)
            self._memory[seg] = pcm or b""
            if len(self._memory) > 500:  # bounded: a week-long run keeps a flat footprint
                self._memory.pop(next(iter(self._memory)))
        return self._memory[seg]

    def warm(self, segments: Iterable[Segment]) -> None:
        """Render every segment a call can need now, so the first call is not delayed."""
        for seg in segments:
            self.get(seg)


def compose(utterance: Utterance, voice: VoiceSettings, bank: SegmentBank | None) -> bytes:
    """Chime, then the sentence(s) ``repeats`` times, as one PCM buffer."""
    parts: list[bytes] = []
    if voice.chime:
        parts += [chime(), silence(0.3)]
    if bank is not None:
        words = sentences(utterance.call, voice)
        for i in range(utterance.repeats):
            if i:
                parts.append(silence(voice.gap_s))
            for j, sentence in enumerate(words):
                if j:
                    parts.append(silence(voice.gap_s / 2))
                parts += [bank.get(seg) + silence(WORD_GAP_S) for seg in sentence]
    return b"".join(parts)


class Speaker(Protocol):
    """Where the sound goes: one utterance at a time."""

    name: str

    def play(self, pcm: bytes, text: str) -> None: ...

    def busy(self) -> bool: ...


class MixerSpeaker:
    """The pygame mixer (the TV's HDMI audio, or the PC's speaker out)."""

    name = "mixer"

    def __init__(self) -> None:
        import pygame

        self._pygame = pygame
        pygame.mixer.init(frequency=RATE, size=-16, channels=1)
        self._channel = pygame.mixer.Channel(0)

    def play(self, pcm: bytes, text: str) -> None:
        log.info("announce: %s (%.1f s)", text, duration_of(pcm))
        self._channel.play(self._pygame.mixer.Sound(buffer=pcm))

    def busy(self) -> bool:
        return bool(self._channel.get_busy())


class LogSpeaker:
    """No sound device: the call is written to the log and takes the time it would take."""

    name = "log"

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0

    def play(self, pcm: bytes, text: str) -> None:
        log.warning("announce (no sound device): %s", text)
        self._until = self._clock() + duration_of(pcm)

    def busy(self) -> bool:
        return self._clock() < self._until


def open_speaker(clock: Callable[[], float] = time.monotonic) -> Speaker:
    """The mixer when a sound device opens, else the log (the display must run regardless)."""
    try:
        return MixerSpeaker()
    except Exception as exc:  # pygame.error, or no audio backend at all
        log.warning("no sound device (%s): calls will be logged, not heard", exc)
        return LogSpeaker(clock)
