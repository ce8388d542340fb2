"""Stopping the reminders from the phone, at a phone's size, against a real engine whose clock
the test moves: a customer who asked for a text on the ticket's page or the appointment's page
sees that they will be told and a button to stop; once stopped, the page says so and offers
the form again, and the local Tencent Cloud SMS gateway receives nothing more for them, while
another customer who asked on their own phone's page is told as before (what shows the engine
got that far) and, once called, still has the button to stop."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.caller.accessibility import Scan, assert_no_blocking, look
from tests.caller.conftest import new_tab, screenshot
from tests.caller.test_accessibility import scans  # noqa: F401  (axe-core's scans, recorded)
from tests.caller.test_ticket_page import PHONE, phone  # noqa: F401  (the phone's context)
from tests.notify.test_notifier import configured
from tests.notify.test_reminders import with_reminders
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.gateways import TencentSmsGateway

MINE = "13812345678"
OTHER = "13987654321"


def _until(check: Callable[[], bool], what: str, bound_s: float = 60) -> None:
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def _numbers(sms: TencentSmsGateway) -> list[str]:
    return [n for sent in sms.accepted for n in sent["PhoneNumberSet"]]


def _ask_by_text(page: Page, said: str, number: str = "138 1234 5678") -> None:
    """Leave the number with the consent ticked, as a customer does; the page says it is on."""
    page.locator("#sms-phone").fill(number)
    page.locator("#sms-consent").check()
    page.locator("#sms button[type=submit]").click()
    expect(page.locator("#sms-on")).to_have_text(said)
    expect(page.locator("#sms")).to_be_hidden()


def _is_large_and_fits(page: Page, selector: str) -> None:
    """Readable at arm's length, as wide as the panel, on a 360-pixel-wide phone."""
    box = page.locator(selector).bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 280
    size = page.eval_on_selector(selector, "el => parseFloat(getComputedStyle(el).fontSize)")
    assert size >= 22
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.fixture
def other_phone(browser: Browser) -> Iterator[BrowserContext]:
    """Another customer's phone."""
    ctx = browser.new_context(**PHONE, has_touch=True, locale="zh-CN")  # type: ignore[arg-type]
    try:
        yield ctx
    finally:
        ctx.close()


def test_a_customer_stops_the_tickets_texts_and_is_told_nothing_more(
    phone: BrowserContext,  # noqa: F811
    other_phone: BrowserContext,
    scans: list[Scan],  # noqa: F811
    tmp_path: Path,
) -> None:
    sms = TencentSmsGateway()
    with sms.running() as sms_url:
        config = configured(tmp_path, sms, sms_url)  # told when 2 are ahead, and when called
        branch = ClockedEngine(tmp_path, Clock(at("2026-11-12 10:00")), config=config).start()
        try:
            lobby = branch.lobby()
            tickets = [lobby.issue("A") for _ in range(5)]
            mine, other = tickets[3], tickets[4]

            page = new_tab(phone)
            page.goto(f"{branch.url}{mine['public_url']}")
            expect(page.locator("#headline")).to_have_text("您前面还有 3 人")
            stop = page.locator("#notify-stop")
            expect(stop).to_be_hidden()  # nothing asked yet: nothing to stop
            _ask_by_text(page, "✓ 提醒短信会发到您留下的号码")
            expect(stop).to_have_text("停止提醒")
            _is_large_and_fits(page, "#notify-stop")
            look(page, "phone: text reminder on, stop offered", scans)
            screenshot(page, "phone-notify-stop")
            page.click("#lang")
            expect(page.locator("#sms-on")).to_have_text("✓ Reminders will be sent by text message")
            expect(stop).to_have_text("Stop reminders")
            look(page, "phone: text reminder on, stop offered, English", scans)
            page.click("#lang")

            stop.click()
            stopped = page.locator("#notify-stopped")
            expect(stopped).to_have_text("已停止提醒，不会再发给您。需要时可以在下面重新设置。")
            expect(stop).to_be_hidden()
            expect(page.locator("#sms-on")).to_be_hidden()
            expect(page.locator("#sms")).to_be_visible()  # the form again, to ask anew
            look(page, "phone: reminders stopped", scans)
            page.click("#lang")
            expect(stopped).to_have_text(
                "Reminders stopped: nothing more will be sent. You can ask again below."
            )
            page.click("#lang")
            page.reload()  # this phone keeps no "on" for the ticket any more
            expect(page.locator("#sms")).to_be_visible()
            expect(stop).to_be_hidden()
            expect(stopped).to_be_hidden()

            # The customer behind asks on their own phone's page: the engine tells them, and
            # never the one who stopped, when 2 are ahead of each and when each is called.
            theirs = new_tab(other_phone)
            theirs.goto(f"{branch.url}{other['public_url']}")
            expect(theirs.locator("#headline")).to_have_text("您前面还有 4 人")
            _ask_by_text(theirs, "✓ 提醒短信会发到您留下的号码", OTHER)
            teller = branch.teller(3)
            teller.counter_action(3, "open")

            def serve_next() -> None:
                teller.call_next(3)
                teller.counter_action(3, "finish")

            serve_next()  # 2 ahead of the one who stopped
            serve_next()  # 2 ahead of the other
            _until(lambda: len(sms.accepted) >= 1, "the other customer's 'near'")
            serve_next()
            serve_next()  # the one who stopped is called and served
            teller.call_next(3)  # the other is called
            _until(lambda: len(sms.accepted) >= 2, "the other customer's 'called'")
            time.sleep(1)  # room for a stray text to arrive
            assert _numbers(sms) == [f"+86{OTHER}"] * 2, sms.accepted
            assert [s["TemplateId"] for s in sms.accepted] == ["1110", "1111"]
            assert sms.refused == []
            # Called: a recall would text again, so the button to stop stays, alone.
            expect(theirs.locator("#headline")).to_have_text("请到 3号窗口")
            expect(theirs.locator("#notify-stop")).to_be_visible()
            expect(theirs.locator("#sms-on")).to_be_visible()
            expect(theirs.locator("#sms")).to_be_hidden()
            expect(theirs.locator("#push")).to_be_hidden()
            look(theirs, "phone: called, text reminder on, stop offered", scans)
            assert_no_blocking(scans)
            assert page.errors == [] and theirs.errors == []  # type: ignore[attr-defined]
        finally:
            branch.stop()


def test_a_customer_stops_the_appointments_reminder_and_none_comes_at_its_time(
    phone: BrowserContext,  # noqa: F811
    scans: list[Scan],  # noqa: F811
    tmp_path: Path,
) -> None:
    sms = TencentSmsGateway()
    with sms.running() as sms_url:
        config = with_reminders(configured(tmp_path, sms, sms_url))  # 30 minutes before
        branch = ClockedEngine(
            tmp_path, Clock(at("2026-11-12 10:00")), config=config, minute_s=0.2
        ).start()
        try:
            api = f"{branch.url}/api/v1"
            slots = httpx.get(
                f"{api}/phone/appointments/slots",
                params={"service": "A", "day": "2026-11-13"},
                timeout=30,
            ).json()
            start = slots["windows"][0]["start"]

            def book(browser: str) -> dict[str, str]:
                body = {"service": "A", "day": "2026-11-13", "start": start, "browser": browser}
                made = httpx.post(f"{api}/phone/appointments", json=body, timeout=30)
                assert made.status_code == 201, made.text
                return dict(made.json())

            mine, other = book("a" * 32), book("b" * 32)

            page = new_tab(phone)
            page.goto(f"{branch.url}{mine['public_url']}")
            expect(page.locator("#headline")).to_have_text("预约成功")
            reminder = mine["remind_at"][11:16]
            _ask_by_text(page, f"✓ {reminder} 会发提醒短信到您留下的号码")
            stop = page.locator("#notify-stop")
            expect(stop).to_have_text("停止提醒")
            _is_large_and_fits(page, "#notify-stop")
            look(page, "phone: appointment reminder on, stop offered", scans)
            page.click("#lang")
            expect(stop).to_have_text("Stop reminders")
            page.click("#lang")
            stop.click()
            expect(page.locator("#notify-stopped")).to_be_visible()
            expect(page.locator("#sms")).to_be_visible()
            expect(page.locator("#sms-on")).to_be_hidden()
            look(page, "phone: appointment reminder stopped", scans)

            asked = httpx.post(
                f"{api}/appointments/{other['id']}/public/notify",
                json={"sms": {"phone": OTHER, "consent": True}},
                timeout=30,
            )
            assert asked.status_code == 201, asked.text
            # The reminders' minute, then past it: both are due in the same housekeeping.
            branch.clock.set(f"2026-11-13 {reminder}")
            _until(lambda: len(sms.accepted) >= 1, "the other customer's reminder")
            branch.clock.now += 5 * 60
            time.sleep(1.5)  # several housekeeping rounds (0.2 s each) past the time
            assert _numbers(sms) == [f"+86{OTHER}"], sms.accepted
            assert sms.accepted[0]["TemplateId"] == "1112"
            assert MINE not in page.content()
            assert_no_blocking(scans)
            assert page.errors == []  # type: ignore[attr-defined]
        finally:
            branch.stop()
