"""The hall display against a real engine: calls on the screen and in the voice, offline
mark and recovery, all from real screenshots (pixel regions) and the display's own log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from display.layout import layout_for, service_cells
from display.view import NEXT, NUMBER, OFFLINE, TEXT
from drivers.screen.fonts import find_cjk_font
from queue_core.client import EngineClient
from tests.display.pixels import ink, shows
from tests.display.running import RunningDisplay
from tests.support.engine import KIOSK_TOKEN, RunningEngine

FONT = find_cjk_font()
LAYOUT = layout_for(1920, 1080)


@pytest.fixture
def display(engine: RunningEngine, tmp_path: Path) -> Iterator[RunningDisplay]:
    running = RunningDisplay(engine, tmp_path / "display")
    running.workdir.mkdir()
    running.start()
    try:
        running.wait_for("event link up")
        yield running
    finally:
        running.stop()


def teller(engine: RunningEngine, counter: int) -> EngineClient:
    client = EngineClient(engine.url, engine.teller_token(counter))
    client.counter_action(counter, "open")
    return client


def shows_call(shot: pygame.Surface, number: str, counter: str) -> bool:
    number_ok = shows(shot, FONT, number, LAYOUT.px("number"), NUMBER,
                      LAYOUT.rect("current_number")) > 0.9  # fmt: skip
    counter_ok = shows(shot, FONT, f"→ {counter}", LAYOUT.px("counter"), TEXT,
                       LAYOUT.rect("current_counter")) > 0.9  # fmt: skip
    return number_ok and counter_ok


def test_a_call_shows_its_number_and_counter_and_the_next_numbers(
    engine: RunningEngine, display: RunningDisplay
) -> None:
    kiosk = EngineClient(engine.url, KIOSK_TOKEN)
    for _ in range(3):
        kiosk.issue("A")
    called = teller(engine, 3).call_next(3)
    assert called is not None and called["number"] == "A001"
    display.wait_for("announce: 请 A001 号 到 3 号窗口")
    shot = display.shot()
    assert shows_call(shot, "A001", "3号窗口")
    # "Please get ready": the engine's next numbers for service A, in the first service row.
    _, rows = service_cells(LAYOUT, 5)  # the demo branch has five services, A first
    assert shows(shot, FONT, "A002  A003", LAYOUT.px("next"), NEXT, rows[0]["next"]) > 0.9
    assert shows(shot, FONT, "2", LAYOUT.px("waiting"), TEXT, rows[0]["waiting"], "center") > 0.9
    assert ink(shot, LAYOUT.rect("offline"), OFFLINE).count() == 0


def test_calls_are_announced_in_order_once_each_and_a_recall_again(
    engine: RunningEngine, display: RunningDisplay
) -> None:
    kiosk = EngineClient(engine.url, KIOSK_TOKEN)
    for _ in range(2):
        kiosk.issue("A")
    first, second = teller(engine, 1), teller(engine, 2)
    first.call_next(1)
    second.call_next(2)
    display.wait_for("announce: 请 A002 号 到 2 号窗口", timeout=30)
    first.counter_action(1, "recall")
    display.wait_for("announce: 请 A001 号 到 1 号窗口", timeout=30)
    spoken = [line for line in display.lines if "announce:" in line]
    said = [line.split("announce: ")[1].split(" (")[0] for line in spoken]
    assert said == ["请 A001 号 到 1 号窗口 办理业务", "请 A002 号 到 2 号窗口 办理业务",
                    "请 A001 号 到 1 号窗口 办理业务"]  # fmt: skip
    shot = display.shot()
    assert shows_call(shot, "A001", "1号窗口")


def test_offline_mark_while_the_engine_is_down_and_no_call_lost_after_restart(
    engine: RunningEngine, display: RunningDisplay
) -> None:
    kiosk = EngineClient(engine.url, KIOSK_TOKEN)
    kiosk.issue("A")
    kiosk.issue("A")
    teller(engine, 3).call_next(3)
    display.wait_for("announce: 请 A001 号 到 3 号窗口")

    engine.stop()
    display.wait_for("event link lost")
    shot = display.shot()
    assert ink(shot, LAYOUT.rect("offline"), OFFLINE).count() > 300
    assert shows_call(shot, "A001", "3号窗口")  # the last call stays up while offline

    engine.start()
    # Called while the display is still backing off: it must come in the replay.
    again = EngineClient(engine.url, engine.teller_token(3))
    again.counter_action(3, "finish")
    called = again.call_next(3)
    assert called is not None and called["number"] == "A002"
    display.wait_for("event link up", timeout=30)
    display.wait_for("announce: 请 A002 号 到 3 号窗口", timeout=30)
    shot = display.shot()
    assert ink(shot, LAYOUT.rect("offline"), OFFLINE).count() == 0
    assert shows_call(shot, "A002", "3号窗口")
    assert display.count("announce: 请 A001") == 1  # the replay did not call A001 again
