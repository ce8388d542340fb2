"""Kiosk benchmark: from a tap to the number on screen, and to the printer's cut.

    python bench/kiosk.py [--taps 30] [--size 1080x1920]

A real engine (subprocess, the demo branch on SQLite, its kiosk rate limit raised so that
the taps are not refused) and the real kiosk wiring in this process, headless. Each tap is a
pygame mouse event on a service's button; measured from posting it to (1) the first frame
flipped with that ticket's number (``POST /tickets`` answered, state changed, frame drawn)
and (2) the ticket's cut reaching the printer: a python-escpos ``Dummy`` (bytes rendered and
kept in memory) and the network printer simulator on loopback (``DLE EOT`` status asked
before and after, bytes over TCP; the time at which the simulator holds the cut). Target:
number on screen ≤ 150 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from escpos.printer import Dummy

from drivers.printer.simulator import CUT, PrinterSimulator
from kiosk.app import Kiosk
from kiosk.model import Choose, Showing
from tests.kiosk.running import (
    center,
    open_counter,
    running_kiosk,
    touch,
    until,
)
from tests.support.engine import DEMO_CONFIG, RunningEngine


def fast_config(folder: Path) -> Path:
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = text.replace("[kiosk]\n", "[kiosk]\nburst = 10000\n").replace(
        "rate_per_minute = 30", "rate_per_minute = 100000"
    )
    path = folder / "branch.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def one_tap(kiosk: Kiosk, clock: Any, cuts: Any) -> tuple[float, float]:
    """Tap service A on the choose screen; seconds to the number drawn and to the cut."""
    clock.advance(1.0)
    await until(lambda: isinstance(kiosk.state.screen, Choose))
    before = cuts()
    where = center(kiosk, "service:A")
    await asyncio.sleep(0.05)  # let the frame loop go idle, as a kiosk waiting for a finger
    t0 = time.perf_counter()
    touch(where)
    await until(lambda: isinstance(kiosk.state.screen, Showing) and kiosk.shown, 5)
    number = str(kiosk.state.screen.ticket["number"])  # type: ignore[union-attr]
    await until(lambda: number in kiosk.shown, 5)
    shown = kiosk.shown[number] - t0
    while cuts() <= before:
        await asyncio.sleep(0.0005)
    cut = time.perf_counter() - t0
    clock.advance(1.0)
    kiosk.tap_at(*center(kiosk, "done"))
    return shown, cut


async def run_printer(engine: RunningEngine, folder: Path, kind: str, taps: int,
                      size: tuple[int, int]) -> tuple[list[float], list[float]]:  # fmt: skip
    shown: list[float] = []
    cut: list[float] = []
    sim: PrinterSimulator | None = None
    device: Dummy | None = None
    printer: dict[str, Any] = {}
    if kind == "network":
        sim = PrinterSimulator().start()
        printer = {"transport": "network", "host": "127.0.0.1", "port": sim.port}

        def cuts() -> int:
            assert sim is not None
            return sim.job_bytes().count(CUT)
    else:
        device = Dummy()

        def cuts() -> int:
            assert device is not None
            return bytes(device.output).count(CUT)

    try:
        async with running_kiosk(engine.url, folder, printer, device, size) as (kiosk, clock):
            clock.advance(1.0)
            kiosk.tap_at(*center(kiosk, "wake"))
            for _ in range(taps):
                s, c = await one_tap(kiosk, clock, cuts)
                shown.append(s)
                cut.append(c)
    finally:
        if sim is not None:
            sim.stop()
    return shown, cut


def row(name: str, values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    p90 = ms[min(len(ms) - 1, int(len(ms) * 0.9))]
    return (f"{name:<34}{len(ms):>4}{statistics.median(ms):>9.1f}{p90:>9.1f}"
            f"{ms[-1]:>9.1f}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=30)
    parser.add_argument("--size", default="1080x1920")
    args = parser.parse_args(argv)
    w, h = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        engine = RunningEngine(workdir=folder, config=fast_config(folder)).start()
        try:
            open_counter(engine, 1)
            results = {}
            for kind in ("dummy", "network"):
                sub = folder / kind
                sub.mkdir()
                results[kind] = asyncio.run(run_printer(engine, sub, kind, args.taps, (w, h)))
        finally:
            engine.stop()
    print(f"kiosk {w}x{h}, local engine (SQLite), {args.taps} taps per printer; ms")
    print(f"{'measure':<34}{'n':>4}{'p50':>9}{'p90':>9}{'max':>9}")
    print(row("tap → number on screen (Dummy)", results["dummy"][0]))
    print(row("tap → cut (Dummy, in memory)", results["dummy"][1]))
    print(row("tap → number on screen (network)", results["network"][0]))
    print(row("tap → cut at network printer", results["network"][1]))
    print("target: number on screen ≤ 150 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
