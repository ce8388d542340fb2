"""Fonts that really draw Chinese, and the voice: chime, spoken segments, speakers."""

from __future__ import annotations

import array
import shutil
import time
from pathlib import Path

import pygame
import pytest

from display.announce import Utterance
from display.fonts import FontMissing, draws_chinese, find_cjk_font
from display.settings import VoiceSettings
from display.sound import (
    RATE,
    WORD_GAP_S,
    LogSpeaker,
    MixerSpeaker,
    SegmentBank,
    chime,
    compose,
    duration_of,
    silence,
    write_wav,
)
from display.state import call_of
from tests.display.events import called

T0 = 1_790_000_000.0
PYGAME_FONT = str(Path(pygame.__file__).parent / pygame.font.get_default_font())
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def loudness(pcm: bytes) -> int:
    return max((abs(s) for s in array.array("h", pcm)), default=0)


def test_pygames_own_font_is_refused_because_it_draws_chinese_as_boxes() -> None:
    assert not draws_chinese(PYGAME_FONT)
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        find_cjk_font(PYGAME_FONT, candidates=(), use_fontconfig=False)


def test_a_cjk_font_is_found_on_this_machine() -> None:
    font = find_cjk_font()
    assert draws_chinese(font)


def test_the_chime_is_audible_and_about_a_second_long() -> None:
    sound = chime()
    assert 1.0 <= duration_of(sound) <= 1.3
    assert loudness(sound) > 8000


def call_a012(counter: int = 3) -> Utterance:
    made = call_of(called(1, "A012", counter, T0), now=T0)
    assert made is not None
    return Utterance(made, 1)


@needs_espeak
def test_espeak_segments_are_rendered_once_and_reused_from_the_cache(tmp_path: Path) -> None:
    bank = SegmentBank(VoiceSettings(), cache=tmp_path)
    pcm = compose(call_a012(), VoiceSettings(chime=False), bank)
    assert duration_of(pcm) > 1.5 and loudness(pcm) > 3000
    cached = sorted(tmp_path.iterdir())
    assert cached  # one WAV per distinct segment
    again = SegmentBank(VoiceSettings(), cache=tmp_path)
    started = time.perf_counter()
    assert compose(call_a012(), VoiceSettings(chime=False), again) == pcm
    assert sorted(tmp_path.iterdir()) == cached
    assert time.perf_counter() - started < 1.0


def test_recorded_segments_are_used_before_synthesis(tmp_path: Path) -> None:
    zh = tmp_path / "zh"
    zh.mkdir()
    tone = array.array("h", [12000, -12000] * (RATE // 20)).tobytes()  # 0.1 s of a loud tone
    for word in ["请", "A", "0", "1", "2", "号", "到", "3", "号窗口", "办理业务"]:
        write_wav(zh / f"{word}.wav", tone)
    voice = VoiceSettings(chime=False, segments_dir=str(tmp_path))
    bank = SegmentBank(voice, cache=tmp_path / "cache")
    pcm = compose(call_a012(), voice, bank)
    # Ten recorded words, each followed by a short gap, and nothing synthesised.
    assert duration_of(pcm) == pytest.approx(10 * (0.1 + WORD_GAP_S), abs=0.02)
    assert not (tmp_path / "cache").exists()


def test_repeats_say_the_sentence_again_after_the_chime(tmp_path: Path) -> None:
    zh = tmp_path / "zh"
    zh.mkdir()
    tone = array.array("h", [9000, -9000] * (RATE // 20)).tobytes()
    for word in ["请", "A", "0", "1", "2", "号", "到", "3", "号窗口", "办理业务"]:
        write_wav(zh / f"{word}.wav", tone)
    voice = VoiceSettings(segments_dir=str(tmp_path), gap_s=0.5)
    bank = SegmentBank(voice, cache=tmp_path / "cache")
    once = compose(call_a012(), voice, bank)
    twice = compose(Utterance(call_a012().call, 2), voice, bank)
    assert once.startswith(chime())
    assert duration_of(twice) - duration_of(once) == pytest.approx(
        0.5 + 10 * (0.1 + WORD_GAP_S), abs=0.02
    )


def test_without_a_sound_device_the_call_is_logged_and_takes_its_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    speaker = LogSpeaker(clock=lambda: now[0])
    speaker.play(silence(2.0), "请 A012 号 到 3 号窗口 办理业务")
    assert "请 A012 号 到 3 号窗口 办理业务" in caplog.text
    assert speaker.busy()
    now[0] += 2.1
    assert not speaker.busy()


def test_the_mixer_plays_one_call_at_a_time_under_the_dummy_audio_driver() -> None:
    speaker = MixerSpeaker()
    try:
        speaker.play(chime(), "chime")
        assert speaker.busy()
        deadline = time.monotonic() + 5
        while speaker.busy() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not speaker.busy()
    finally:
        pygame.mixer.quit()
