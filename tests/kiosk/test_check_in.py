"""The kiosk checks in a customer who took a number on their phone or booked a window: the
code typed on its touch screen (or read by a scanner that types like a keyboard) becomes the
ticket in the queue, shown and printed like a walk-in's; a wrong or used code says what to do.
Against a real engine whose branch it is about noon in, and a python-escpos Dummy printer
whose bytes are decoded back."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pygame
from escpos.printer import Dummy

from drivers.printer.decode import TextLine, decode
from kiosk import texts, view
from kiosk.model import CodeEntry, Notice, Showing
from tests.caller.test_lobby_appointments import _branch_file
from tests.kiosk.pixels import ink
from tests.kiosk.running import (
    lobby_post,
    open_counter,
    running_kiosk,
    swipe,
    tap,
    until,
    waiting_numbers,
)
from tests.support.engine import KIOSK_TOKEN, RunningEngine

PHONE = "0123456789abcdef0123456789abcdef"


def printed(device: Dummy) -> list[str]:
    return [e.text for e in decode(bytes(device.output)) if isinstance(e, TextLine)]


def kiosk_post(engine: RunningEngine, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    return httpx.post(f"{engine.url}/api/v1{path}", json=body, headers=headers, timeout=10)


def test_a_code_typed_or_scanned_at_the_kiosk_prints_the_customers_ticket(
    tmp_path: Path,
) -> None:
    engine = RunningEngine(workdir=tmp_path, config=_branch_file(tmp_path)).start()
    try:
        _check_in_at_the_kiosk(engine, tmp_path)
    finally:
        engine.stop()


def a_phone_ticket_and_a_walk_in(engine: RunningEngine) -> tuple[dict[str, Any], dict[str, Any]]:
    """Counter 1 open, then an A ticket taken on a phone (remote, not yet in the queue) and a
    walk-in's A ticket from the kiosk: the two the check-in tests start from."""
    open_counter(engine, 1)
    taken = httpx.post(
        f"{engine.url}/api/v1/phone/tickets", json={"service": "A", "browser": PHONE}, timeout=10
    ).json()
    return taken, kiosk_post(engine, "/tickets", {"service": "A"}).json()


def _check_in_at_the_kiosk(engine: RunningEngine, tmp_path: Path) -> None:
    api = f"{engine.url}/api/v1"
    taken, walk_in = a_phone_ticket_and_a_walk_in(engine)
    today = httpx.get(f"{api}/phone/branch", timeout=10).json()["today"]
    slots = httpx.get(
        f"{api}/appointments/slots",
        params={"service": "A", "day": today},
        headers={"Authorization": f"Bearer {engine.lobby_token()}"},
        timeout=10,
    ).json()["windows"]
    booked = lobby_post(engine, "/appointments", {"service": "A", "day": today,
                                                  "start": slots[0]["start"]})  # fmt: skip
    code = taken["check_in_code"]
    device = Dummy()

    async def scenario() -> tuple[str, str]:
        async with running_kiosk(engine.url, tmp_path, device=device) as (kiosk, clock):
            await tap(kiosk, clock, "wake")
            assert kiosk.state.check_in
            await tap(kiosk, clock, "check-in")
            assert isinstance(kiosk.state.screen, CodeEntry)
            for digit in code:
                await tap(kiosk, clock, f"code:{digit}")
            shot = tmp_path / "code.png"
            kiosk.save_screenshot(shot)
            surface = pygame.image.load(str(shot))
            assert ink(surface, kiosk.painter.placed["code"], view.NUMBER) > 2000
            await tap(kiosk, clock, "code:ok")
            await until(lambda: isinstance(kiosk.state.screen, Showing)
                        and kiosk.state.screen.printing == "printed")  # fmt: skip
            screen = kiosk.state.screen
            assert isinstance(screen, Showing)
            remote = (str(screen.ticket["number"]), int(screen.ticket["ahead"]))
            assert remote[1] == 1  # behind the walk-in who came before the check-in

            # The scanner reads the appointment's QR code: "BQ" and the digits, then Enter.
            await tap(kiosk, clock, "done")
            await swipe(f"BQ{booked['code']}")
            await until(lambda: isinstance(kiosk.state.screen, Showing)
                        and kiosk.state.screen.printing == "printed"
                        and kiosk.state.screen.ticket["number"] != remote[0])  # fmt: skip
            screen = kiosk.state.screen
            assert isinstance(screen, Showing)
            appointment = str(screen.ticket["number"])

            # The same code again: used; a mistyped one: type it again.
            await tap(kiosk, clock, "done")
            await tap(kiosk, clock, "check-in")
            await swipe(code)  # a keyboard's digits and Enter on the keypad screen
            await until(lambda: isinstance(kiosk.state.screen, Notice))
            assert kiosk.state.screen.kind == "code_used"  # type: ignore[union-attr]
            await tap(kiosk, clock, "back")
            await tap(kiosk, clock, "check-in")
            await swipe("00000000")
            await until(lambda: isinstance(kiosk.state.screen, Notice))
            assert kiosk.state.screen.kind == "code_unknown"  # type: ignore[union-attr]
            kiosk.save_screenshot(tmp_path / "wrong.png")
            title = kiosk.painter.placed["notice"]
            surface = pygame.image.load(str(tmp_path / "wrong.png"))
            assert ink(surface, title, view.NUMBER) > 2000 and title[3] >= 96  # large type
            await tap(kiosk, clock, "back")
            assert isinstance(kiosk.state.screen, CodeEntry)  # "重新输入"
            return remote[0], appointment

    remote_number, appointment_number = asyncio.run(scenario())
    assert remote_number == taken["number"]
    lines = printed(device)
    # Both printed like walk-ins: the number, the service, the people ahead.
    assert remote_number in lines and appointment_number in lines
    assert "个人现金业务" in lines
    assert any(line.startswith("您前面还有") for line in lines)
    queue = waiting_numbers(engine)
    assert {remote_number, appointment_number, walk_in["number"]} <= set(queue)
    assert texts.NOTICES["code_unknown"][1][0].endswith("请找大堂经理")

    # The API's answers to a kiosk, as the screens above read them.
    assert (
        kiosk_post(engine, "/phone/check-in-code", {"code": "12"}).json()["error"]["code"]
        == "invalid_check_in_code"
    )
    for body, status, error in (
        ({"code": "00000000"}, 404, "check_in_code_unknown"),
        ({"code": code}, 409, "check_in_code_used"),
        ({"code": f"BQ{booked['code']}"}, 409, "check_in_code_used"),
    ):
        answer = kiosk_post(engine, "/phone/check-in-code", body)
        assert (answer.status_code, answer.json()["error"]["code"]) == (status, error)
    # The phone page's QR code of a code (what the scanner above read), and nothing else.
    qr = httpx.get(f"{api}/phone/code.svg", params={"code": code}, timeout=10)
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert httpx.get(f"{api}/phone/code.svg", params={"code": "12"}, timeout=10).status_code == 422
    # The kiosk may check in, not list the numbers on their way.
    refused = httpx.get(
        f"{api}/phone/remote", headers={"Authorization": f"Bearer {KIOSK_TOKEN}"}, timeout=10
    )
    assert refused.status_code == 403
