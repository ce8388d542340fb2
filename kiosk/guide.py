"""Care mode's spoken guidance at the kiosk, with the hall's own voice (``drivers.voice``).

One utterance at a time: a new screen's guidance cuts off the last one, and silence (leaving
care mode, the kiosk falling idle) stops it. Sentences are rendered in a worker thread, so
the screen keeps answering; the voice keeps each rendered sentence in its pack, and the
kiosk renders its fixed sentences once when it starts (``warm``), so that guidance starts at
once instead of after the neural voice's second or two per new sentence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from drivers.voice import Speaker, Voice, VoiceOptions

log = logging.getLogger(__name__)


def voice_options(section: Mapping[str, Any], neural: bool = True) -> VoiceOptions:
    """The kiosk's voice from the branch's ``[voice]``: the same pack and speed as the hall's."""
    pack = section.get("pack_dir")
    wpm = section.get("espeak_wpm")
    return VoiceOptions(
        pack_dir=Path(str(pack)) if pack else None,
        role="display",  # one rendering thread: the touch screen must keep drawing
        neural=neural,
        espeak_wpm=int(wpm) if isinstance(wpm, int) and 80 <= wpm <= 400 else 170,
    )


class Guide:
    """Speaks guidance texts through a speaker, newest first."""

    def __init__(self, speaker: Speaker, voice: Voice | None = None) -> None:
        self.speaker = speaker
        self.voice = voice
        self._said = 0  # the number of the latest request: older renderings are dropped
        self.spoken: list[str] = []  # what reached the speaker, newest last (logs and tests)

    async def say(self, text: str, lang: str) -> None:
        """Say ``text`` (cutting off what is being said); "" only silences."""
        self._said += 1
        mine = self._said
        self.speaker.stop()
        if not text or self.voice is None:
            return
        pcm = await asyncio.to_thread(self.voice.say, text, lang)
        if mine != self._said:
            return  # the customer has moved on: a newer guidance (or silence) was asked for
        self.speaker.play(pcm, text)
        self.spoken = [*self.spoken[-19:], text]

    async def warm(self, texts: Iterable[tuple[str, str]]) -> None:
        """Render fixed sentences now, one after the other, so they are ready when asked."""
        if self.voice is None:
            return
        source = await asyncio.to_thread(self.voice.load)
        log.info("guidance voice: %s", source)
        for text, lang in texts:
            await asyncio.to_thread(self.voice.say, text, lang)
