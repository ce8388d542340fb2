"""What the pygame programs (hall display, kiosk) share at start: the window size option, the
Chinese font they cannot run without, and the screen."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pygame

from display.fonts import FontMissing, find_cjk_font

log = logging.getLogger(__name__)


def size_option(min_width: int, min_height: int) -> Callable[[str], tuple[int, int]]:
    """An argparse type for ``--size WxH`` that refuses windows smaller than the layout needs."""

    def parse(text: str) -> tuple[int, int]:
        try:
            w, h = (int(part) for part in text.lower().split("x"))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"size must be WIDTHxHEIGHT, not {text!r}") from exc
        if w < min_width or h < min_height:
            raise argparse.ArgumentTypeError(f"size must be at least {min_width}x{min_height}")
        return w, h

    return parse


def cjk_font(chosen: str | None) -> Path | None:
    """The font to draw with: ``--font``, then ``$BRANCHQ_FONT``, then one found on the
    system. None, after logging why, when nothing can draw Chinese (the program exits 2)."""
    pygame.font.init()
    try:
        return find_cjk_font(chosen or os.environ.get("BRANCHQ_FONT"))
    except FontMissing as exc:
        log.critical("%s", exc)
        return None


def open_screen(
    caption: str, fullscreen: bool, size: tuple[int, int] | None, window: tuple[int, int]
) -> pygame.Surface:
    """The program's screen: full screen without a pointer (at ``size``, else the display's
    own), or a window of ``size``, else ``window``."""
    pygame.display.init()
    pygame.display.set_caption(caption)
    if fullscreen:
        surface = pygame.display.set_mode(size or (0, 0), pygame.FULLSCREEN)
        pygame.mouse.set_visible(False)
        return surface
    return pygame.display.set_mode(size or window)
