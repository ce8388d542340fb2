"""What a person does on the pages, written once for the tests and the benchmark."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.engine import LOBBY, TELLERS, RunningEngine


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
