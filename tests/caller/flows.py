"""What a person does on the pages, written once for the tests and the benchmark."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page, expect

from queue_core.client import EngineClient
from tests.support.engine import KIOSK_TOKEN, LOBBY, TELLERS, RunningEngine


def open_caller(page: Page, engine: RunningEngine, counter: int) -> None:
    """A teller opens the caller page of ``counter`` and logs in."""
    login, pin = TELLERS[counter]
    page.goto(f"{engine.url}/caller?counter={counter}")
    page.fill("#login-name", login)
    page.fill("#login-pin", pin)
    page.click("#login-submit")
    expect(page.locator("#desk")).to_be_visible()
    expect(page.locator("#link")).to_have_class("link up")


def open_lobby(page: Page, engine: RunningEngine) -> None:
    """The lobby manager opens the console and logs in."""
    page.goto(f"{engine.url}/lobby")
    page.fill("#login-name", LOBBY[0])
    page.fill("#login-pin", LOBBY[1])
    page.click("#login-submit")
    expect(page.locator("#tab-hall")).to_be_visible()
    expect(page.locator("#link")).to_have_class("link up")


def press(page: Page, action: str) -> None:
    """Click an action button of the caller once it is enabled."""
    button = page.locator(f'#actions button[data-action="{action}"]')
    expect(button).to_be_enabled()
    button.click()


def issue(
    engine: RunningEngine, service: str, tier: str | None = None, green: bool | None = None
) -> dict[str, Any]:
    """A ticket from the kiosk; with a tier or the green channel, from the lobby manager (a
    kiosk may not grant those without a card)."""
    token = KIOSK_TOKEN if tier is None and green is None else engine.lobby_token()
    with EngineClient(engine.url, token) as client:
        return client.issue(service, tier=tier, green_channel=green)
