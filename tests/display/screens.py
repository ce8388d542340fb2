"""Make the reference screenshots in docs/screens/ from a real engine and real displays.

    python -m tests.display.screens [--out docs/screens]

A demo-branch engine runs a short morning (counters opened, one paused, tickets issued
and called, a VIP and a green-channel call, a notice on the marquee); two displays
(landscape 1920×1080 and portrait 1080×1920) follow it and are asked for screenshots.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from queue_core.client import EngineClient
from tests.display.running import RunningDisplay
from tests.support.engine import RunningEngine

NOTICE = (
    "今日为养老金发放日，老年客户请到8号爱心窗口办理　"
    "Pension day: seniors please use care counter 8"
)


def morning(engine: RunningEngine) -> None:
    """Open counters, issue tickets, call some, pause one, post a notice."""
    lobby = EngineClient(engine.url)
    lobby.login("lobby", "6789")
    tellers = {n: EngineClient(engine.url, engine.teller_token(n)) for n in (1, 2, 3, 4, 5, 7, 8)}
    for n, teller in tellers.items():
        teller.counter_action(n, "open")
    for service, count in (("A", 12), ("B", 6), ("C", 2), ("D", 2)):
        for _ in range(count):
            lobby.issue(service)
    lobby.issue("V", tier="gold")
    lobby.issue("V", tier="diamond")
    lobby.issue("A", green_channel=True)
    lobby.request("POST", "/announcements", {"text": NOTICE})
    for n in (1, 2, 5, 4, 7, 8, 1, 2):
        if tellers[n].call_next(n) is not None:
            tellers[n].counter_action(n, "start")
            time.sleep(0.1)
            tellers[n].counter_action(n, "finish")
    tellers[4].counter_action(4, "pause", {"reason": "午休"})
    tellers[3].call_next(3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="reference screenshots of the hall display")
    parser.add_argument("--out", type=Path, default=Path("docs/screens"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        engine = RunningEngine(workdir=work).start()
        displays = {}
        try:
            for name, size in (("landscape", (1920, 1080)), ("portrait", (1080, 1920))):
                (work / name).mkdir()
                displays[name] = RunningDisplay(engine, work / name, size, extra=["--no-voice"])
                displays[name].start().wait_for("event link up")
            time.sleep(1.5)
            displays["landscape"].shot()
            shutil.copy(displays["landscape"].screenshot, args.out / "display-opening.png")
            morning(engine)
            time.sleep(0.25)  # inside the first half-second of the flash
            for name, display in displays.items():
                display.shot()
                target = "display-calling.png" if name == "landscape" else f"display-{name}.png"
                shutil.copy(display.screenshot, args.out / target)
            engine.stop()
            displays["landscape"].wait_for("event link lost")
            time.sleep(7)  # past the flash: the hall's steady view while the link is down
            displays["landscape"].shot()
            shutil.copy(displays["landscape"].screenshot, args.out / "display-offline.png")
        finally:
            for display in displays.values():
                display.stop()
            engine.stop()
    for png in sorted(args.out.glob("display-*.png")):
        print(png, png.stat().st_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
