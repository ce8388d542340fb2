"""An appointment's reminder asked for on its phone page, at a phone's size, against a real
engine whose clock the test moves: the customer ticks the consent and leaves a number, the page
forgets the number at once, and the local Tencent Cloud SMS gateway receives the reminder when
the housekeeping's minute comes, half an hour before the window."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext, expect

from tests.caller.conftest import new_tab, screenshot
from tests.caller.test_ticket_page import phone  # noqa: F401  (the phone's browser context)
from tests.notify.test_notifier import configured
from tests.notify.test_reminders import with_reminders
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.gateways import TencentSmsGateway

PHONE_PAGE = "0123456789abcdef0123456789abcdef"
NUMBER = "13812345678"


def test_a_text_reminder_asked_on_the_appointment_page_arrives_before_the_window(
    phone: BrowserContext,  # noqa: F811
    tmp_path: Path,
) -> None:
    sms = TencentSmsGateway()
    with sms.running() as sms_url:
        config = with_reminders(configured(tmp_path, sms, sms_url))
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
            booked = httpx.post(
                f"{api}/phone/appointments",
                json={"service": "A", "day": "2026-11-13", "start": start, "browser": PHONE_PAGE},
                timeout=30,
            ).json()
            assert booked["remind_at"] is not None

            page = new_tab(phone)
            page.goto(f"{branch.url}{booked['public_url']}")
            expect(page.locator("#headline")).to_have_text("预约成功")
            panel = page.locator("#notify")
            expect(panel.locator("h2")).to_have_text("预约前提醒我")
            expect(page.locator("#notify-what")).to_contain_text("预约时段开始前 30 分钟")
            page.locator("#sms-phone").fill("138 1234 5678")
            page.locator("#sms button[type=submit]").click()
            expect(page.locator("#notify-error")).to_have_text("请先勾选上面的同意。")
            page.locator("#sms-consent").check()
            page.locator("#sms button[type=submit]").click()
            expect(page.locator("#sms-on")).to_be_visible()
            expect(page.locator("#sms")).to_be_hidden()
            expect(page.locator("#notify-error")).to_be_hidden()
            assert page.locator("#sms-phone").input_value() == ""
            assert NUMBER not in page.content() and "5678" not in page.inner_text("body")
            screenshot(page, "phone-appointment-remind")
            assert sms.accepted == []

            window = start[11:16]
            reminder = booked["remind_at"][11:16]
            branch.clock.set(f"2026-11-13 {reminder}")  # the reminder's minute has come
            deadline = time.monotonic() + 20
            while not sms.accepted and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(sms.accepted) == 1, sms.refused
            sent = sms.accepted[0]
            assert sent["TemplateId"] == "1112"
            assert sent["TemplateParamSet"] == ["个人现金业务", window]
            assert sent["PhoneNumberSet"] == [f"+86{NUMBER}"]

            page.reload()  # the reminder is past: nothing more to ask for, nor any number shown
            expect(page.locator("#headline")).to_have_text("预约成功")
            expect(panel).to_be_hidden()
            assert NUMBER not in page.content()
            assert page.errors == []  # type: ignore[attr-defined]
        finally:
            branch.stop()
