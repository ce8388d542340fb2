"""The customer's rating tablet against a real engine."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from queue_core.client import EngineClient
from tests.caller.conftest import screenshot
from tests.support.engine import KIOSK_TOKEN, RATING_TOKEN, RunningEngine


def serve_one(engine: RunningEngine, counter: int = 3) -> str:
    """A customer is issued, called, served and finished at ``counter``; returns the ticket id."""
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        ticket = kiosk.issue("A")
    with EngineClient(engine.url, engine.teller_token(counter)) as teller:
        if teller.request("GET", f"/counters/{counter}")["state"] != "open":
            teller.counter_action(counter, "open")
        teller.call_next(counter)
        teller.counter_action(counter, "finish")
    return str(ticket["id"])


def open_tablet(page: Page, engine: RunningEngine) -> None:
    page.goto(f"{engine.url}/rating")
    page.fill("#device-token", RATING_TOKEN)
    page.click("#setup button[type=submit]")
    expect(page.locator("#screen-welcome")).to_be_visible()
    expect(page.locator("#counter-name")).to_have_text("3号窗口")
    expect(page.locator("#link")).to_have_class("link up")


def test_a_tap_on_the_tablet_lands_on_the_ticket(page: Page, engine: RunningEngine) -> None:
    page.set_viewport_size({"width": 1024, "height": 600})
    open_tablet(page, engine)
    screenshot(page, "rating-welcome")
    ticket_id = serve_one(engine)
    expect(page.locator("#screen-ask")).to_be_visible()
    expect(page.locator("#ask-ticket")).to_have_text("票号 A001")
    expect(page.locator("#levels button")).to_have_text(["非常满意", "满意", "不满意"])
    screenshot(page, "rating-ask")
    page.click('#levels button[data-rating="5"]')
    expect(page.locator("#screen-thanks")).to_be_visible()
    screenshot(page, "rating-thanks")
    with EngineClient(engine.url, engine.lobby_token()) as lobby:
        assert lobby.ticket(ticket_id)["rating"] == 5


def test_tablet_returns_to_welcome_after_the_timeouts(page: Page, engine: RunningEngine) -> None:
    page.clock.install()
    open_tablet(page, engine)
    serve_one(engine)
    expect(page.locator("#screen-ask")).to_be_visible()
    page.clock.fast_forward("00:31")  # nobody tapped: back to the welcome screen
    expect(page.locator("#screen-welcome")).to_be_visible()
    serve_one(engine)
    expect(page.locator("#ask-ticket")).to_have_text("票号 A002")
    page.click('#levels button[data-rating="1"]')
    expect(page.locator("#screen-thanks")).to_be_visible()
    page.clock.fast_forward("00:06")
    expect(page.locator("#screen-welcome")).to_be_visible()


def test_token_is_asked_once_and_kept(page: Page, engine: RunningEngine) -> None:
    open_tablet(page, engine)
    page.reload()
    expect(page.locator("#screen-welcome")).to_be_visible()
    expect(page.locator("#setup")).to_be_hidden()
