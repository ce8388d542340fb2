"""Run a real kiosk in the test's event loop against a real engine; tap it through pygame."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pygame

from drivers.screen.fonts import find_cjk_font
from drivers.voice import Speaker
from kiosk.app import Kiosk, Options
from kiosk.layout import buttons
from kiosk.settings import SettingsFile
from tests.support.engine import KIOSK_TOKEN, RunningEngine


class Clock:
    """The kiosk's clock, moved by the test (idle timers never fire by accident)."""

    # 2027-01-19 in the branch's zone: not a pension day, so the kiosk starts in standard mode.
    def __init__(self, start: float = 1_800_345_600.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


async def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {check}")


@asynccontextmanager
async def running_kiosk(
    engine_url: str,
    folder: Path,
    printer: dict[str, Any] | None = None,
    device: Any = None,
    size: tuple[int, int] = (1080, 1920),
    speaker: Speaker | None = None,
    token: str = KIOSK_TOKEN,
    ready: Callable[[Kiosk], Any] | None = None,
) -> AsyncIterator[tuple[Kiosk, Clock]]:
    """A kiosk on a dummy screen with ``token``, yielded once ``ready(kiosk)`` (by default:
    linked, with its services and its printer). With a ``speaker``, care mode's guidance is
    rendered by eSpeak NG (the neural voice is tested on its own) and played to it; else it is
    silent."""
    pygame.display.init()
    pygame.font.init()
    surface = pygame.display.set_mode(size)
    pygame.event.clear()
    clock = Clock()
    settings = SettingsFile(folder / "kiosk.json")
    options = Options(engine_url, token, settings.path, printer=printer or {},
                      voice=speaker is not None, neural=False)  # fmt: skip
    kiosk = Kiosk(options, surface, find_cjk_font(), settings, clock=clock, session="test",
                  printer_device=device, speaker=speaker)  # fmt: skip
    task = asyncio.create_task(kiosk.run())
    try:
        if ready is None:
            await until(lambda: kiosk.state.connected and kiosk.state.services and kiosk.printer)
        else:
            await until(lambda: ready(kiosk))
        yield kiosk, clock
    finally:
        kiosk.stopping.set()
        await asyncio.wait_for(task, 10)
        pygame.display.quit()


def center(kiosk: Kiosk, target: str) -> tuple[int, int]:
    for b in buttons(kiosk.state, *kiosk.surface.get_size()):
        if b.target == target:
            x, y, w, h = b.rect
            return x + w // 2, y + h // 2
    raise AssertionError(f"no {target} on {kiosk.state.screen}")


def touch(pos: tuple[int, int]) -> None:
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1))


async def tap(kiosk: Kiosk, clock: Clock, target: str) -> None:
    """A finger on ``target`` a second after the last thing happened."""
    clock.advance(1.0)
    touch(center(kiosk, target))
    await taken()


async def taken() -> None:
    """Until the kiosk has read every touch and key posted so far (it handles each at once)."""
    await until(lambda: not pygame.event.peek([pygame.MOUSEBUTTONDOWN, pygame.KEYDOWN], pump=False))
    await asyncio.sleep(0.01)


async def swipe(card: str) -> None:
    """The card reader (or the code scanner): its characters then Enter, as key presses."""
    for ch in card:
        key = pygame.key.key_code(ch.lower())
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=ch, mod=0))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, unicode="\r", mod=0))
    await taken()


def open_counter(engine: RunningEngine, number: int) -> None:
    token = engine.teller_token(number)
    r = httpx.post(f"{engine.url}/api/v1/counters/{number}/open",
                   headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
    r.raise_for_status()


def lobby_get(engine: RunningEngine, path: str) -> Any:
    token = engine.lobby_token()
    r = httpx.get(f"{engine.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"},
                  timeout=5)  # fmt: skip
    r.raise_for_status()
    return r.json()


def lobby_post(engine: RunningEngine, path: str, body: dict[str, Any] | None = None) -> Any:
    token = engine.lobby_token()
    r = httpx.post(f"{engine.url}/api/v1{path}", json=body or {},
                   headers={"Authorization": f"Bearer {token}"}, timeout=5)  # fmt: skip
    r.raise_for_status()
    return r.json()


def held_numbers(engine: RunningEngine) -> list[str]:
    """The numbers held because their paper ticket did not print."""
    queue = lobby_get(engine, "/queue")
    return [t["number"] for s in queue["services"] for t in s["held"]]


def waiting_numbers(engine: RunningEngine) -> list[str]:
    queue = lobby_get(engine, "/queue")
    return [t["number"] for s in queue["services"] for t in s["waiting"]]
