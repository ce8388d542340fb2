"""Care mode checks in a customer who took a number on their phone, on the 15.6" landscape
kiosk whose care layout has the least room: the header's 签到 button, the keypad in large
yellow digits at 7:1 or more, the voice saying what to type and where OK is, and the ticket
printed like a walk-in's. A real kiosk (pygame, dummy video) against a real engine, the
guidance rendered by eSpeak NG, a python-escpos Dummy printer whose bytes are decoded back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pygame
from escpos.printer import Dummy

from kiosk import care_view
from kiosk.model import Choose, CodeEntry, Showing
from tests.caller.test_lobby_appointments import _branch_file
from tests.kiosk.contrast import KIOSKS, measure, targets_mm
from tests.kiosk.pixels import ink
from tests.kiosk.running import running_kiosk, tap, until, waiting_numbers
from tests.kiosk.test_care_live import Ear
from tests.kiosk.test_check_in import a_phone_ticket_and_a_walk_in, printed
from tests.support.engine import RunningEngine

LANDSCAPE = KIOSKS['15.6" landscape']


def test_a_care_mode_customer_checks_in_with_the_phones_code_and_gets_the_ticket(
    tmp_path: Path,
) -> None:
    engine = RunningEngine(workdir=tmp_path, config=_branch_file(tmp_path)).start()
    try:
        _check_in_in_care_mode(engine, tmp_path)
    finally:
        engine.stop()


def _check_in_in_care_mode(engine: RunningEngine, tmp_path: Path) -> None:
    taken, walk_in = a_phone_ticket_and_a_walk_in(engine)
    code = str(taken["check_in_code"])
    device, ear = Dummy(), Ear()
    size = LANDSCAPE[:2]

    async def scenario() -> tuple[str, int, str]:
        async with running_kiosk(engine.url, tmp_path, device=device, size=size,
                                 speaker=ear) as (kiosk, clock):  # fmt: skip
            await tap(kiosk, clock, "care:on")
            assert kiosk.state.care and isinstance(kiosk.state.screen, Choose)
            sizes = targets_mm(kiosk.state, *LANDSCAPE)
            assert sizes["check-in"] >= 15 and min(sizes.values()) >= 15, sizes
            choices = await until(
                lambda: next((t for t, _ in ear.heard if "请选择您要办理的业务" in t), ""),
                timeout=60,
            )
            assert "在手机上取了号或者预约了的，请按右上角的签到。" in choices
            shot = tmp_path / "choose.png"
            kiosk.save_screenshot(shot)
            label = measure(pygame.image.load(str(shot)), "check-in",
                            kiosk.painter.placed["check-in"])  # fmt: skip
            assert label.ratio >= 7.0, label

            await tap(kiosk, clock, "check-in")
            assert isinstance(kiosk.state.screen, CodeEntry) and kiosk.state.care
            said = await until(
                lambda: next((t for t, _ in ear.heard if "八位签到码" in t), ""), timeout=60
            )
            assert "右下角的确定" in said and "最下面中间的返回" in said
            for digit in code:
                await tap(kiosk, clock, f"code:{digit}")
            kiosk.save_screenshot(shot)
            surface = pygame.image.load(str(shot))
            digits = kiosk.painter.placed["code"]
            assert ink(surface, digits, care_view.YELLOW) > 3000  # large yellow digits
            assert measure(surface, "code", digits).ratio >= 7.0
            assert digits[3] >= 100  # taller than the standard keypad's on this screen
            await tap(kiosk, clock, "code:ok")
            await until(lambda: isinstance(kiosk.state.screen, Showing)
                        and kiosk.state.screen.printing == "printed")  # fmt: skip
            screen = kiosk.state.screen
            assert isinstance(screen, Showing) and kiosk.state.care
            number = str(screen.ticket["number"])
            read = await until(
                lambda: next((t for t, _ in ear.heard if t.startswith("您的号码是")), ""),
                timeout=60,
            )
            return number, int(screen.ticket["ahead"]), read

    number, ahead, read = asyncio.run(scenario())
    assert number == taken["number"]
    assert ahead == 1  # behind the walk-in who came before the check-in
    assert "您前面还有一人" in read
    lines = printed(device)
    assert number in lines and "个人现金业务" in lines
    assert any(line.startswith("您前面还有") for line in lines)
    assert {number, walk_in["number"]} <= set(waiting_numbers(engine))
