"""``Voice``: speak a sentence with the best voice this machine has. Any process may use one.

Order: the branch's own recordings when they cover the sentence word by word; else the
neural voice (Kokoro, from the voice pack, each sentence rendered once and kept in the pack);
else eSpeak NG 1.52 (correct Mandarin, robotic). Debian's espeak-ng 1.51 ``cmn`` voice, which
misreads Mandarin, is never used. Nothing is fetched from anywhere: a voice that is not
installed is simply not chosen, and ``source``/``missing`` say which and what would fix it.

The display calls ``sentence`` for its calls; the kiosk's spoken guidance calls ``say`` with
any Chinese text. Both are blocking and thread-safe: run them in a worker thread.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from drivers.voice import kokoro
from drivers.voice.espeak import Espeak, EspeakUnavailable
from drivers.voice.pack import PackError, VoicePack, default_dir
from drivers.voice.pcm import Pcm, join, normalise, resample, silence, trim
from drivers.voice.recorded import Recordings

log = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


@dataclass(frozen=True, slots=True)
class VoiceOptions:
    """How a program wants its voice: where the pack and recordings are, and its role."""

    pack_dir: Path | None = None
    recordings: Path | None = None
    #: "display" renders with one thread (frames must keep drawing); "build" with all cores.
    role: str = "display"
    #: False: never load the neural voice (tests, or a box without the memory for it).
    neural: bool = True
    espeak_wpm: int = 170


class Voice:
    """Renders sentences; loads the neural voice on first use."""

    def __init__(self, options: VoiceOptions | None = None) -> None:
        self.options = options or VoiceOptions()
        self.pack = VoicePack(self.options.pack_dir or default_dir())
        self.recordings = Recordings(self.options.recordings)
        self._kokoro: kokoro.Kokoro | None = None
        self._espeak: Espeak | None = None
        self._neural_error: str | None = None
        self._espeak_error: str | None = None
        self._load = threading.Lock()

    # What is available
    def neural_state(self) -> str | None:
        """None when the neural voice can be used, else why not (and the one command to fix it)."""
        if not self.options.neural:
            return "the neural voice is turned off"
        if self._neural_error is not None:
            return self._neural_error
        if not kokoro.installed():
            return "the neural voice is not installed: run `make voice`"
        if not self.pack.exists():
            return f"no voice pack in {self.pack.root}: run `make voice` (or `branchq voice build`)"
        return None

    @property
    def source(self) -> str:
        """The voice calls are rendered with, for logs and the display's health report."""
        if self.neural_state() is None:
            try:
                return f"kokoro {self.pack.manifest()['voice']['name']}"
            except (PackError, KeyError, ValueError) as exc:
                self._neural_error = str(exc)
        if self._fallback() is not None:
            return "espeak-ng 1.52"
        return "none"

    def _neural(self) -> kokoro.Kokoro | None:
        if self.neural_state() is not None:
            return None
        with self._load:
            if self._kokoro is None and self._neural_error is None:
                try:
                    m = self.pack.manifest()
                    self._kokoro = kokoro.Kokoro(
                        self.pack.style_file(), m["voice"]["name"], float(m["voice"]["speed"]),
                        kokoro.threads_for(self.options.role),
                    )  # fmt: skip
                except (kokoro.NeuralVoiceMissing, PackError, OSError, ValueError) as exc:
                    self._neural_error = str(exc)
                    log.error("neural voice unusable, falling back to eSpeak NG: %s", exc)
            return self._kokoro

    def _fallback(self) -> Espeak | None:
        with self._load:
            if self._espeak is None and self._espeak_error is None:
                try:
                    self._espeak = Espeak(self.options.espeak_wpm)
                except (EspeakUnavailable, OSError) as exc:
                    self._espeak_error = str(exc)
                    log.error("no fallback voice: %s", exc)
            return self._espeak

    def load(self) -> str:
        """Load the voice now (a model takes seconds), so the first call is not the one to wait."""
        if self._neural() is None:
            self._fallback()
        return self.source

    # Speaking
    def ready(self, lang: str, text: str) -> bool:
        """Is this sentence already rendered (so saying it costs only reading a file)?"""
        if self.neural_state() is not None or lang != "zh":
            return True  # recordings and eSpeak NG are fast enough to render on the spot
        try:
            return self.pack.get(lang, text) is not None
        except PackError:
            return True

    def sentence(self, lang: str, text: str, words: Sequence[str] = ()) -> Pcm:
        """One sentence; ``words`` are its parts as the branch's recordings are named.

        Never raises: a sentence no voice can say comes back empty (and is logged).
        """
        recorded = self.recordings.sentence(lang, words) if words else None
        if recorded is not None:
            return recorded
        if lang == "zh":
            neural = self._neural_sentence(text)
            if neural is not None:
                return neural
        return self._espeak_sentence(lang, text)

    def _neural_sentence(self, text: str) -> Pcm | None:
        engine = self._neural()
        if engine is None:
            return None
        try:
            cached = self.pack.get("zh", text)
            if cached is not None:
                return cached
            rendering = engine.render(text)
        except Exception as exc:  # the hall must hear something: fall back, say why
            log.error("neural voice failed on %r: %s", text, exc)
            return None
        try:
            self.pack.put("zh", text, rendering.phonemes, rendering.pcm)
        except (OSError, PackError) as exc:  # a read-only pack still speaks, it only forgets
            log.warning("cannot keep %r in the voice pack: %s", text, exc)
        return rendering.pcm

    def _espeak_sentence(self, lang: str, text: str) -> Pcm:
        engine = self._fallback()
        if engine is None:
            return Pcm(b"")
        try:
            return resample(normalise(trim(engine.synthesise(text, lang))))
        except (RuntimeError, OSError) as exc:
            log.error("eSpeak NG failed on %r: %s", text, exc)
            return Pcm(b"")

    def say(self, text: str, lang: str = "zh", pause_s: float = 0.35) -> Pcm:
        """Any text, cut into sentences (each rendered once and kept): the kiosk's guidance."""
        parts = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
        return join((self.sentence(lang, p) for p in parts), pause_s) if parts else silence(0)
