"""What the hall hears for one call: a synthesised chime, then the call's sentences.

The sentences come from the branch's ``Voice`` (``drivers.voice``): recorded words, else the
neural voice's rendered sentence, else eSpeak NG 1.52. The chime is synthesised in pure
Python, so the hall hears the start of a call at once even while its sentence is still being
rendered. Every sentence is at the same level (``drivers.voice.pcm.TARGET_DB``).
"""

from __future__ import annotations

import array
import math
from collections.abc import Iterable, Sequence
from functools import cache

from display.announce import Sentence, sentences
from display.settings import VoiceSettings
from display.state import Call
from drivers.voice.pcm import RATE, Pcm, join, silence
from drivers.voice.voice import Voice

#: Between the chime and the first sentence, and between the Chinese and English sentences.
AFTER_CHIME_S = 0.3


@cache
def chime(volume: float = 0.4) -> Pcm:
    """A two-note "ding-dong" (E5 then C5) with a bell-like decay, 16-bit mono."""
    samples = array.array("h")
    for freq, seconds in ((659.25, 0.45), (523.25, 0.7)):
        n = int(RATE * seconds)
        for i in range(n):
            t = i / RATE
            envelope = math.exp(-4.0 * t) * min(1.0, i / 200)
            tone = math.sin(2 * math.pi * freq * t) + 0.3 * math.sin(4 * math.pi * freq * t)
            samples.append(int(32767 * volume * envelope * tone / 1.3))
    return Pcm(samples.tobytes(), RATE)


def opening(settings: VoiceSettings) -> Pcm:
    """What starts a call: the chime and its pause, or nothing."""
    return join([chime(), silence(AFTER_CHIME_S)]) if settings.chime else Pcm(b"")


def saying(
    call: Call, settings: VoiceSettings, voice: Voice, langs: Sequence[str] | None = None
) -> Pcm:
    """One saying of the call: the Chinese sentence, then the English one when configured."""
    return join(
        (voice.sentence(s.lang, s.text, s.words) for s in sentences(call, settings, langs)),
        settings.gap_s / 2,
    )


def warm_texts(calls: Iterable[Call], settings: VoiceSettings) -> list[Sentence]:
    """The sentences these calls would need, to render before they are called."""
    return [s for call in calls for s in sentences(call, settings)]
