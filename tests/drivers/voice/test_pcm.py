"""Sound handling on small generated WAVs: levels, trimming, joining, resampling, files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from drivers.voice.pcm import (
    RATE,
    Pcm,
    from_samples,
    join,
    normalise,
    peak_db,
    read_wav,
    resample,
    rms_db,
    silence,
    trim,
    write_wav,
)


def sine(seconds: float, amplitude: float, freq: float = 440.0, rate: int = RATE) -> Pcm:
    n = int(rate * seconds)
    return from_samples(
        (amplitude * math.sin(2 * math.pi * freq * i / rate) for i in range(n)), rate
    )


def test_a_sine_at_half_scale_measures_minus_nine_db_rms() -> None:
    assert rms_db(sine(0.5, 32767 / 2)) == pytest.approx(-9.03, abs=0.05)
    assert rms_db(silence(0.1)) == -math.inf


def test_quiet_and_loud_chunks_come_out_at_the_same_level() -> None:
    quiet, loud = sine(0.3, 900), sine(0.3, 6000)  # −31 and −14.7 dB: the spread measured
    assert rms_db(normalise(quiet)) == pytest.approx(-20.0, abs=0.1)
    assert rms_db(normalise(loud)) == pytest.approx(-20.0, abs=0.1)


def test_normalising_never_pushes_a_peak_into_clipping() -> None:
    spiky = from_samples([30000 if i % 1000 == 0 else 50 for i in range(24000)])
    out = normalise(spiky)
    assert peak_db(out) <= -0.9
    assert rms_db(out) < -20.0  # held back by the peak, not clipped


def test_silence_around_a_phrase_is_trimmed_to_a_short_margin() -> None:
    padded = join([silence(0.5), sine(0.4, 8000), silence(0.7)])
    assert trim(padded).seconds == pytest.approx(0.4 + 2 * 0.03, abs=0.005)
    assert trim(silence(1.0)).data == b""


def test_parts_are_joined_with_the_gap_between_them_only() -> None:
    out = join([sine(0.2, 5000), sine(0.3, 5000), sine(0.1, 5000)], gap_s=0.05)
    assert out.seconds == pytest.approx(0.6 + 2 * 0.05, abs=0.001)


def test_the_fallback_voice_rate_is_brought_to_the_hall_rate() -> None:
    espeak_rate = sine(1.0, 8000, rate=22050)
    out = resample(espeak_rate)
    assert out.rate == RATE and out.seconds == pytest.approx(1.0, abs=0.001)
    assert rms_db(out) == pytest.approx(rms_db(espeak_rate), abs=0.1)


def test_wav_files_round_trip_and_stereo_is_mixed_down(tmp_path: Path) -> None:
    pcm = sine(0.25, 7000)
    write_wav(tmp_path / "mono.wav", pcm)
    assert read_wav(tmp_path / "mono.wav") == pcm
    import wave

    with wave.open(str(tmp_path / "stereo.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(
            b"".join(
                s.to_bytes(2, "little", signed=True) * 2
                for s in sine(0.1, 5000, rate=44100).samples()
            )
        )
    stereo = read_wav(tmp_path / "stereo.wav")
    assert stereo.rate == 44100 and stereo.seconds == pytest.approx(0.1, abs=0.001)


def test_eight_bit_recordings_are_refused_with_the_file_named(tmp_path: Path) -> None:
    import wave

    with wave.open(str(tmp_path / "old.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes(800))
    with pytest.raises(ValueError, match=r"old\.wav"):
        read_wav(tmp_path / "old.wav")
