"""Look at a screen's pixels: is this text drawn here, in this colour?"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygame

from display.layout import Rect
from display.view import Color, Painter

TOLERANCE = 40


def near(a: pygame.Color, b: Color, tolerance: int = TOLERANCE) -> bool:
    rgb = (a.r, a.g, a.b)
    return all(abs(x - y) <= tolerance for x, y in zip(rgb, b, strict=True))


def ink(surface: pygame.Surface, rect: Rect, color: Color) -> pygame.mask.Mask:
    """The pixels in ``rect`` that are ``color`` (within a tolerance): the text's ink there."""
    clipped = pygame.Rect(rect).clip(surface.get_rect())
    if clipped.width == 0 or clipped.height == 0:
        return pygame.mask.Mask((1, 1))
    part = surface.subsurface(clipped)
    return pygame.mask.from_threshold(part, (*color, 255), (TOLERANCE, TOLERANCE, TOLERANCE, 255))


def shows(
    shot: pygame.Surface,
    font: Path,
    text: str,
    px: int,
    color: Color,
    box: Rect,
    align: str = "left",
) -> float:
    """How well the screen shows ``text`` where the display puts it: intersection over union
    of the ink it would draw on a clean surface and the screen's ink of that colour there."""
    scratch = pygame.Surface(shot.get_size())
    scratch.fill((0, 0, 0))
    where = Painter(scratch, font).put(text, px, color, box, align)
    expected, seen = ink(scratch, where, color), ink(shot, where, color)
    both = expected.overlap_area(seen, (0, 0))
    union = expected.count() + seen.count() - both
    return both / union if union else 1.0


def height_of_ink(surface: pygame.Surface, rect: Rect, color: Color) -> int:
    """The height in pixels of what is drawn in ``color`` inside ``rect``."""
    # pygame's stubs mistype get_bounding_rects(); it returns a list of Rect.
    boxes: list[Any] = list(ink(surface, rect, color).get_bounding_rects())
    if not boxes:
        return 0
    return int(max(b.bottom for b in boxes) - min(b.top for b in boxes))
