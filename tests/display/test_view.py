"""The drawn screen, checked by its pixels: numbers and counters where the hall looks."""

from __future__ import annotations

from dataclasses import replace

import pygame
import pytest

from display.layout import layout_for
from display.screen import CallKind, CallLine, CounterLine, ScreenModel, ServiceLine
from display.view import FLASH, GREEN, NEXT, NUMBER, OFFLINE, PANEL, TEXT, TEXT_CACHE, VIP, Painter
from drivers.screen.fonts import find_cjk_font
from tests.display.pixels import height_of_ink, ink, near, shows

FONT = find_cjk_font()
SIZES = [(1920, 1080), (1366, 768), (3840, 2160), (1080, 1920)]


def call(number: str, counter: int, kind: CallKind = CallKind.NORMAL) -> CallLine:
    return CallLine(number, f"{counter}号窗口", f"Counter {counter}", kind, False)


MODEL = ScreenModel(
    title="城东支行", title_en="Chengdong Sub-branch", date="2026年11月30日 星期一",
    date_en="Mon 30 Nov", clock="09:30:00", current=call("A012", 3), flash_on=None,
    recent=tuple(call(f"A{n:03d}", n % 8 + 1) for n in range(11, 3, -1)),
    services=(ServiceLine("个人现金业务", "Personal cash", 12, ("A013", "A014", "A015")),
              ServiceLine("个人非现金业务", "Personal non-cash", 0, ())),
    out_of_service=(CounterLine(4, "4号窗口", "Counter 4", "paused", ""),),
    marquee="养老金今日发放，请老年客户到爱心窗口办理。", offline=False, english=True,
)  # fmt: skip


def draw(model: ScreenModel, size: tuple[int, int] = (1920, 1080), now: float = 0.0) -> Painter:
    painter = Painter(pygame.Surface(size), FONT)
    painter.draw(model, now)
    return painter


@pytest.mark.parametrize("size", SIZES)
def test_the_current_number_and_its_counter_are_drawn_big_at_every_size(
    size: tuple[int, int],
) -> None:
    shot = draw(MODEL, size).surface
    lay = layout_for(*size)
    assert shows(shot, FONT, "A012", lay.px("number"), NUMBER, lay.rect("current_number")) > 0.95
    assert shows(shot, FONT, "→ 3号窗口", lay.px("counter"), TEXT,
                 lay.rect("current_counter")) > 0.95  # fmt: skip


def test_another_number_is_not_mistaken_for_the_current_one() -> None:
    shot = draw(replace(MODEL, current=call("B047", 6))).surface
    lay = layout_for(1920, 1080)
    assert shows(shot, FONT, "A012", lay.px("number"), NUMBER, lay.rect("current_number")) < 0.6


@pytest.mark.parametrize("size", SIZES)
def test_every_text_stays_on_screen_and_apart_from_the_others(size: tuple[int, int]) -> None:
    placed = draw(MODEL, size).placed
    w, h = size
    for name, (x, y, pw, ph) in placed.items():
        if name != "marquee":
            assert x >= 0 and x + pw <= w and y >= 0 and y + ph <= h, name
    boxes = [(n, r) for n, r in placed.items() if n != "marquee"]
    for i, (a, (ax, ay, aw, ah)) in enumerate(boxes):
        for b, (bx, by, bw, bh) in boxes[i + 1 :]:
            overlap = ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah
            assert not overlap, (a, b)


def test_text_is_tall_enough_to_read_across_the_hall_at_1080p() -> None:
    painter = draw(MODEL)
    shot, placed = painter.surface, painter.placed
    # Digits' ink heights in pixels; on a 55-inch 1080p TV a pixel is 0.63 mm.
    assert height_of_ink(shot, placed["current_number"], NUMBER) >= 170  # ≥ 10 cm
    assert height_of_ink(shot, placed["recent_0"], NUMBER) >= 40  # ≥ 2.5 cm
    assert height_of_ink(shot, placed["next_0"], NEXT) >= 36
    assert height_of_ink(shot, placed["clock"], TEXT) >= 40


def test_a_fresh_call_flashes_its_panel() -> None:
    lay = layout_for(1920, 1080)
    x, y, _, h = lay.rect("current")
    corner = (x + 30, y + h - 20)
    assert near(draw(replace(MODEL, flash_on=True)).surface.get_at(corner), FLASH, 4)
    assert near(draw(replace(MODEL, flash_on=False)).surface.get_at(corner), PANEL, 4)
    assert near(draw(replace(MODEL, flash_on=None)).surface.get_at(corner), PANEL, 4)


def test_vip_and_green_calls_are_drawn_in_their_own_colours_with_a_tag() -> None:
    lay = layout_for(1920, 1080)
    for kind, color in ((CallKind.VIP, VIP), (CallKind.GREEN, GREEN)):
        painter = draw(replace(MODEL, current=call("V001", 7, kind)))
        shot = painter.surface
        assert shows(shot, FONT, "V001", lay.px("number"), color, lay.rect("current_number")) > 0.95
        assert ink(shot, painter.placed["current_tag"], color).count() > 100


def test_offline_the_screen_does_not_claim_every_counter_is_open() -> None:
    online = draw(replace(MODEL, out_of_service=()))
    offline = draw(replace(MODEL, out_of_service=(), offline=True, counters_known=False))
    assert "out" in online.placed and "out_unknown" not in online.placed
    assert "out_unknown" in offline.placed and "out" not in offline.placed


def test_the_offline_mark_is_shown_only_while_the_link_is_down() -> None:
    lay = layout_for(1920, 1080)
    online, offline = draw(MODEL), draw(replace(MODEL, offline=True))
    assert ink(online.surface, lay.rect("offline"), OFFLINE).count() == 0
    assert ink(offline.surface, offline.placed["offline"], OFFLINE).count() > 300
    # Discreet: it stays in the header, away from the numbers.
    _, y, _, h = offline.placed["offline"]
    assert y + h <= lay.rect("header")[3]


def test_the_marquee_scrolls() -> None:
    first, later = draw(MODEL, now=10.0), draw(MODEL, now=10.5)
    assert later.placed["marquee"][0] < first.placed["marquee"][0]


def test_no_call_yet_shows_no_number() -> None:
    shot = draw(replace(MODEL, current=None, recent=())).surface
    assert ink(shot, layout_for(1920, 1080).rect("current_number"), NUMBER).count() == 0


def test_the_text_cache_stays_bounded_over_a_long_run() -> None:
    painter = Painter(pygame.Surface((1366, 768)), FONT)
    for i in range(1500):  # a new clock text every second, a new number every call
        clock = f"{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}"
        painter.draw(replace(MODEL, clock=clock, current=call(f"A{i % 1000:03d}", 3)), float(i))
    assert len(painter._texts) <= TEXT_CACHE


def test_a_call_for_help_stands_in_the_marquee_band_in_black_on_yellow() -> None:
    from display.view import HELP_BAND, HELP_TEXT

    lay = layout_for(1920, 1080)
    band = lay.rect("marquee")
    cue = replace(MODEL, help="请大堂经理到 kiosk-1 协助客户", help_en="Lobby manager, please come")
    painter = draw(cue, now=10.0)
    assert near(painter.surface.get_at((band[0] + 4, band[1] + 4)), HELP_BAND, 4)
    assert ink(painter.surface, painter.placed["help"], HELP_TEXT).count() > 2000
    assert "marquee" not in painter.placed  # the announcements wait until it is answered
    assert draw(cue, now=10.5).placed["help"] == painter.placed["help"]  # it stands still


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_the_get_ready_numbers_can_be_drawn_larger(size: tuple[int, int]) -> None:
    standard, large = draw(MODEL, size), draw(replace(MODEL, large_ready=True), size)
    normal_h = height_of_ink(standard.surface, standard.placed["next_0"], NEXT)
    large_h = height_of_ink(large.surface, large.placed["next_0"], NEXT)
    assert large_h >= 1.3 * normal_h, (normal_h, large_h)  # 1.5× where the row is wide enough
