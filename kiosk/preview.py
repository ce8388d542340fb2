"""Draw each kiosk screen from example data into PNGs (the reference pictures in the docs).

    python -m kiosk.preview docs/screens        # kiosk-choose.png, kiosk-ticket.png, …

No engine is needed: the states are built with ``step`` from the demo branch's shapes, so a
picture shows exactly what the kiosk draws for that state.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from kiosk.model import (
    BranchLoaded,
    HelpAsked,
    Issued,
    IssueFailed,
    Key,
    KioskState,
    LocalSettings,
    Message,
    PinChecked,
    Printed,
    PrintFailed,
    ServicesLoaded,
    Tap,
)
from kiosk.model import Link as LinkChanged
from kiosk.state import new_state, step
from queue_core import DEFAULT_ENGINE

NOW = 1_790_000_000.0

BRANCH: dict[str, Any] = {
    "branch": {"code": "0101", "name": "城东支行", "name_en": "Chengdong Sub-branch",
               "languages": ["zh", "en"]},
    "services": [
        {"code": "A", "name": "个人现金业务", "name_en": "Personal cash"},
        {"code": "B", "name": "个人非现金业务", "name_en": "Personal non-cash"},
        {"code": "C", "name": "对公业务", "name_en": "Corporate"},
        {"code": "D", "name": "开户与理财", "name_en": "Accounts & wealth"},
        {"code": "V", "name": "贵宾业务", "name_en": "VIP banking"},
    ],
    "kiosk": {"idle_reset_s": 30},
    "check_in": {"remote": True, "appointments": True},
}  # fmt: skip
SERVICES = [
    {"code": "A", "name": "个人现金业务", "name_en": "Personal cash", "waiting": 7,
     "estimated_wait_s": 610, "open": True},
    {"code": "B", "name": "个人非现金业务", "name_en": "Personal non-cash", "waiting": 3,
     "estimated_wait_s": 420, "open": True},
    {"code": "C", "name": "对公业务", "name_en": "Corporate", "waiting": 0,
     "estimated_wait_s": None, "open": True},
    {"code": "D", "name": "开户与理财", "name_en": "Accounts & wealth", "waiting": 1,
     "estimated_wait_s": 700, "open": False},
    {"code": "V", "name": "贵宾业务", "name_en": "VIP banking", "waiting": 0,
     "estimated_wait_s": None, "open": True},
]  # fmt: skip
TICKET = {"id": "demo", "number": "A008", "service": "A", "tier": "normal", "is_vip": False,
          "tier_name": "普通客户", "tier_name_en": "Customer", "ahead": 7,
          "estimated_wait_s": 610}  # fmt: skip


def run(state: KioskState, *messages: Message) -> KioskState:
    for message in messages:
        state, _ = step(state, message)
    return state


def ready() -> KioskState:
    state = new_state("preview", LocalSettings(DEFAULT_ENGINE), pin_set=True)
    return run(state, BranchLoaded(BRANCH, NOW), ServicesLoaded(SERVICES, NOW),
               LinkChanged(True, NOW))  # fmt: skip


def issued(state: KioskState, ticket: dict[str, Any], at: float) -> KioskState:
    state = run(state, Tap("wake", at), Tap(f"service:{ticket['service']}", at + 1))
    key = f"preview-{state.presses}"
    return run(state, Issued(key, ticket, at + 1.1))


def screens() -> Iterator[tuple[str, KioskState]]:
    """Each reference picture's name and state."""
    base = ready()
    yield "attract", base
    choose = run(base, Tap("wake", NOW + 1))
    yield "choose", choose
    yield "choose-en", run(choose, Tap("lang", NOW + 2))
    yield "ticket", run(issued(base, TICKET, NOW), Printed("demo", NOW + 2))
    gold = {**TICKET, "id": "gold", "number": "V001", "service": "V", "tier": "gold",
            "is_vip": True, "tier_name": "金卡客户", "tier_name_en": "Gold", "ahead": 0,
            "estimated_wait_s": None}  # fmt: skip
    carded = run(base, *(Key(d, NOW + i * 0.01) for i, d in enumerate("6225881234567890")),
                 Key("enter", NOW + 0.2))  # fmt: skip
    yield "card", carded
    yield "vip", run(issued(carded, gold, NOW + 1), Printed("gold", NOW + 3))
    failed = PrintFailed("demo", "paper_out", "打印机缺纸，请联系大堂经理", NOW + 2)
    yield "print-failed", run(issued(base, TICKET, NOW), failed)
    offline = run(choose, LinkChanged(False, NOW + 3))
    yield "offline", offline
    yield "offline-notice", run(offline, Tap("service:A", NOW + 5))
    code = run(choose, Tap("check-in", NOW + 3), *(Tap(f"code:{d}", NOW + 4 + i)
                                                   for i, d in enumerate("402133")))  # fmt: skip
    yield "check-in", code
    typed = run(code, Tap("code:7", NOW + 11), Tap("code:7", NOW + 12), Tap("code:ok", NOW + 13))
    yield "check-in-used", run(typed, IssueFailed(f"preview-{typed.presses}", 409,
                                                  "check_in_code_used", NOW + 13.2))  # fmt: skip
    pin = run(choose, Key("operator", NOW + 3), Key("1", NOW + 4), Key("2", NOW + 4.1))
    yield "pin", pin
    yield "settings", run(pin, Key("enter", NOW + 5), PinChecked(True, NOW + 5.2))
    yield from care_screens(base)


def care_screens(base: KioskState) -> Iterator[tuple[str, KioskState]]:
    """Care mode's screens (large type, high contrast, fewer choices, spoken guidance)."""
    yield "care-attract", replace(base, care=True)
    choose = run(base, Tap("care:on", NOW + 1))
    yield "care-choose", choose
    yield "care-choose-en", run(choose, Tap("lang", NOW + 2))
    ticket = run(choose, Tap("service:A", NOW + 3), Issued("preview-1", TICKET, NOW + 3.1))
    yield "care-ticket", run(ticket, Printed("demo", NOW + 5))
    failed = PrintFailed("demo", "paper_out", "打印机缺纸，请联系大堂经理", NOW + 5)
    yield "care-print-failed", run(ticket, failed)
    offline = run(choose, LinkChanged(False, NOW + 3))
    yield "care-offline", offline
    yield "care-offline-notice", run(offline, Tap("service:A", NOW + 5))
    yield "care-priority", run(choose, Tap("care:priority", NOW + 3))
    yield "care-help-sent", run(choose, Tap("care:help", NOW + 3), HelpAsked(True, NOW + 3.2))
    code = run(choose, Tap("check-in", NOW + 3), *(Tap(f"code:{d}", NOW + 4 + i)
                                                   for i, d in enumerate("402133")))  # fmt: skip
    yield "care-check-in", code
    yield "care-check-in-en", run(code, Tap("lang", NOW + 11))
    done = run(code, Tap("code:7", NOW + 11), Tap("code:7", NOW + 12))
    yield "care-check-in-ready", done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.preview")
    parser.add_argument("out", type=Path, help="folder for kiosk-*.png")
    parser.add_argument("--size", default="1080x1920")
    args = parser.parse_args(argv)
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    from drivers.screen.fonts import find_cjk_font
    from kiosk.view import Painter

    w, h = (int(x) for x in args.size.split("x"))
    pygame.font.init()
    surface = pygame.Surface((w, h))
    painter = Painter(surface, find_cjk_font())
    args.out.mkdir(parents=True, exist_ok=True)
    for name, state in screens():
        painter.draw(state)
        pygame.image.save(surface, str(args.out / f"kiosk-{name}.png"))
        print(args.out / f"kiosk-{name}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
