"""The kiosk against a real engine and a real printer stack (python-escpos Dummy, a network
printer simulator): taps, card swipes, double taps, lost answers, paper out, engine outage."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pygame
import pytest
from escpos.printer import Dummy

from drivers.printer import NoPrinter
from drivers.printer.decode import TextLine, decode
from drivers.printer.simulator import PrinterSimulator, PrinterState
from kiosk import texts, view
from kiosk.model import Choose, Notice, Showing
from tests.kiosk.pixels import ink, share
from tests.kiosk.proxy import LosingProxy
from tests.kiosk.running import (
    center,
    held_numbers,
    lobby_get,
    lobby_post,
    open_counter,
    running_kiosk,
    swipe,
    tap,
    touch,
    until,
    waiting_numbers,
)
from tests.support.engine import RunningEngine

CARD = "6225881000004321"


def printed_lines(device: Dummy) -> list[str]:
    return [e.text for e in decode(bytes(device.output)) if isinstance(e, TextLine)]


def screenshot(kiosk: object, path: Path) -> pygame.Surface:
    kiosk.save_screenshot(path)  # type: ignore[attr-defined]
    return pygame.image.load(str(path))


def test_a_tap_issues_the_ticket_shows_its_number_and_prints_it(
    engine: RunningEngine, tmp_path: Path
) -> None:
    open_counter(engine, 1)
    device = Dummy()

    async def scenario() -> None:
        async with running_kiosk(engine.url, tmp_path, device=device) as (kiosk, clock):
            await tap(kiosk, clock, "wake")
            await tap(kiosk, clock, "service:A")
            await until(lambda: isinstance(kiosk.state.screen, Showing)
                        and kiosk.state.screen.printing == "printed")  # fmt: skip
            shot = screenshot(kiosk, tmp_path / "ticket.png")
            assert ink(shot, kiosk.painter.placed["number"], view.NUMBER) > 3000
            assert kiosk.latency and kiosk.latency[0][0] == "A001"

    asyncio.run(scenario())
    assert waiting_numbers(engine) == ["A001"]
    lines = printed_lines(device)
    assert "A001" in lines and "个人现金业务" in lines
    assert bytes(device.output).rstrip(b"\x00").endswith(b"\x1dV\x00") or b"\x1dV" in device.output


def test_a_double_tap_gives_one_ticket(engine: RunningEngine, tmp_path: Path) -> None:
    open_counter(engine, 1)

    async def scenario() -> None:
        async with running_kiosk(engine.url, tmp_path, device=Dummy()) as (kiosk, clock):
            await tap(kiosk, clock, "wake")
            clock.advance(1.0)
            where = center(kiosk, "service:B")
            touch(where)
            touch(where)  # the same finger bouncing
            await until(lambda: isinstance(kiosk.state.screen, Showing))
            clock.advance(0.2)  # and once more, just after the number appeared
            touch(where)
            await asyncio.sleep(0.3)
            assert isinstance(kiosk.state.screen, Showing)

    asyncio.run(scenario())
    assert waiting_numbers(engine) == ["B001"]


def test_a_lost_answer_is_retried_with_the_same_key_and_gives_one_ticket(
    engine: RunningEngine, tmp_path: Path
) -> None:
    open_counter(engine, 1)

    async def scenario() -> None:
        proxy = await LosingProxy(engine.port).start()
        try:
            async with running_kiosk(proxy.url, tmp_path, device=Dummy()) as (kiosk, clock):
                proxy.lose_issue_answers = 1
                await tap(kiosk, clock, "wake")
                await tap(kiosk, clock, "service:A")
                await until(lambda: isinstance(kiosk.state.screen, Showing))
                assert kiosk.state.screen.ticket["number"] == "A001"  # type: ignore[union-attr]
                assert proxy.issue_requests == 2
        finally:
            await proxy.stop()

    asyncio.run(scenario())
    assert waiting_numbers(engine) == ["A001"]


def test_a_card_swipe_raises_the_tier_and_the_screen_greets_it(
    engine: RunningEngine, tmp_path: Path
) -> None:
    open_counter(engine, 1)
    device = Dummy()

    async def scenario() -> str:
        async with running_kiosk(engine.url, tmp_path, device=device) as (kiosk, clock):
            await swipe(CARD)
            await until(lambda: kiosk.state.card is not None)
            assert isinstance(kiosk.state.screen, Choose)
            await tap(kiosk, clock, "service:A")
            await until(lambda: isinstance(kiosk.state.screen, Showing))
            shot = screenshot(kiosk, tmp_path / "vip.png")
            assert ink(shot, kiosk.painter.placed["greeting"], view.GOLD) > 500
            screen = kiosk.state.screen
            assert isinstance(screen, Showing)
            return str(screen.ticket["id"])

    ticket_id = asyncio.run(scenario())
    assert lobby_get(engine, f"/tickets/{ticket_id}")["tier"] == "gold"
    assert CARD not in " ".join(printed_lines(device)) and CARD.encode() not in device.output


def test_paper_out_holds_the_number_and_the_lobbys_reprint_puts_it_back_in_line(
    engine: RunningEngine, tmp_path: Path
) -> None:
    open_counter(engine, 1)
    sim = PrinterSimulator(state=PrinterState(paper="out")).start()
    printer = {"transport": "network", "host": "127.0.0.1", "port": sim.port, "timeout": 1.0}

    async def scenario() -> None:
        async with running_kiosk(engine.url, tmp_path, printer=printer) as (kiosk, clock):
            await tap(kiosk, clock, "wake")
            await tap(kiosk, clock, "service:A")
            await until(lambda: isinstance(kiosk.state.screen, Showing)
                        and kiosk.state.screen.printing == "failed")  # fmt: skip
            shot = screenshot(kiosk, tmp_path / "paper-out.png")
            assert share(shot, kiosk.painter.placed["print_failed"], view.OFFLINE) > 0.3
            assert ink(shot, kiosk.painter.placed["print_failed"], view.TEXT) > 500
            assert ink(shot, kiosk.painter.placed["number"], view.NUMBER) > 3000
            # The engine heard of it: A001 is held, not in the line.
            await until(lambda: held_numbers(engine) == ["A001"])
            assert waiting_numbers(engine) == []
            clock.advance(kiosk.state.timing.ticket_s + 1)  # a printed ticket would be gone
            await asyncio.sleep(0.4)
            assert isinstance(kiosk.state.screen, Showing)
            await tap(kiosk, clock, "done")
            await until(lambda: isinstance(kiosk.state.screen, Choose))
            await asyncio.sleep(0.05)
            shot = screenshot(kiosk, tmp_path / "fault.png")
            assert share(shot, kiosk.painter.placed["printer_fault"], view.FAULT) > 0.3
            # A new roll, and the lobby manager has the kiosk print A001 again.
            sim.refill()
            ticket_id = lobby_get(engine, "/queue")["services"][0]["held"][0]["id"]
            lobby_post(engine, f"/tickets/{ticket_id}/reprint")
            await until(lambda: waiting_numbers(engine) == ["A001"], timeout=30)
            assert held_numbers(engine) == []

    try:
        asyncio.run(scenario())
    finally:
        sim.stop()
    lines = [e.text for e in decode(sim.job_bytes()) if isinstance(e, TextLine)]
    assert lines.count("A001") == 1
    kiosk_device = next(d for d in lobby_get(engine, "/devices") if d["name"] == "kiosk-1")
    assert kiosk_device["status"] == "ok"  # the reprint printed: the printer is back


def test_without_a_printer_the_kiosk_says_to_remember_the_number_not_to_take_a_ticket(
    engine: RunningEngine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    open_counter(engine, 1)

    async def scenario() -> None:
        async with running_kiosk(engine.url, tmp_path) as (kiosk, clock):
            await tap(kiosk, clock, "wake")
            await tap(kiosk, clock, "service:A")
            await until(lambda: isinstance(kiosk.state.screen, Showing)
                        and kiosk.state.screen.printing == "unprinted")  # fmt: skip
            screen = kiosk.state.screen
            assert isinstance(screen, Showing)
            assert screen.printer_message == NoPrinter.message_zh
            await asyncio.sleep(0.05)
            shot = screenshot(kiosk, tmp_path / "no-printer.png")
            assert ink(shot, kiosk.painter.placed["print_failed"], view.TEXT) > 500
            assert "print_what" not in kiosk.painter.placed  # no reprint to ask for

    with caplog.at_level("WARNING", logger="kiosk"):
        asyncio.run(scenario())
    # Nobody lost a paper ticket: the number waits in line, not held for a reprint.
    assert waiting_numbers(engine) == ["A001"] and held_numbers(engine) == []
    assert any("no printer configured" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("token", "strip"),
    [
        ("demo-display", "本机令牌属于大厅显示屏，不是取号机的"),
        ("no-such-token", "本机令牌无效"),
    ],
)
def test_a_token_that_is_not_a_kiosks_is_said_on_screen_and_in_the_log(
    engine: RunningEngine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    token: str,
    strip: str,
) -> None:
    open_counter(engine, 1)

    async def scenario() -> None:
        async with running_kiosk(
            engine.url, tmp_path, device=Dummy(), token=token,
            ready=lambda k: k.state.token_problem,
        ) as (kiosk, clock):  # fmt: skip
            await tap(kiosk, clock, "wake")
            await until(lambda: kiosk.state.services or token == "no-such-token")
            kiosk.draw()
            assert "token" in kiosk.painter.placed and "offline" not in kiosk.painter.placed
            assert texts.token_line(kiosk.state.token_problem, "zh").startswith(strip)
            if kiosk.state.services:  # a display's token reads the services: a press says why
                await tap(kiosk, clock, "service:A")
                await until(lambda: isinstance(kiosk.state.screen, Notice))
                assert kiosk.state.screen.kind == "token"  # type: ignore[union-attr]

    with caplog.at_level("ERROR", logger="kiosk"):
        asyncio.run(scenario())
    assert waiting_numbers(engine) == []
    assert any('role = "kiosk"' in r.getMessage() for r in caplog.records)


def test_an_engine_outage_issues_nothing_says_so_and_recovers(
    engine: RunningEngine, tmp_path: Path
) -> None:
    open_counter(engine, 1)

    async def scenario() -> None:
        async with running_kiosk(engine.url, tmp_path, device=Dummy()) as (kiosk, clock):
            await tap(kiosk, clock, "wake")
            await asyncio.to_thread(engine.stop)
            await until(lambda: not kiosk.state.connected)
            await asyncio.sleep(0.05)
            shot = screenshot(kiosk, tmp_path / "offline.png")
            assert share(shot, kiosk.painter.placed["offline"], view.OFFLINE) > 0.3
            await tap(kiosk, clock, "service:A")
            screen = kiosk.state.screen
            assert isinstance(screen, Notice) and screen.kind == "offline"
            await asyncio.to_thread(engine.start)
            await until(lambda: kiosk.state.connected, timeout=20)
            await tap(kiosk, clock, "back")
            await tap(kiosk, clock, "service:A")
            await until(lambda: isinstance(kiosk.state.screen, Showing))
            assert kiosk.state.screen.ticket["number"] == "A001"  # type: ignore[union-attr]

    asyncio.run(scenario())
    assert waiting_numbers(engine) == ["A001"]


@pytest.mark.parametrize("lang", ["en"])
def test_the_language_button_switches_the_whole_screen(
    engine: RunningEngine, tmp_path: Path, lang: str
) -> None:
    async def scenario() -> None:
        async with running_kiosk(engine.url, tmp_path, device=Dummy()) as (kiosk, clock):
            await tap(kiosk, clock, "wake")
            await tap(kiosk, clock, "lang")
            assert kiosk.state.lang == lang
            await asyncio.sleep(0.05)
            assert kiosk.painter.placed["name:A"]  # drawn in English
            clock.advance(kiosk.state.timing.idle_reset_s + 1)
            await until(lambda: kiosk.state.lang == "zh")

    asyncio.run(scenario())
