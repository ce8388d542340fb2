"""Sound as the voice handles it: 16-bit mono PCM at one rate, and what is done to it.

Pure Python (``array``), no NumPy needed: trimming the silence a synthesiser leaves around a
phrase, measuring and normalising its level (chunks of one neural voice vary from −31 to
−14 dB RMS, so every chunk is brought to one level before they are joined), resampling
recordings and the fallback voice to the hall's rate, and reading and writing WAV files.
"""

from __future__ import annotations

import array
import math
import wave
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: The rate everything is joined and played at: the neural voice's own (Kokoro: 24 kHz).
RATE = 24000
SAMPLE_BYTES = 2
FULL_SCALE = 32767
#: The level every spoken chunk is brought to, dB RMS relative to full scale.
TARGET_DB = -20.0
#: Peaks are held below this after normalising (dBFS), so loud chunks never clip.
PEAK_DB = -1.0
#: Quieter than this (dBFS) counts as the silence around a phrase.
TRIM_DB = -40.0


@dataclass(frozen=True, slots=True)
class Pcm:
    """16-bit signed little-endian mono samples at ``rate`` Hz."""

    data: bytes
    rate: int = RATE

    @property
    def seconds(self) -> float:
        return len(self.data) / (self.rate * SAMPLE_BYTES)

    def samples(self) -> array.array[int]:
        return array.array("h", self.data)


def silence(seconds: float, rate: int = RATE) -> Pcm:
    return Pcm(bytes(max(0, int(rate * seconds)) * SAMPLE_BYTES), rate)


def from_samples(samples: Iterable[float], rate: int = RATE) -> Pcm:
    """Clip floats in sample units (±32767) to 16 bits."""
    out = array.array("h", (max(-FULL_SCALE, min(FULL_SCALE, round(s))) for s in samples))
    return Pcm(out.tobytes(), rate)


def rms_db(pcm: Pcm) -> float:
    """The level in dB RMS relative to full scale; −inf for silence."""
    samples = pcm.samples()
    if not samples:
        return -math.inf
    power = sum(s * s for s in samples) / len(samples)
    return -math.inf if power == 0 else 10 * math.log10(power / FULL_SCALE**2)


def peak_db(pcm: Pcm) -> float:
    top = max((abs(s) for s in pcm.samples()), default=0)
    return -math.inf if top == 0 else 20 * math.log10(top / FULL_SCALE)


def gain(pcm: Pcm, db: float) -> Pcm:
    factor = 10 ** (db / 20)
    return from_samples((s * factor for s in pcm.samples()), pcm.rate)


def normalise(pcm: Pcm, target_db: float = TARGET_DB, peak_limit_db: float = PEAK_DB) -> Pcm:
    """Bring ``pcm`` to ``target_db`` RMS, less if that would push a peak over the limit."""
    level = rms_db(pcm)
    if level == -math.inf:
        return pcm
    change = min(target_db - level, peak_limit_db - peak_db(pcm))
    return gain(pcm, change)


def trim(pcm: Pcm, threshold_db: float = TRIM_DB, margin_s: float = 0.03) -> Pcm:
    """Cut the near-silence before the first and after the last audible sample."""
    samples = pcm.samples()
    limit = FULL_SCALE * 10 ** (threshold_db / 20)
    loud = [i for i, s in enumerate(samples) if abs(s) > limit]
    if not loud:
        return Pcm(b"", pcm.rate)
    margin = int(pcm.rate * margin_s)
    start, end = max(0, loud[0] - margin), min(len(samples), loud[-1] + margin + 1)
    return Pcm(samples[start:end].tobytes(), pcm.rate)


def resample(pcm: Pcm, rate: int = RATE) -> Pcm:
    """Linear interpolation to ``rate``: enough for speech going to a hall's loudspeaker."""
    if pcm.rate == rate or not pcm.data:
        return Pcm(pcm.data, rate)
    src = pcm.samples()
    count = int(len(src) * rate / pcm.rate)
    step = pcm.rate / rate
    last = len(src) - 1
    out = array.array("h", bytes(count * SAMPLE_BYTES))
    for i in range(count):
        x = i * step
        j = int(x)
        frac = x - j
        nxt = src[j + 1] if j < last else src[last]
        out[i] = int(src[j] + (nxt - src[j]) * frac)
    return Pcm(out.tobytes(), rate)


def join(parts: Iterable[Pcm], gap_s: float = 0.0, rate: int = RATE) -> Pcm:
    """The parts one after the other (each brought to ``rate``), ``gap_s`` of silence between."""
    pieces: list[bytes] = []
    gap = silence(gap_s, rate).data
    for i, part in enumerate(parts):
        if i and gap:
            pieces.append(gap)
        pieces.append(resample(part, rate).data)
    return Pcm(b"".join(pieces), rate)


def read_wav(path: Path) -> Pcm:
    """A mono or stereo 16-bit WAV; stereo is mixed down. Other sample widths are refused."""
    with wave.open(str(path), "rb") as w:
        channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        if width != SAMPLE_BYTES or channels not in (1, 2):
            raise ValueError(f"{path}: need 16-bit mono or stereo PCM, got {w.getparams()}")
        data = w.readframes(w.getnframes())
    if channels == 2:
        both = array.array("h", data)
        mixed = array.array("h", ((a + b) // 2 for a, b in zip(both[::2], both[1::2], strict=True)))
        data = mixed.tobytes()
    return Pcm(data, rate)


def write_wav(path: Path, pcm: Pcm) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_BYTES)
        w.setframerate(pcm.rate)
        w.writeframes(pcm.data)
