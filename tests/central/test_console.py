"""The head-office console, in Debian's Chromium and through its API: every branch live,
drill-down to a branch's day with the branch's own figures, rankings, CSV, and the roles
(a region manager sees only the region; only an admin sends marquee texts)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from queue_core.central.reports import RANKINGS, figure_line, teller_lines
from queue_core.client import EngineClient
from tests.caller.conftest import SCREENS
from tests.central.conftest import Bank
from tests.central.test_uplink import branch_figures
from tests.support.browser import headless_chromium
from tests.support.central import USERS, wait_until
from tests.support.engine import LOBBY


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with headless_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  accept_downloads=True)  # fmt: skip
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield tab
        assert errors == []
    finally:
        context.close()


def log_in(page: Page, bank: Bank, login: str) -> None:
    page.goto(bank.console_url)
    page.fill("#login-name", login)
    page.fill("#login-password", USERS[login][2])
    page.click("#login button[type=submit]")
    expect(page.locator("#board tbody tr").first).to_be_visible()


def test_admin_sees_every_branch_live_and_drills_into_a_day(page: Page, bank: Bank) -> None:
    log_in(page, bank, "hq-admin")
    expect(page.locator("#board tbody tr[data-code='0201']")).to_contain_text("西城支行")
    east = page.locator("#board tbody tr[data-code='0101']")
    expect(east).to_contain_text("城东支行")
    expect(east).to_contain_text("华东区")
    expect(east).to_contain_text("正常")  # the link
    expect(east).to_contain_text("kiosk-1")  # the kiosk's printer fault
    page.screenshot(path=str(SCREENS / "central-board.png"))

    mine = branch_figures(bank.engines["0101"])
    east.click()
    expect(page.locator("#day-title")).to_contain_text("城东支行 (0101)")
    cards = page.locator("#day-cards")
    expect(cards).to_contain_text(str(mine["issued"]))
    expect(page.locator("#day-tellers tbody tr")).to_have_count(len(mine["by_teller"]))
    expect(page.locator("#day-devices")).to_contain_text("paper_out")
    page.screenshot(path=str(SCREENS / "central-day.png"), full_page=True)
    # Tomorrow's appointments beside the day's other figures: one booked, one cancelled.
    tomorrow = (date.fromisoformat(mine["date"]) + timedelta(days=1)).isoformat()
    page.fill("#day-date", tomorrow)
    page.dispatch_event("#day-date", "change")
    expect(cards.locator(".card[data-card='appointments'] b")).to_have_text("0 / 1")
    expect(cards.locator(".card[data-card='appointments_cancelled'] b")).to_have_text("1")
    page.fill("#day-date", mine["date"])
    page.dispatch_event("#day-date", "change")

    with page.expect_download() as download:
        page.click("#day-tickets-csv")
    text = Path(download.value.path()).read_text("utf-8")
    rows_csv = list(csv.reader(io.StringIO(text)))
    assert rows_csv[0][0] == "number" and len(rows_csv) - 1 == _visits(bank)

    page.click("#day-back")
    page.click("#tabs button[data-tab=ranking]")
    expect(page.locator("#rank-branches tbody tr").nth(1)).to_be_visible()
    expect(page.locator("#rank-tellers tbody tr").first).to_be_visible()
    page.click("#lang")
    expect(page.locator("#rank-branches thead")).to_contain_text("Mean wait")


def _visits(bank: Bank) -> int:
    lobby = EngineClient(bank.engines["0101"].url)
    lobby.login(*LOBBY)
    return len(lobby.request("GET", "/tickets"))


def test_the_console_gives_the_branch_own_figures(bank: Bank) -> None:
    for code, engine in bank.engines.items():
        mine = branch_figures(engine)
        theirs = bank.get("hq-admin", f"/branches/{code}/day").json()["figures"]
        assert theirs == mine
    line = next(b for b in bank.get("hq-viewer", "/branches").json()["branches"]
                if b["code"] == "0101")  # fmt: skip
    mine = branch_figures(bank.engines["0101"])
    assert line["over_threshold_share"] == mine["waits"]["over_threshold_share"]
    assert line["served"] == mine["served"] and line["lag"] == 0 and line["clock_ok"] is True


@pytest.mark.parametrize("by", sorted(RANKINGS))
@pytest.mark.parametrize("day", ["today", "by date"])
def test_the_rankings_order_branches_and_tellers_by_their_own_figures(
    bank: Bank, by: str, day: str
) -> None:
    key, more_is_better = RANKINGS[by]
    mine = {code: branch_figures(engine) for code, engine in bank.engines.items()}
    dates = {figs["date"] for figs in mine.values()}
    params: dict[str, object] = {"by": by}
    if day == "by date":
        params["date"] = dates.pop()
    body = bank.get("hq-viewer", "/ranking", **params).json()
    for kind, theirs in (("branches", body["branches"]), ("tellers", body["tellers"])):
        values = [line[key] for line in theirs if line[key] is not None]
        assert values == sorted(values, reverse=more_is_better), kind
        assert [line["rank"] for line in theirs] == [
            *range(1, len(values) + 1),
            *[None] * (len(theirs) - len(values)),
        ], kind
    lines = {line["branch"]: line for line in body["branches"]}
    for code, figs in mine.items():
        assert {k: lines[code][k] for k in figure_line(figs)} == figure_line(figs)
        name = lines[code]["branch_name"]
        expected = teller_lines(code, name, figs)
        got = [{k: t[k] for k in expected[0]} for t in body["tellers"] if t["branch"] == code]
        assert sorted(got, key=lambda t: t["teller"]) == sorted(expected, key=lambda t: t["teller"])


def test_a_region_manager_sees_only_the_region(page: Page, bank: Bank) -> None:
    codes = [b["code"] for b in bank.get("east-manager", "/branches").json()["branches"]]
    assert codes == ["0101"]
    assert bank.get("east-manager", "/branches/0201/day").status_code == 404
    ranking = bank.get("east-manager", "/ranking", by="rating").json()
    assert [b["branch"] for b in ranking["branches"]] == ["0101"]
    log_in(page, bank, "east-manager")
    expect(page.locator("#board tbody tr")).to_have_count(1)
    expect(page.locator("#tab-marquee-button")).to_be_hidden()


def test_wrong_password_says_what_to_do(page: Page, bank: Bank) -> None:
    page.goto(bank.console_url)
    page.fill("#login-name", "hq-viewer")
    page.fill("#login-password", "not-the-password")
    page.click("#login button[type=submit]")
    expect(page.locator("#message")).to_contain_text("用户名或密码不对")
    r = httpx.get(f"{bank.console_url}/api/central/v1/branches", timeout=10)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


def test_only_an_admin_sends_a_marquee_text_and_it_reaches_the_branch(bank: Bank) -> None:
    url = f"{bank.console_url}/api/central/v1/marquee"
    body = {"branches": ["0201"], "text": "今日系统升级，业务照常办理"}
    viewer = httpx.post(url, json=body, timeout=10,
                        headers={"Authorization": f"Bearer {bank.token('hq-viewer')}"})  # fmt: skip
    assert viewer.status_code == 403
    sent = httpx.post(url, json=body, timeout=30,
                      headers={"Authorization": f"Bearer {bank.token('hq-admin')}"})  # fmt: skip
    assert sent.status_code == 200, sent.text
    assert sent.json()["sent"] == [{"branch": "0201", "version": 1}]
    lobby = EngineClient(bank.engines["0201"].url)
    lobby.login(*LOBBY)
    wait_until(
        lambda: any("系统升级" in a["text"] for a in lobby.request("GET", "/announcements")),
        30,
        "the text is on the branch's hall display",
    )
