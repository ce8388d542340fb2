"""The drawn screens: buttons where the layout says, big enough, readable, and faults visible."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pygame
import pytest

from drivers.screen.fonts import find_cjk_font
from kiosk import view
from kiosk.layout import buttons, hit
from kiosk.model import IssueTicket, KioskState, Tap
from kiosk.preview import NOW, screens
from kiosk.state import step
from tests.kiosk.pixels import ink, share

SIZES = [(1080, 1920), (1920, 1080), (1280, 1024), (768, 1024)]
SCREENS = dict(screens())


@pytest.fixture(scope="module")
def font() -> Path:
    pygame.font.init()
    return find_cjk_font()


def draw(state: KioskState, font: Path, size: tuple[int, int] = (1080, 1920)) -> view.Painter:
    painter = view.Painter(pygame.Surface(size), font)
    painter.draw(state)
    return painter


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", ["choose", "card", "ticket", "offline-notice", "pin", "settings"])
def test_buttons_are_large_inside_the_screen_and_never_overlap(
    name: str, size: tuple[int, int]
) -> None:
    w, h = size
    found = buttons(SCREENS[name], w, h)
    for b in found:
        x, y, bw, bh = b.rect
        assert x >= 0 and y >= 0 and x + bw <= w and y + bh <= h, b
        assert bh >= min(w, h) * 0.07 and bw >= min(w, h) * 0.15, b
    for a, b in combinations(found, 2):
        assert not pygame.Rect(a.rect).colliderect(pygame.Rect(b.rect)), (a, b)


def test_a_touch_in_a_services_button_presses_that_service() -> None:
    state = SCREENS["choose"]
    for b in buttons(state, 1080, 1920):
        x, y, w, h = b.rect
        assert hit(state, 1080, 1920, x + w // 2, y + h // 2) == b.target
    assert hit(state, 1080, 1920, 2, 2) is None  # the title is not a button


def test_the_attract_screen_wakes_or_opens_care_mode_so_a_touch_never_issues() -> None:
    found = buttons(SCREENS["attract"], 1080, 1920)
    assert [b.target for b in found] == ["care:on", "wake"]
    for target in ("care:on", "wake"):
        _, effects = step(SCREENS["attract"], Tap(target, NOW + 5))
        assert not any(isinstance(e, IssueTicket) for e in effects)


def test_open_services_are_blue_and_closed_ones_grey_with_the_word_closed(font: Path) -> None:
    painter = draw(SCREENS["choose"], font)
    shot = painter.surface
    rects = {b.target: b.rect for b in buttons(SCREENS["choose"], 1080, 1920)}
    assert share(shot, rects["service:A"], view.BUTTON) > 0.5
    assert share(shot, rects["service:D"], view.CLOSED) > 0.5
    assert ink(shot, painter.placed["wait:D"], view.TEXT) > 50  # "暂停办理" in white
    assert ink(shot, painter.placed["wait:A"], view.DETAIL) > 50


def test_the_number_is_drawn_large_in_yellow(font: Path) -> None:
    painter = draw(SCREENS["ticket"], font)
    x, y, w, h = painter.placed["number"]
    assert h >= 200 and ink(painter.surface, (x, y, w, h), view.NUMBER) > 5000


def test_a_failed_print_shows_a_red_strip_and_asks_to_remember(font: Path) -> None:
    painter = draw(SCREENS["print-failed"], font)
    assert share(painter.surface, painter.placed["print_failed"], view.OFFLINE) > 0.3
    assert ink(painter.surface, painter.placed["print_failed"], view.TEXT) > 100
    assert "label" in painter.placed and ink(painter.surface, painter.placed["number"], view.NUMBER)


def test_offline_is_said_on_a_red_strip(font: Path) -> None:
    painter = draw(SCREENS["offline"], font)
    assert "offline" in painter.placed
    assert share(painter.surface, painter.placed["offline"], view.OFFLINE) > 0.3


def test_english_screens_fit_their_buttons(font: Path) -> None:
    state, _ = step(SCREENS["choose"], Tap("lang", NOW + 5))
    for size in SIZES:
        painter = draw(state, font, size)
        rects = {b.target: pygame.Rect(b.rect) for b in buttons(state, *size)}
        for code in "ABCDV":
            assert rects[f"service:{code}"].contains(pygame.Rect(painter.placed[f"name:{code}"]))
