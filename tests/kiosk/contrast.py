"""Measure a drawn kiosk screen as a customer meets it: the contrast of each text against what
is behind it, read from the screenshot's pixels (WCAG 2 relative luminance), and the size of
each touch target in millimetres on a given screen.

    python -m tests.kiosk.contrast        # the table of every care-mode screen, 21.5" kiosk

The text colour is not taken from the code: in the box where the view says a text went, the
most common colour is the background and the colour of the glyphs' solid cores (the one of
those covering at least 1 % of the box that differs most from it) is the text's.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pygame

from kiosk.layout import Rect, buttons
from kiosk.model import KioskState

#: Touch kiosks as sold to Chinese bank branches: pixels and the screen's diagonal in inches.
KIOSKS = {
    '21.5" portrait': (1080, 1920, 21.5),
    '19" 5:4': (1280, 1024, 19.0),
    '15.6" landscape': (1366, 768, 15.6),
}
Color = tuple[int, int, int]


def luminance(color: Color) -> float:
    """WCAG 2's relative luminance of an sRGB colour."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: Color, b: Color) -> float:
    """WCAG 2's contrast ratio, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True, slots=True)
class Measured:
    tag: str
    text: Color
    background: Color
    ratio: float
    height_px: int  # of the glyphs' ink, top of the tallest to bottom of the lowest


def measure(surface: pygame.Surface, tag: str, rect: Rect) -> Measured:
    """The contrast of the text drawn in ``rect``, from the pixels alone."""
    clipped = pygame.Rect(rect).clip(surface.get_rect())
    part = surface.subsurface(clipped)
    raw = pygame.image.tobytes(part, "RGB")
    counts = Counter(raw[i : i + 3] for i in range(0, len(raw), 3))
    total = sum(counts.values())
    (bg_bytes, _), *rest = counts.most_common()
    background: Color = (bg_bytes[0], bg_bytes[1], bg_bytes[2])
    solid = [(c[0], c[1], c[2]) for c, n in rest if n >= max(4, total // 100)]
    if not solid:
        raise AssertionError(f"{tag}: no text found in {rect}")
    text = max(solid, key=lambda c: ratio(c, background))
    rows = [y for y in range(clipped.height) if _has(raw, y, clipped.width, text)]
    return Measured(tag, text, background, ratio(text, background), rows[-1] - rows[0] + 1)


def _has(raw: bytes, y: int, width: int, color: Color) -> bool:
    row = raw[y * width * 3 : (y + 1) * width * 3]
    return bytes(color) in {row[i : i + 3] for i in range(0, len(row), 3)}


def texts(surface: pygame.Surface, placed: dict[str, Rect]) -> list[Measured]:
    return [measure(surface, tag, rect) for tag, rect in placed.items() if rect[2] and rect[3]]


def mm_per_px(width: int, height: int, inches: float) -> float:
    return inches * 25.4 / math.hypot(width, height)


def targets_mm(state: KioskState, width: int, height: int, inches: float) -> dict[str, float]:
    """Each touch target's shorter side in millimetres on that screen."""
    scale = mm_per_px(width, height, inches)
    return {b.target: min(b.rect[2], b.rect[3]) * scale for b in buttons(state, width, height)}


def preview_screens(care: bool) -> Iterator[tuple[str, KioskState]]:
    """The reference screens (``kiosk.preview``) in care mode, or the customers' standard ones."""
    from kiosk.model import PinEntry, Settings
    from kiosk.preview import screens

    for name, state in screens():
        if state.care == care and not isinstance(state.screen, PinEntry | Settings):
            yield name, state


def main() -> None:
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from drivers.screen.fonts import find_cjk_font
    from kiosk.view import Painter

    pygame.font.init()
    w, h, inches = KIOSKS['21.5" portrait']
    painter = Painter(pygame.Surface((w, h)), Path(find_cjk_font()))
    scale = mm_per_px(w, h, inches)
    print(f'kiosk screens on a 21.5" {w}x{h} kiosk ({scale:.3f} mm per pixel); text height is '
          "the glyphs' ink\n")  # fmt: skip
    print("| screen | lowest contrast (text) | smallest text | smallest target |")
    print("|---|---|---|---|")
    for name, state in [*preview_screens(True), *preview_screens(False)]:
        painter.draw(state)
        found = texts(painter.surface, painter.placed)
        low = min(found, key=lambda m: m.ratio)
        small = min(found, key=lambda m: m.height_px)
        sizes = targets_mm(state, w, h, inches)
        target = min(sizes, key=lambda t: sizes[t])
        print(f"| {name} | {low.ratio:.1f}:1 ({low.tag}) | {small.height_px * scale:.1f} mm "
              f"({small.tag}) | {sizes[target]:.0f} mm ({target}) |")  # fmt: skip


if __name__ == "__main__":
    main()
