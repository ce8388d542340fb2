"""The lobby console's appointments and phones tab against a real engine: tomorrow's list with
what to prepare, booking a window, checking a customer in (by the list and by the code on their
phone), the numbers taken on phones that are on their way, and the teller's call that follows.

The engine runs the demo branch in a time zone where it is about noon now, so that today has a
window open for check-in whatever the hour the test runs at."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from queue_core.client import EngineClient
from tests.caller.conftest import screenshot
from tests.caller.flows import open_lobby
from tests.support.engine import DEMO_CONFIG, LOBBY, RunningEngine

PHONE = "0123456789abcdef0123456789abcdef"


def _noon_zone() -> str:
    """A fixed-offset zone in which it is between 11:30 and 12:30 now."""
    utc_hours = (time.time() % 86400) / 3600
    offset = round(12 - utc_hours)  # within -12 .. +12
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")


def _branch_file(folder: Path) -> Path:
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    text = text.replace('timezone = "Asia/Shanghai"', f'timezone = "{_noon_zone()}"')
    # The next window may start up to 30 minutes from now: a head start longer than that puts
    # the customer who checks in now ahead of anyone who came just before, whatever the hour.
    text = text.replace(
        "head_start_min = 15\n", "head_start_min = 45\nbook_until_minutes = 0\nearly_minutes = 60\n"
    )
    path = folder / "branch.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_lobby_books_checks_in_and_sees_phones_on_their_way(page: Page, tmp_path: Path) -> None:
    engine = RunningEngine(workdir=tmp_path, config=_branch_file(tmp_path)).start()
    try:
        _walk_through(page, engine)
    finally:
        engine.stop()


def _walk_through(page: Page, engine: RunningEngine) -> None:
    api = f"{engine.url}/api/v1"
    lobby = {"Authorization": f"Bearer {engine.login(*LOBBY)}"}
    today = httpx.get(f"{api}/phone/branch", timeout=10).json()["today"]
    # A window of today, booked earlier; a number taken at home, on its way.
    slots = httpx.get(
        f"{api}/appointments/slots", params={"service": "A", "day": today}, headers=lobby
    ).json()["windows"]
    booked = httpx.post(
        f"{api}/appointments",
        json={"service": "A", "day": today, "start": slots[0]["start"], "tier": "gold"},
        headers=lobby,
        timeout=10,
    ).json()
    taken = httpx.post(
        f"{api}/phone/tickets", json={"service": "B", "browser": PHONE}, timeout=10
    ).json()

    page.set_viewport_size({"width": 1366, "height": 860})
    page.on("dialog", lambda dialog: dialog.accept())
    open_lobby(page, engine)
    page.click('#tabs button[data-tab="appointments"]')
    expect(page.locator("#tab-appointments")).to_be_visible()

    # Tomorrow first: nothing yet. Book the first window for a large withdrawal.
    expect(page.locator("#appointments tbody")).to_contain_text("这一天没有预约")
    page.select_option("#book-service", "A")
    expect(page.locator("#book-window option:not([disabled])").first).to_contain_text("余 4 个")
    page.fill("#book-note", "取现 5 万元")
    page.click("#book-form button[type=submit]")
    expect(page.locator("#message")).to_contain_text(re.compile(r"已预约，签到码 \d{4} \d{4}"))
    row = page.locator("#appointments tbody tr").first
    expect(row).to_contain_text("09:00–09:30")
    expect(row).to_contain_text("取现 5 万元")
    expect(row.locator(".code")).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    expect(page.locator("#appt-counts")).to_contain_text("已预约 1")
    expect(row.locator("button[data-op=appt-check-in]")).to_have_count(0)  # not today
    screenshot(page, "lobby-appointments")

    # Today: the gold customer's window is open; the phone's number is on its way.
    page.click("#appt-today")
    today_row = page.locator(f'#appointments tr[data-appointment="{booked["id"]}"]')
    expect(today_row).to_contain_text("待到")
    expect(page.locator("#remote .row")).to_have_count(1)
    expect(page.locator("#remote")).to_contain_text(taken["number"])
    screenshot(page, "lobby-appointments-today")

    today_row.locator("button[data-op=appt-check-in]").click()
    expect(page.locator("#message")).to_have_text("已签到，票号 A001")
    expect(today_row).to_contain_text("已签到")
    expect(today_row.locator(".num")).to_have_text("A001")

    # The customer who took B at home shows the code on their phone; the lobby types it.
    page.fill("#code-input", "1234")
    page.click("#code-form button[type=submit]")
    expect(page.locator("#message")).to_have_text("签到码是 8 位数字")
    page.fill("#code-input", taken["check_in_code"])
    page.click("#code-form button[type=submit]")
    expect(page.locator("#message")).to_have_text(f"已签到，票号 {taken['number']}")
    expect(page.locator("#remote .row")).to_have_count(0)

    # The appointment's ticket is called first at the counter that serves A.
    with EngineClient(engine.url, engine.teller_token(3)) as teller:
        teller.counter_action(3, "open")
        called = teller.call_next(3)
        assert called is not None and called["number"] == "A001"
    figures = httpx.get(f"{api}/stats/daily", headers=lobby, timeout=10).json()["appointments"]
    assert (figures["booked"], figures["arrived"], figures["waits"]["count"]) == (1, 1, 1)
    page.click('#tabs button[data-tab="figures"]')  # today's figures count it too
    expect(page.locator('[data-figure="fig.appointments"] .v')).to_have_text("1 / 1")
    assert page.errors == []  # type: ignore[attr-defined]
