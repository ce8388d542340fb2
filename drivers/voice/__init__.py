"""The voice: speech rendered offline (neural Kokoro, a branch's recordings, eSpeak NG 1.52).

``Voice(VoiceOptions(...)).say("请到三号窗口")`` gives a ``Pcm``; ``open_speaker()`` plays it.
Used by the hall display for its calls and by any program that speaks to customers.
"""

from drivers.voice.pcm import Pcm
from drivers.voice.speaker import LogSpeaker, MixerSpeaker, Speaker, open_speaker
from drivers.voice.voice import Voice, VoiceOptions

__all__ = ["LogSpeaker", "MixerSpeaker", "Pcm", "Speaker", "Voice", "VoiceOptions", "open_speaker"]
