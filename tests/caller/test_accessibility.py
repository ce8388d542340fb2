"""The staff and customer pages pass an axe-core scan in every state a person meets.

Each test walks one page through its states against a real engine (login, a call, a dialog,
a pause, the other tabs, English) and scans each: no serious or critical violation may remain.
``python -m tests.caller.accessibility`` prints the figures of every scan.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from queue_core.client import EngineClient
from tests.caller.accessibility import Scan, assert_no_blocking, axe_source, look, record
from tests.caller.conftest import new_tab
from tests.caller.flows import issue, open_caller, open_lobby, press
from tests.caller.test_rating import open_tablet, serve_one
from tests.caller.test_ticket_page import PHONE
from tests.support.engine import KIOSK_TOKEN, RunningEngine


@pytest.fixture
def scans() -> Iterator[list[Scan]]:
    axe_source()  # skip (or, in CI, fail) at once when axe-core is missing
    found: list[Scan] = []
    yield found
    record(found)


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A small Android phone held upright, as the phone page's own tests use."""
    ctx = browser.new_context(**PHONE, has_touch=True, locale="zh-CN")  # type: ignore[arg-type]
    try:
        yield ctx
    finally:
        ctx.close()


def english(page: Page) -> None:
    page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def dialog(page: Page, action: str, scans: list[Scan]) -> None:
    """Open the caller's dialog of ``action``, scan it, and close it with Esc."""
    press(page, action)
    expect(page.locator(f"#dialog-{action}")).to_be_visible()
    look(page, f"caller: {action} dialog", scans)
    page.keyboard.press("Escape")
    expect(page.locator(f"#dialog-{action}")).to_be_hidden()


def test_the_callers_states_have_no_serious_violation(
    page: Page, engine: RunningEngine, scans: list[Scan]
) -> None:
    page.set_viewport_size({"width": 520, "height": 760})
    page.goto(f"{engine.url}/caller?counter=3")
    look(page, "caller: login", scans)
    open_caller(page, engine, 3)
    look(page, "caller: closed counter", scans)
    for _ in range(2):
        issue(engine, "A")
    press(page, "open")
    press(page, "call_next")
    expect(page.locator("#ticket-number")).to_have_text("A001")
    look(page, "caller: called", scans)
    press(page, "start")
    expect(page.locator("#ticket-status")).to_have_class("chip status-serving")
    look(page, "caller: serving", scans)
    dialog(page, "transfer", scans)
    press(page, "finish")
    dialog(page, "call", scans)
    dialog(page, "pause", scans)
    press(page, "pause")
    page.click("#pause-reasons button >> nth=0")
    expect(page.locator("#counter-state")).to_have_class("chip state-paused")
    look(page, "caller: paused", scans)
    english(page)
    look(page, "caller: paused, English", scans)
    assert_no_blocking(scans)
    assert not page.errors  # type: ignore[attr-defined]


def test_the_lobby_consoles_tabs_have_no_serious_violation(
    page: Page, engine: RunningEngine, scans: list[Scan]
) -> None:
    page.set_viewport_size({"width": 1366, "height": 860})
    page.goto(f"{engine.url}/lobby")
    look(page, "lobby: login", scans)
    serve_one(engine, 3)
    issue(engine, "A")
    issue(engine, "B", tier="gold")
    issue(engine, "A", green=True)
    with EngineClient(engine.url, engine.teller_token(1)) as teller:
        teller.counter_action(1, "open")
        teller.call_next(1)
        teller.counter_action(1, "skip")
        teller.counter_action(1, "pause", {"reason": "午休"})
    with EngineClient(engine.url, engine.lobby_token()) as lobby:
        lobby.request("POST", "/announcements", {"text": "今日养老金发放，请耐心等候"})
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        kiosk.request("POST", "/help")  # the help panel with a request waiting
    open_lobby(page, engine)
    expect(page.locator("#skipped .row")).to_have_count(1)
    expect(page.locator("#help .row")).to_have_count(1)
    look(page, "lobby: hall", scans)
    page.locator(".queue li").first.hover()
    look(page, "lobby: hall, a ticket's actions", scans)
    for tab in ("devices", "figures"):
        page.click(f'#tabs button[data-tab="{tab}"]')
        expect(page.locator(f"#tab-{tab}")).to_be_visible()
        if tab == "figures":
            expect(page.locator("#cards .card").first).to_be_visible()
        look(page, f"lobby: {tab}", scans)
    english(page)
    look(page, "lobby: figures, English", scans)
    page.click('#tabs button[data-tab="hall"]')
    look(page, "lobby: hall, English", scans)
    assert_no_blocking(scans)
    assert not page.errors  # type: ignore[attr-defined]


def test_the_rating_tablets_screens_have_no_serious_violation(
    page: Page, engine: RunningEngine, scans: list[Scan]
) -> None:
    page.set_viewport_size({"width": 1024, "height": 600})
    page.goto(f"{engine.url}/rating")
    expect(page.locator("#setup")).to_be_visible()
    look(page, "rating: set-up", scans)
    open_tablet(page, engine)
    look(page, "rating: welcome", scans)
    serve_one(engine)
    expect(page.locator("#screen-ask")).to_be_visible()
    look(page, "rating: ask", scans)
    english(page)
    look(page, "rating: ask, English", scans)
    page.click('#levels button[data-rating="5"]')
    expect(page.locator("#screen-thanks")).to_be_visible()
    look(page, "rating: thanks", scans)
    assert_no_blocking(scans)
    assert not page.errors  # type: ignore[attr-defined]


def test_the_phone_page_has_no_serious_violation_at_a_phones_size(
    engine: RunningEngine, phone: BrowserContext, scans: list[Scan]
) -> None:
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        kiosk.issue("A")
        mine = kiosk.issue("A")
    page = new_tab(phone)
    page.goto(str(httpx.URL(engine.url).join(str(mine["public_url"]))))
    expect(page.locator("#number")).to_have_text(str(mine["number"]))
    look(page, "phone: waiting, no counter open", scans)
    with EngineClient(engine.url, engine.teller_token(3)) as teller:
        teller.counter_action(3, "open")
        expect(page.locator("#detail")).to_contain_text("预计等候约")
        look(page, "phone: waiting", scans)
        teller.call_next(3)
        teller.counter_action(3, "finish", {})
        teller.call_next(3)
        expect(page.locator("#headline")).to_have_text("请到 3号窗口")
        look(page, "phone: called", scans)
        english(page)
        look(page, "phone: called, English", scans)
    assert_no_blocking(scans)
    assert not page.errors  # type: ignore[attr-defined]
