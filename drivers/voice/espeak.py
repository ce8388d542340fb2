"""The fallback voice: eSpeak NG 1.52 (PyPI ``espeakng-loader``) through its C API.

Formant synthesis: robotic, but correct Mandarin. Debian 12's espeak-ng 1.51 reads the tone
digits of its ``cmn`` phonemes as English words (请 → "qing-three"); 1.52 does not. Debian's
own 1.51 is used only as a last resort and only with ``cmn-latn-pinyin``, fed with pinyin,
which it reads right. The library is one per process with one global voice, rate and output
callback, whatever the instances: it is started once, and every call into it, from any instance
or thread, holds one process-wide lock (two threads synthesising at once, or a second start
while one synthesises, crash the process).
"""

from __future__ import annotations

import ctypes
import logging
import threading

from drivers.voice.pcm import Pcm

log = logging.getLogger(__name__)

_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns when all audio is out
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE_PARAMETER = 1
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

#: Held for every call into the library (it is one per process).
_LIBRARY = threading.Lock()

#: Our language codes -> the library's voice names.
VOICES = {"zh": "cmn", "en": "en-us"}


class EspeakUnavailable(RuntimeError):
    """No eSpeak NG that reads Mandarin correctly is installed."""


class _Library:
    """The process's one libespeak-ng, started once (``espeak_Initialize`` again on a started
    library reallocates what a synthesis under way may still use), with one output callback
    that writes into the buffer of the call holding ``_LIBRARY``."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as exc:
            raise EspeakUnavailable("the espeakng-loader package is not installed") from exc
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        self.chunks: list[bytes] = []
        self.callback = _CALLBACK(self._collect)  # lives as long as the process: never freed
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.rate = self.lib.espeak_Initialize(_SYNCHRONOUS, 0, data, 0)
        if self.rate <= 0:
            raise EspeakUnavailable(f"libespeak-ng did not start (returned {self.rate})")
        info = ctypes.c_char_p()
        self.lib.espeak_Info.restype = ctypes.c_char_p
        self.version = (self.lib.espeak_Info(ctypes.byref(info)) or b"").decode()
        self.lib.espeak_SetSynthCallback(self.callback)

    def _collect(self, wav: ctypes._Pointer, count: int, events: int) -> int:  # type: ignore[type-arg]
        if count > 0:
            self.chunks.append(ctypes.string_at(wav, count * 2))
        return 0  # go on


_started: _Library | None = None


def _library() -> _Library:
    """The started library (call with ``_LIBRARY`` held)."""
    global _started
    if _started is None:
        _started = _Library()
    return _started


class Espeak:
    """libespeak-ng 1.52 from ``espeakng-loader``, synthesising into memory; instances share
    the process's one library and each keeps its own speaking rate."""

    name = "espeak-ng 1.52"

    def __init__(self, words_per_minute: int = 170) -> None:
        self.words_per_minute = words_per_minute
        with _LIBRARY:
            library = _library()
        self.rate = library.rate
        self.version = library.version

    def synthesise(self, text: str, lang: str) -> Pcm:
        """The PCM of ``text`` read in ``lang`` ("zh" or "en")."""
        voice = VOICES.get(lang, lang).encode()
        raw = text.encode("utf-8") + b"\0"
        with _LIBRARY:
            library = _library()
            lib = library.lib
            library.chunks = []
            # The rate and voice are the library's, not this instance's: set them each time.
            lib.espeak_SetParameter(_RATE_PARAMETER, self.words_per_minute, 0)
            if lib.espeak_SetVoiceByName(voice) != 0:
                raise EspeakUnavailable(f"eSpeak NG has no voice {voice.decode()!r}")
            result = lib.espeak_Synth(raw, len(raw), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if result != 0:
                raise RuntimeError(f"espeak_Synth failed ({result}) for {text!r}")
            lib.espeak_Synchronize()
            data = b"".join(library.chunks)
            library.chunks = []
        return Pcm(data, self.rate)
