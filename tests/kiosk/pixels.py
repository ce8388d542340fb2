"""Look at a kiosk screenshot's pixels: is this colour drawn where the view says it put text?"""

from __future__ import annotations

import pygame

from kiosk.layout import Rect

TOLERANCE = 40


def ink(surface: pygame.Surface, rect: Rect, color: tuple[int, int, int]) -> int:
    """How many pixels in ``rect`` are ``color`` (within a tolerance)."""
    clipped = pygame.Rect(rect).clip(surface.get_rect())
    if clipped.width == 0 or clipped.height == 0:
        return 0
    part = surface.subsurface(clipped)
    mask = pygame.mask.from_threshold(part, (*color, 255), (TOLERANCE, TOLERANCE, TOLERANCE, 255))
    return int(mask.count())


def share(surface: pygame.Surface, rect: Rect, color: tuple[int, int, int]) -> float:
    """The share of ``rect`` drawn in ``color``."""
    area = max(1, rect[2] * rect[3])
    return ink(surface, rect, color) / area
