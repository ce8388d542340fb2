"""``branchq voice``: build the voice pack, say a call into a WAV file, show the voice in use.

``build`` is an install step (``make voice`` runs it): it checks the model parts and the
voice style against their sha256, copies the style into the pack and renders one call per
counter so the pack is proven to speak. ``say`` renders exactly what the hall display says
for a call (chime, Chinese, English when the branch has it), with the voice the branch has:
installers use it to test the speakers. ``list`` tells which voice is in use and why.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from display.announce import spoken_text
from display.settings import BranchSettings, VoiceSettings, branch_settings
from display.sound import opening, saying
from display.state import Call
from drivers.voice import kokoro
from drivers.voice.pack import PackError, VoicePack, default_dir, default_styles, extract_style
from drivers.voice.pcm import join, peak_db, rms_db, write_wav
from drivers.voice.voice import Voice, VoiceOptions
from queue_core.wire import counter_ref_of


def branch_body(config_file: str | None) -> dict[str, Any]:
    """The branch as ``GET /branch`` gives it, read from the TOML (the demo branch by default)."""
    from queue_core.config import load_config

    config = load_config(config_file)
    return {
        "branch": config.branch.model_dump(),
        "services": [s.model_dump() | {"prefix": s.ticket_prefix} for s in config.services],
        "tiers": [t.model_dump() for t in config.tiers],
        "counters": [c.model_dump() | {"name": c.display_name} for c in config.counters],
        "display": config.display,
        "voice": config.voice,
    }


def pack_dir(args: argparse.Namespace, voice: VoiceSettings) -> Path:
    if args.pack:
        return Path(args.pack)
    return Path(voice.pack_dir) if voice.pack_dir else default_dir()


def voice_for(args: argparse.Namespace, settings: VoiceSettings, role: str) -> Voice:
    recordings = Path(settings.segments_dir) if settings.segments_dir else None
    return Voice(VoiceOptions(pack_dir(args, settings), recordings, role,
                              espeak_wpm=settings.espeak_wpm))  # fmt: skip


def build(args: argparse.Namespace) -> int:
    body = branch_body(args.config)
    settings = branch_settings(body).voice
    name = args.voice or settings.voice
    speed = args.speed or settings.speed
    pack = VoicePack(pack_dir(args, settings))
    try:
        style = extract_style(Path(args.styles) if args.styles else default_styles(), name,
                              pack.root / "styles")  # fmt: skip
        kokoro.model_bytes()  # refuses damaged or missing parts before anything is written
        pack.create(name, kokoro.check_style(style, name), speed)
    except (PackError, kokoro.NeuralVoiceMissing) as exc:
        print(f"branchq voice build: {exc}", file=sys.stderr)
        return 2
    voice = voice_for(args, settings, "build")
    voice.options = VoiceOptions(pack.root, None, "build")  # the neural voice, not recordings
    print(f"voice pack {pack.root}: {kokoro.MODEL_NAME}, voice {name}, speed {speed}")
    print(f"{'sentence':<34} {'s':>5} {'dB RMS':>7} {'peak':>6} {'render s':>9}")
    prefixes = {str(s["code"]): str(s.get("prefix") or s["code"]) for s in body["services"]}
    for counter in body["counters"][: args.counters]:
        for service in counter.get("services", [])[:1]:
            text = spoken_text(settings.template_zh, "zh", f"{prefixes[service]}001",
                               int(counter["number"]))  # fmt: skip
            started = time.perf_counter()
            pcm = voice.sentence("zh", text)
            took = time.perf_counter() - started
            print(f"{text:<34} {pcm.seconds:5.2f} {rms_db(pcm):7.1f} {peak_db(pcm):6.1f} "
                  f"{took:9.2f}")  # fmt: skip
    state = voice.neural_state()
    if state is not None:
        print(f"branchq voice build: {state}", file=sys.stderr)
        return 2
    print(f"{len(pack.phrases())} sentences in the pack; the display renders the rest as "
          "tickets are issued")  # fmt: skip
    return 0


def say(args: argparse.Namespace) -> int:
    body = branch_body(args.config)
    settings: BranchSettings = branch_settings(body)
    voice_settings = settings.voice
    langs = (args.lang,) if args.lang else None
    voice = voice_for(args, voice_settings, "build")
    names = {int(c["number"]): str(c["name"]) for c in body["counters"]}
    ref = counter_ref_of(args.counter)
    name = names.get(args.counter, ref["name"])
    call = Call(args.number, args.number, "", False, False, args.counter, name, ref["name_en"],
                0, 1, False, None, 0.0, True)  # fmt: skip
    if args.text:
        pcm = voice.say(args.text, args.lang or "zh")
    else:
        pcm = join([opening(voice_settings), saying(call, voice_settings, voice, langs)])
    write_wav(Path(args.out), pcm)
    print(f"{args.out}: {pcm.seconds:.2f} s, {rms_db(pcm):.1f} dB RMS, voice {voice.source}")
    return 0 if pcm.data else 1


def show(args: argparse.Namespace) -> int:
    settings = branch_settings(branch_body(args.config)).voice
    voice = voice_for(args, settings, "display")
    print(f"voice in use: {voice.source}")
    state = voice.neural_state()
    print(f"neural voice: {'ready' if state is None else state}")
    pack = voice.pack
    if pack.exists():
        m = pack.manifest()
        phrases = pack.phrases()
        print(f"pack: {pack.root}")
        print(f"  model {m['model']['name']} sha256 {m['model']['sha256'][:16]}…")
        print(f"  voice {m['voice']['name']} sha256 {m['voice']['sha256'][:16]}… "
              f"speed {m['voice']['speed']} ({m['voice']['source']})")  # fmt: skip
        print(f"  {len(phrases)} sentences, {sum(p.seconds for p in phrases):.0f} s of speech")
        problems = pack.verify()
        print("  verified" if not problems else "  problems:\n    " + "\n    ".join(problems))
    else:
        print(f"pack: none in {pack.root} (make voice)")
    recordings = voice.recordings
    print(f"recordings: {recordings.folder if recordings.available() else 'none'}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="branchq voice", description="The hall's voice.")
    sub = p.add_subparsers(dest="command", required=True)
    for name, text in (("build", "render the voice pack (an install step)"),
                       ("say", "render a call (or --text) into a WAV file"),
                       ("list", "show the voice in use and the pack's state")):  # fmt: skip
        q = sub.add_parser(name, help=text)
        q.add_argument("--config", help="branch TOML (default: the demo branch)")
        q.add_argument("--pack", help=f"voice pack folder (default: {default_dir()})")
        if name == "build":
            q.add_argument(
                "--styles", help="kokoro-js 1.2.1 npm tarball (npm pack kokoro-js@1.2.1)"
            )
            q.add_argument("--voice", choices=sorted(kokoro.VOICE_SHA256))
            q.add_argument("--speed", type=float)
            q.add_argument("--counters", type=int, default=20, help="calls rendered as a check")
        if name == "say":
            q.add_argument("--number", default="A012")
            q.add_argument("--counter", type=int, default=3)
            q.add_argument("--lang", choices=("zh", "en"))
            q.add_argument("--text", help="any sentence instead of a call")
            q.add_argument("--out", required=True, help="the WAV file to write")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return {"build": build, "say": say, "list": show}[args.command](args)
