"""A ticket taken on the phone before arriving, at a phone's size, against a real engine: from
the branch's phone page to the ticket waiting as remote, the check-in by scanning the QR code
the door screen shows, and the call."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from PIL import Image
from playwright.sync_api import BrowserContext, expect

from queue_core.client import EngineClient
from tests.caller.conftest import new_tab, screenshot
from tests.caller.test_ticket_page import phone  # noqa: F401  (the phone's browser context)
from tests.support.engine import KIOSK_TOKEN, LOBBY, RunningEngine


def _scan(image: bytes) -> str:
    """What a phone's camera reads from the door screen: the QR code in its picture."""
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR on the screen")
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))
    return str(found.text)


def test_a_number_taken_at_home_is_checked_in_at_the_door_and_called(
    engine: RunningEngine,
    phone: BrowserContext,  # noqa: F811
) -> None:
    with EngineClient(engine.url, engine.teller_token(3)) as teller:
        teller.counter_action(3, "open")  # a counter serving A works: phones may take A
        page = new_tab(phone)
        page.goto(f"{engine.url}/phone")
        expect(page.locator("#intro")).to_contain_text("90 分钟内到网点签到")
        row = page.locator('li[data-service="A"]')
        expect(row.locator(".queue")).to_contain_text("0")
        screenshot(page, "phone-branch")
        row.locator("button.take").click()
        expect(page.locator("#take-what")).to_contain_text("签到后才开始排队")
        page.locator("#take-confirm").click()

        expect(page).to_have_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
        expect(page.locator("#headline")).to_have_text("到网点后请签到")
        expect(page.locator("#number")).to_have_text("A001")
        code = page.locator("#code")
        expect(code).to_have_text(
            re.compile(r"^\d{4} \d{4}$")
        )  # the code to type, if the scan fails
        screenshot(page, "phone-remote")
        ticket_id = page.url.rsplit("/", 1)[-1]

        with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
            walk_in = kiosk.issue("A")  # came in meanwhile: ahead of the phone's number
        on_way = httpx.get(
            f"{engine.url}/api/v1/phone/remote",
            headers={"Authorization": f"Bearer {engine.login(*LOBBY)}"},
            timeout=10,
        ).json()
        assert [t["number"] for t in on_way] == ["A001"]

        # The door screen, set up once with the kiosk's device token, shows the QR code.
        door = new_tab(phone)
        door.goto(f"{engine.url}/door")
        door.locator("#device-token").fill(KIOSK_TOKEN)
        door.locator("#setup button").click()
        qr = door.locator("#qr")
        expect(qr).to_have_attribute("src", re.compile(r"^data:image/svg\+xml"))
        address = _scan(qr.screenshot())
        assert address.startswith(f"{engine.url}/c/") and address == qr.get_attribute("data-url")
        screenshot(door, "door-check-in")
        door.close()

        page.goto(address)  # the phone opens what it scanned
        expect(page.locator("#headline")).to_have_text("签到成功：A001")
        expect(page).to_have_url(f"{engine.url}/t/{ticket_id}")
        expect(page.locator("#headline")).to_have_text("您前面还有 1 人")  # the walk-in

        called = teller.call_next(3)
        assert called is not None and called["number"] == walk_in["number"]
        expect(page.locator("#headline")).to_have_text("下一位就是您")
        teller.counter_action(3, "finish")
        teller.call_next(3)
        expect(page.locator("#headline")).to_have_text("请到 3号窗口")
    assert page.errors == []  # type: ignore[attr-defined]
