"""A branch's own recorded voice: WAV files named by what they say, joined word by word.

``<folder>/zh/请.wav``, ``zh/A.wav``, ``zh/0.wav`` … ``zh/号窗口.wav``, ``en/Number.wav`` …:
what commercial systems do with a studio voice. A sentence is used only when every one of its
words has a recording, so a half-recorded hall never mixes a person with a machine mid-call.
Each recording is trimmed and brought to the common level; any rate, mono or stereo.
"""

from __future__ import annotations

import logging
import threading
import wave
from collections.abc import Sequence
from pathlib import Path

from drivers.voice.pcm import Pcm, join, normalise, read_wav, resample, silence, trim

log = logging.getLogger(__name__)

WORD_GAP_S = 0.03
PAUSES = {",": 0.2, "，": 0.2, "、": 0.2}


class Recordings:
    """The recordings under one folder (none when ``folder`` is None or absent)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: dict[tuple[str, str], Pcm | None] = {}
        self._lock = threading.Lock()

    def available(self) -> bool:
        return self.folder is not None and self.folder.is_dir()

    def word(self, lang: str, word: str) -> Pcm | None:
        if not self.available() or self.folder is None:
            return None
        key = (lang, word)
        with self._lock:
            if key not in self._memory:
                self._memory[key] = self._load(self.folder / lang / f"{word}.wav")
                if len(self._memory) > 500:  # bounded however many words a branch records
                    self._memory.pop(next(iter(self._memory)))
            return self._memory[key]

    @staticmethod
    def _load(path: Path) -> Pcm | None:
        if not path.is_file():
            return None
        try:
            return normalise(trim(resample(read_wav(path))))
        except (ValueError, OSError, EOFError, wave.Error) as exc:
            log.error("recorded word unusable: %s", exc)
            return None

    def sentence(self, lang: str, words: Sequence[str]) -> Pcm | None:
        """The words joined, or None unless every word (pauses aside) has a recording."""
        if not self.available():
            return None
        parts: list[Pcm] = []
        for word in words:
            if word in PAUSES:
                parts.append(silence(PAUSES[word]))
                continue
            pcm = self.word(lang, word)
            if pcm is None:
                return None
            parts.append(pcm)
        return join(parts, WORD_GAP_S) if parts else None
