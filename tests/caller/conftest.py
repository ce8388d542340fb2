"""Fixtures for the staff pages: headless Chromium (Debian's), a bare page server, screenshots.

The pages run against the real engine (the ``engine`` fixture from tests/conftest.py); the bare
server below serves only the pages' files, for the pure-state modules that need no engine.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Page, expect

from counter_caller.pages import router
from tests.support.browser import headless_chromium
from tests.support.engine import free_port

SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"

#: How long an expectation about a page may take to come true before it counts as never. The
#: 5 s Playwright default is a delay on a loaded 2-core CI machine, not a failure; a page that
#: is right passes at once whatever the bound.
PAGE_TIMEOUT_MS = 30_000
expect.set_options(timeout=PAGE_TIMEOUT_MS)

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Package scope, not session: see headless_chromium.
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 520, "height": 720}, locale="zh-CN")
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        ctx.close()


def new_tab(context: BrowserContext) -> Page:
    """A fresh tab that collects its script errors in ``tab.errors``."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.errors = errors  # type: ignore[attr-defined]
    return tab


@pytest.fixture
def page(context: BrowserContext) -> Page:
    """A fresh tab; console errors fail the test that reads ``page.errors``."""
    return new_tab(context)


@pytest.fixture(scope="session")
def pages_server() -> Iterator[str]:
    """Only the pages' router on a free port: enough to load the pure-state modules."""
    app = FastAPI()
    app.include_router(router)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/ui/js/rules.js", timeout=0.5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows as ``docs/screens/<name>.png`` (the project's gallery)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)
    return path
