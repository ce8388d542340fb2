"""Fonts that really draw Chinese, and the voice: chime, spoken segments, speakers."""

from __future__ import annotations

import array
import time
from pathlib import Path

import pygame
import pytest

from display.settings import VoiceSettings
from display.sound import chime, opening, saying
from display.state import Call, call_of
from drivers.screen.fonts import FontMissing, draws_chinese, find_cjk_font
from drivers.voice import LogSpeaker, MixerSpeaker, Voice, VoiceOptions
from drivers.voice.pcm import RATE, Pcm, peak_db, rms_db, silence, write_wav
from drivers.voice.recorded import WORD_GAP_S
from tests.display.events import called

T0 = 1_790_000_000.0
PYGAME_FONT = str(Path(pygame.__file__).parent / pygame.font.get_default_font())


def test_pygames_own_font_is_refused_because_it_draws_chinese_as_boxes() -> None:
    assert not draws_chinese(PYGAME_FONT)
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        find_cjk_font(PYGAME_FONT, candidates=(), use_fontconfig=False)


@pytest.mark.parametrize(
    ("chosen", "why"), [("/nonexistent.ttf", "no such file"), (PYGAME_FONT, "cannot draw Chinese")]
)
def test_a_font_asked_for_that_cannot_be_used_is_said_and_another_used(
    chosen: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="drivers.screen.fonts"):
        font = find_cjk_font(chosen)
    assert draws_chinese(font) and str(font) != chosen
    assert any(chosen in r.getMessage() and why in r.getMessage() for r in caplog.records)


def test_a_cjk_font_is_found_on_this_machine() -> None:
    font = find_cjk_font()
    assert draws_chinese(font)


def test_the_chime_is_audible_and_about_a_second_long() -> None:
    sound = chime()
    assert 1.0 <= sound.seconds <= 1.3
    assert peak_db(sound) > -10


def call_a012(counter: int = 3) -> Call:
    made = call_of(called(1, "A012", counter, T0), now=T0)
    assert made is not None
    return made


def tone(seconds: float = 0.1, amplitude: int = 12000) -> bytes:
    return array.array("h", [amplitude, -amplitude] * int(RATE * seconds / 2)).tobytes()


def fallback_voice(tmp_path: Path, recordings: Path | None = None) -> Voice:
    return Voice(VoiceOptions(pack_dir=tmp_path / "no-pack", recordings=recordings))


def test_without_the_neural_voice_calls_are_spoken_by_espeak_ng_1_52_at_the_common_level(
    tmp_path: Path,
) -> None:
    voice = fallback_voice(tmp_path)
    assert voice.source == "espeak-ng 1.52"  # Debian's 1.51, which misreads Mandarin, never
    pcm = saying(call_a012(), VoiceSettings(), voice)
    assert 1.5 < pcm.seconds < 6.0
    assert rms_db(pcm) == pytest.approx(-20.0, abs=1.5)


def test_recorded_words_are_used_before_synthesis(tmp_path: Path) -> None:
    zh = tmp_path / "zh"
    zh.mkdir()
    for word in ["请", "A", "0", "1", "2", "号", "到", "3", "号窗口", "办理业务"]:
        write_wav(zh / f"{word}.wav", Pcm(tone(), RATE))
    voice = fallback_voice(tmp_path, recordings=tmp_path)
    pcm = saying(call_a012(), VoiceSettings(), voice)
    # Ten recorded words with a short gap between them, nothing synthesised.
    assert pcm.seconds == pytest.approx(10 * 0.1 + 9 * WORD_GAP_S, abs=0.03)


def test_a_sentence_missing_one_recorded_word_is_synthesised_whole(tmp_path: Path) -> None:
    zh = tmp_path / "zh"
    zh.mkdir()
    for word in ["请", "A", "0", "1", "2", "号", "到", "号窗口", "办理业务"]:  # no "3"
        write_wav(zh / f"{word}.wav", Pcm(tone(), RATE))
    voice = fallback_voice(tmp_path, recordings=tmp_path)
    pcm = saying(call_a012(), VoiceSettings(), voice)
    assert pcm.seconds > 1.5  # eSpeak NG said it all, no mix of a person and a machine


def test_the_chime_opens_a_call_only_when_the_branch_wants_it() -> None:
    assert opening(VoiceSettings()).seconds == pytest.approx(chime().seconds + 0.3, abs=0.01)
    assert opening(VoiceSettings(chime=False)).data == b""


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
