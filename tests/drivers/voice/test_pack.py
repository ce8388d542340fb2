"""The voice pack's manifest and phrases, and the real neural voice (slow, run in CI)."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from drivers.voice import kokoro
from drivers.voice.pack import PackError, VoicePack, default_styles, extract_style
from drivers.voice.pcm import from_samples, rms_db
from drivers.voice.voice import Voice, VoiceOptions


def tone(seconds: float) -> object:
    return from_samples([6000 if (i // 20) % 2 else -6000 for i in range(int(24000 * seconds))])


def test_a_phrase_is_kept_with_its_text_phonemes_hash_and_level(tmp_path: Path) -> None:
    pack = VoicePack(tmp_path)
    pack.create("zf_xiaoyi", "ab" * 32, 0.9)
    assert pack.get("zh", "请A零零一号到一号窗口办理业务") is None
    pcm = tone(1.5)
    pack.put("zh", "请A零零一号到一号窗口办理业务", "ʨʰi↓ŋ…", pcm)  # type: ignore[arg-type]
    assert pack.get("zh", "请A零零一号到一号窗口办理业务") == pcm
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = manifest["phrases"].values()
    assert entry["text"] == "请A零零一号到一号窗口办理业务" and entry["phonemes"] == "ʨʰi↓ŋ…"
    assert entry["seconds"] == 1.5 and len(entry["sha256"]) == 64
    assert manifest["model"]["sha256"] == kokoro.MODEL_SHA256
    assert {"Apache-2.0", "MIT"} <= {part["licence"] for part in manifest["licences"]}


def test_the_pack_stays_bounded_dropping_its_oldest_phrases(tmp_path: Path) -> None:
    pack = VoicePack(tmp_path, max_phrases=3)
    pack.create("zf_xiaoyi", "ab" * 32, 0.9)
    for i in range(5):
        pack.put("zh", f"请A00{i}号", "", tone(0.1))  # type: ignore[arg-type]
    assert [p.text for p in pack.phrases()] == ["请A002号", "请A003号", "请A004号"]
    assert len(list((tmp_path / "phrases").glob("*.wav"))) == 3


def test_another_voice_or_speed_never_reuses_a_phrase(tmp_path: Path) -> None:
    pack = VoicePack(tmp_path)
    pack.create("zf_xiaoyi", "ab" * 32, 0.9)
    pack.put("zh", "请A001号", "", tone(0.2))  # type: ignore[arg-type]
    pack.create("zf_xiaoyi", "ab" * 32, 1.1)
    assert pack.get("zh", "请A001号") is None


def test_a_changed_phrase_file_is_reported(tmp_path: Path) -> None:
    pack = VoicePack(tmp_path)
    pack.create("zf_xiaoyi", "ab" * 32, 0.9)
    phrase = pack.put("zh", "请A001号", "", tone(0.2))  # type: ignore[arg-type]
    (tmp_path / "phrases" / f"{phrase.key}.wav").write_bytes(b"RIFF")
    assert any("请A001号" in p for p in pack.verify())


def test_a_style_that_is_not_the_pinned_kokoro_js_one_is_refused(tmp_path: Path) -> None:
    tarball = tmp_path / "kokoro-js.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        data = bytes(kokoro.STYLE_BYTES)
        info = tarfile.TarInfo("package/voices/zf_xiaoyi.bin")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(PackError, match="does not match"):
        extract_style(tarball, "zf_xiaoyi", tmp_path / "styles")
    with pytest.raises(PackError, match="npm pack kokoro-js"):
        extract_style(tmp_path / "absent.tgz", "zf_xiaoyi", tmp_path / "styles")


def test_without_a_pack_the_voice_says_what_one_command_brings_the_neural_voice(
    tmp_path: Path,
) -> None:
    voice = Voice(VoiceOptions(pack_dir=tmp_path / "none"))
    assert "make voice" in (voice.neural_state() or "")
    assert voice.source == "espeak-ng 1.52"


needs_neural = pytest.mark.skipif(
    not (kokoro.installed() and default_styles().is_file()),
    reason="the neural voice is installed by `make voice` (CI does)",
)


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("BRANCHQ_SLOW"), reason="slow: BRANCHQ_SLOW=1")
@needs_neural
def test_the_neural_voice_renders_calls_short_enough_and_at_one_level(tmp_path: Path) -> None:
    pack = VoicePack(tmp_path / "pack")
    style = extract_style(default_styles(), "zf_xiaoyi", pack.root / "styles")
    pack.create("zf_xiaoyi", kokoro.check_style(style, "zf_xiaoyi"), 0.9)
    voice = Voice(VoiceOptions(pack_dir=pack.root, role="build"))
    assert voice.source == "kokoro zf_xiaoyi"
    calls = ["请A零一二号到三号窗口办理业务", "请V零零八号到十二号窗口办理业务"]
    for text in calls:
        pcm = voice.sentence("zh", text)
        assert 2.0 < pcm.seconds < 4.5  # with the 1.45 s chime: within the hall's 6 s
        assert rms_db(pcm) == pytest.approx(-20.0, abs=1.0)
    again = Voice(VoiceOptions(pack_dir=pack.root))
    assert again.ready("zh", calls[0])  # kept in the pack: the next time costs a file read
    assert [p.text for p in pack.phrases()] == calls
    assert pack.verify() == []
