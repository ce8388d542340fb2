"""Care mode as drawn: every text at least 7:1 against what is behind it (WCAG AAA), measured
from the screenshot's pixels; every touch target at least 15 mm on the kiosks branches use;
type larger than the standard screens'; a touch lands where the voice says the button is."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pygame
import pytest

from drivers.screen.fonts import find_cjk_font
from kiosk import care_view, view
from kiosk.care import care_services, guidance
from kiosk.layout import buttons, hit
from tests.kiosk.contrast import KIOSKS, mm_per_px, preview_screens, targets_mm, texts
from tests.kiosk.pixels import share

CARE = dict(preview_screens(True))
STANDARD = dict(preview_screens(False))
AAA = 7.0
TARGET_MM = 15.0


@pytest.fixture(scope="module")
def font() -> Path:
    pygame.font.init()
    return find_cjk_font()


def draw(state: object, font: Path, size: tuple[int, int]) -> view.Painter:
    painter = view.Painter(pygame.Surface(size), font)
    painter.draw(state)  # type: ignore[arg-type]
    return painter


@pytest.mark.parametrize("kiosk", list(KIOSKS))
@pytest.mark.parametrize("name", list(CARE))
def test_every_care_text_has_at_least_7_to_1_contrast_in_the_screenshot(
    name: str, kiosk: str, font: Path
) -> None:
    w, h, _ = KIOSKS[kiosk]
    painter = draw(CARE[name], font, (w, h))
    found = texts(painter.surface, painter.placed)
    assert len(found) >= 3
    low = [m for m in found if m.ratio < AAA]
    assert not low, low


@pytest.mark.parametrize("kiosk", list(KIOSKS))
@pytest.mark.parametrize("name", list(CARE))
def test_every_care_touch_target_is_at_least_15_mm_and_none_overlap(name: str, kiosk: str) -> None:
    w, h, inches = KIOSKS[kiosk]
    state = CARE[name]
    sizes = targets_mm(state, w, h, inches)
    assert all(mm >= TARGET_MM for mm in sizes.values()), sizes
    found = [b for b in buttons(state, w, h) if b.target != "wake"]  # "wake" is the background
    for a, b in combinations(found, 2):
        assert not pygame.Rect(a.rect).colliderect(pygame.Rect(b.rect)), (a, b)


def test_care_type_is_larger_than_the_standard_screens(font: Path) -> None:
    w, h, inches = KIOSKS['21.5" portrait']
    scale = mm_per_px(w, h, inches)

    def smallest(states: dict[str, object]) -> float:
        return min(m.height_px for s in states.values()
                   for m in texts(*_drawn(s, font, (w, h)))) * scale  # fmt: skip

    care, standard = smallest(CARE), smallest(STANDARD)
    assert care >= 11.0 and care >= 1.3 * standard, (care, standard)


def _drawn(state: object, font: Path, size: tuple[int, int]) -> tuple[pygame.Surface, dict]:
    painter = draw(state, font, size)
    return painter.surface, painter.placed


@pytest.mark.parametrize("kiosk", list(KIOSKS))
def test_the_buttons_run_top_down_in_the_order_the_voice_reads_them(kiosk: str) -> None:
    w, h, _ = KIOSKS[kiosk]
    state = CARE["care-choose"]
    said = guidance(state)
    shown = [b for b in buttons(state, w, h) if b.target.startswith("service:")]
    assert [b.target for b in sorted(shown, key=lambda b: b.rect[1])] == [
        f"service:{s.code}" for s in care_services(state)
    ]
    names = [s.name for s in care_services(state)]
    assert [said.index(n) for n in names] == sorted(said.index(n) for n in names)
    # "hear again" is where the voice says: the bottom left.
    repeat = next(b for b in buttons(state, w, h) if b.target == "care:repeat")
    assert repeat.rect[0] < w // 3 and repeat.rect[1] > h * 3 // 4
    x, y, bw, bh = shown[0].rect
    assert hit(state, w, h, x + bw // 2, y + bh // 2) == shown[0].target


def test_care_buttons_are_edged_in_white_so_their_shape_shows_without_colour(font: Path) -> None:
    state = CARE["care-choose"]
    painter = draw(state, font, (1080, 1920))
    for b in buttons(state, 1080, 1920):
        x, y, w, _ = b.rect
        edge = (x + w // 4, y, w // 2, care_view.EDGE_PX)
        assert share(painter.surface, edge, care_view.WHITE) > 0.9, b.target


def test_the_first_screen_offers_care_mode_in_words_on_a_large_button(font: Path) -> None:
    state = STANDARD["attract"]
    painter = draw(state, font, (1080, 1920))
    assert "care:on" in painter.placed
    sizes = targets_mm(state, *KIOSKS['21.5" portrait'])
    assert sizes["care:on"] >= 60
