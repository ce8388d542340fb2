"""The customer's phone page (what the ticket's QR code opens), at a phone's size, against a
real engine: from the QR to the call, live, in Chinese and English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from queue_core.client import EngineClient
from tests.caller.conftest import new_tab, screenshot
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.engine import KIOSK_TOKEN, RunningEngine

#: A small Android phone held upright (CSS pixels), at a phone's pixel density.
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True}


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(**PHONE, has_touch=True, locale="zh-CN")  # type: ignore[arg-type]
    try:
        yield ctx
    finally:
        ctx.close()


def _issue(engine: RunningEngine, service: str = "A") -> dict[str, object]:
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        return kiosk.issue(service)


def _qr_address(engine: RunningEngine, ticket: dict[str, object]) -> str:
    """The address the printed QR code holds (the kiosk joins the engine's path to its URL)."""
    return httpx.URL(engine.url).join(str(ticket["public_url"])).__str__()


def test_the_qr_page_follows_the_ticket_live_until_it_is_served(
    engine: RunningEngine, phone: BrowserContext
) -> None:
    _issue(engine)
    mine = _issue(engine)
    page = new_tab(phone)
    page.goto(_qr_address(engine, mine))
    expect(page.locator("#number")).to_have_text("A002")
    expect(page.locator("#service")).to_have_text("个人现金业务")
    expect(page.locator("#headline")).to_have_text("您前面还有 1 人")
    expect(page.locator("#detail")).to_have_text("暂无开放窗口办理此业务，请耐心等候")
    expect(page.locator("#branch")).to_have_text("城东支行")

    with EngineClient(engine.url, engine.teller_token(3)) as teller:
        teller.counter_action(3, "open")
        expect(page.locator("#detail")).to_contain_text("预计等候约")
        expect(page.locator("#link")).to_have_class("link up")
        screenshot(page, "phone-waiting")

        teller.call_next(3)  # the customer before: now nobody is ahead
        expect(page.locator("#headline")).to_have_text("下一位就是您")
        expect(page.locator("#card")).to_have_class("card tone-soon")
        screenshot(page, "phone-next")

        teller.counter_action(3, "finish")
        teller.call_next(3)
        expect(page.locator("#headline")).to_have_text("请到 3号窗口")
        expect(page.locator("#detail")).to_have_text("正在叫您的号")
        expect(page).to_have_title("请到3号窗口 · A002")
        screenshot(page, "phone-called")
        teller.counter_action(3, "recall")
        expect(page.locator("#detail")).to_have_text("正在第 2 次叫您的号")

        teller.counter_action(3, "start")
        expect(page.locator("#headline")).to_have_text("正在 3号窗口 办理")
        teller.counter_action(3, "finish")
    expect(page.locator("#headline")).to_have_text("业务已办理完毕")
    expect(page.locator("#link-text")).to_contain_text("此号已结束")
    assert page.errors == []  # type: ignore[attr-defined]
    # This engine runs the demo branch, which has no public address: its start said so.
    assert "[branch] public_url is not set" in engine.log_path.read_text()


def test_a_skipped_customer_is_told_to_see_the_lobby_manager_in_english(
    engine: RunningEngine, phone: BrowserContext
) -> None:
    mine = _issue(engine, "B")
    page = new_tab(phone)
    page.goto(_qr_address(engine, mine))
    expect(page.locator("#number")).to_have_text("B001")
    page.click("#lang")
    expect(page.locator("#service")).to_have_text("Personal non-cash")
    with EngineClient(engine.url, engine.teller_token(3)) as teller:
        teller.counter_action(3, "open")
        teller.call_next(3)
        expect(page.locator("#headline")).to_have_text("Please go to Counter 3")
        teller.counter_action(3, "skip")
    expect(page.locator("#headline")).to_have_text("Your number was missed")
    expect(page.locator("#detail")).to_have_text(
        "Please see the lobby manager: they will call you again."
    )
    screenshot(page, "phone-skipped-en")
    page.reload()  # the language is kept on the phone
    expect(page.locator("#headline")).to_have_text("Your number was missed")


def test_the_page_is_large_loads_nothing_from_outside_and_tells_an_unknown_ticket(
    engine: RunningEngine, phone: BrowserContext
) -> None:
    mine = _issue(engine)
    page = new_tab(phone)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.goto(_qr_address(engine, mine))
    expect(page.locator("#number")).to_have_text("A001")
    assert asked and all(url.startswith(engine.url) for url in asked)
    # Large type: the number and the headline are readable at arm's length on a small phone.
    size = page.eval_on_selector("#number", "el => parseFloat(getComputedStyle(el).fontSize)")
    headline = page.eval_on_selector("#headline", "el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 64 and headline >= 32
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # nothing runs off the side of the phone

    page.goto(f"{engine.url}/t/NoSuchTicket123")
    expect(page.locator("#headline")).to_have_text("找不到这张票")
    expect(page.locator("#detail")).to_have_text("请核对二维码，或到大堂咨询大堂经理。")
    expect(page).to_have_title("找不到此号")


def test_a_ticket_left_at_the_end_of_the_day_says_it_is_void_and_what_to_do(
    tmp_path: Path, phone: BrowserContext
) -> None:
    branch = ClockedEngine(tmp_path, Clock(at("2026-11-12 16:40"))).start()
    try:
        lobby = branch.lobby()
        mine = lobby.issue("A")
        page = new_tab(phone)
        page.goto(f"{branch.url}{mine['public_url']}")
        expect(page.locator("#headline")).to_have_text("下一位就是您")
        branch.clock.set("2026-11-13 09:00")
        lobby = branch.lobby()  # yesterday's session ended with the day
        lobby.issue("A")  # the hall moves on: the page learns its ticket's day is over
        expect(page.locator("#headline")).to_have_text("此号已失效")
        expect(page.locator("#detail")).to_have_text(
            "当天营业已结束。如需办理，请在营业时间重新取号。"
        )
        expect(page.locator("#link-text")).to_contain_text("此号已结束")
        screenshot(page, "phone-expired")
    finally:
        branch.stop()
