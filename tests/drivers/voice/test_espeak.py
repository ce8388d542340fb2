"""The fallback voice is one library per process: any number of instances and threads may
speak at once (the kiosk's guidance and the hall's calls) without crashing it or mixing their
sound."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from drivers.voice.espeak import Espeak, EspeakUnavailable

SENTENCES = [
    ("请A零一二号到三号窗口办理业务", "zh"),
    ("Number A012, counter 3", "en"),
    ("请取走号票", "zh"),
]


def test_many_threads_and_instances_speak_at_once_and_each_gets_its_own_sound() -> None:
    try:
        voices = [Espeak(), Espeak(words_per_minute=150)]
    except EspeakUnavailable as exc:
        pytest.skip(str(exc))
    pairs = [(v, s) for v in (0, 1) for s in (0, 1, 2)]
    alone = {(v, s): len(voices[v].synthesise(*SENTENCES[s]).data) for v, s in pairs}
    jobs = [(v, s) for _ in range(4) for v in (0, 1) for s in (0, 1, 2)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(lambda job: voices[job[0]].synthesise(*SENTENCES[job[1]]), jobs))
    # eSpeak NG's output varies by a few samples from one saying to the next; sound that went
    # to another caller's buffer would be missing or doubled.
    for job, pcm in zip(jobs, together, strict=True):
        assert abs(len(pcm.data) - alone[job]) < 0.01 * alone[job], job
    assert alone[(1, 0)] > 1.1 * alone[(0, 0)]  # each instance keeps its own rate
