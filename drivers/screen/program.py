"""What the pygame programs (hall display, kiosk) share: the window size option, the Chinese
font they cannot run without, the screen, and running until stopped. (Waiting for an engine
that is not up yet is ``queue_core.retry.keep_trying``.)"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pygame

from drivers.screen.fonts import FontMissing, find_cjk_font

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


async def until_stopped(stopping: asyncio.Event, exit_after: float | None) -> None:
    """Wait until the program is stopped, or ``exit_after`` seconds have passed."""
    if exit_after is None:
        await stopping.wait()
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), exit_after)


def run_program(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Build and run a program's main coroutine; Ctrl-C ends it cleanly, and pygame is shut
    either way (also when building it fails)."""
    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 0
    finally:
        pygame.quit()
