"""An appointment from the customer's phone, at a phone's size, against a real engine: booked on
the branch's phone page, shown with its code, checked in by scanning the door's code with the
same phone, and called ahead of a walk-in who came a little earlier.

As in the lobby's test, the engine runs in a time zone where it is about noon now, so that a
window of today is open for check-in whatever the hour."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, expect

from queue_core.client import EngineClient
from tests.caller.conftest import new_tab, screenshot
from tests.caller.test_lobby_appointments import _branch_file
from tests.caller.test_ticket_page import phone  # noqa: F401  (the phone's browser context)
from tests.support.engine import KIOSK_TOKEN, RunningEngine


def test_an_appointment_booked_on_the_phone_is_checked_in_at_the_door_and_called(
    phone: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    engine = RunningEngine(workdir=tmp_path, config=_branch_file(tmp_path)).start()
    try:
        with EngineClient(engine.url, engine.teller_token(3)) as teller:
            teller.counter_action(3, "open")
            page = new_tab(phone)
            page.goto(f"{engine.url}/phone")
            row = page.locator('li[data-service="A"]')
            row.locator("button.book").click()
            page.locator("#book-days button").first.click()  # today
            window = page.locator("#book-windows button:not([disabled])").first
            expect(window).to_contain_text("剩 4 个")
            window.click()
            page.locator("#book-confirm").click()

            expect(page).to_have_url(re.compile(r"/a/[A-Za-z0-9_-]+$"))
            expect(page.locator("#headline")).to_have_text("预约成功")
            expect(page.locator("#code")).to_have_text(re.compile(r"^\d{4} \d{4}$"))
            expect(page.locator("#branch")).to_have_text("城东支行")
            screenshot(page, "phone-appointment")

            with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
                walk_in = kiosk.issue("A")  # came a minute before: overtaken by the head start
            door = httpx.get(
                f"{engine.url}/api/v1/phone/door",
                headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
                timeout=10,
            ).json()
            page.goto(door["url"])  # what the phone's camera read from the door screen
            expect(page.locator("#headline")).to_have_text(re.compile(r"^签到成功：A00\d$"))
            expect(page).to_have_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
            expect(page.locator("#headline")).to_have_text("下一位就是您")

            called = teller.call_next(3)
            assert called is not None and called["number"] != walk_in["number"]
            expect(page.locator("#headline")).to_contain_text("请到")
            assert page.errors == []  # type: ignore[attr-defined]
    finally:
        engine.stop()
