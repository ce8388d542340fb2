"""The lobby manager's console against a real engine."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect
from websockets.sync.client import connect

from queue_core.client import EngineClient, events_url
from tests.caller.conftest import screenshot
from tests.caller.flows import issue, open_caller, open_lobby, press
from tests.support.clocked import PLAN_BOUND_S, Clock, ClockedEngine, at
from tests.support.engine import (
    DISPLAY_TOKEN,
    KIOSK_TOKEN,
    RATING_TOKEN,
    SIGN_TOKEN,
    RunningEngine,
)


def test_reassigned_skip_goes_to_the_tellers_next_call(
    context: BrowserContext, engine: RunningEngine
) -> None:
    for _ in range(3):
        issue(engine, "A")
    teller = context.new_page()
    open_caller(teller, engine, 3)
    press(teller, "open")
    press(teller, "call_next")
    expect(teller.locator("#ticket-number")).to_have_text("A001")
    press(teller, "skip")

    lobby = context.new_page()
    lobby.set_viewport_size({"width": 1366, "height": 860})
    open_lobby(lobby, engine)
    row = lobby.locator('#skipped .row[data-number="A001"]')
    expect(row).to_be_visible()
    screenshot(lobby, "lobby-skipped")
    row.locator("[data-role=reassign-counter]").select_option("3")
    row.locator('button[data-position="front"]').click()
    expect(lobby.locator("#message")).to_have_text("A001 已排到队首")
    expect(row).to_have_count(0)
    expect(lobby.locator('.queue[data-service="A"] li').first).to_have_attribute(
        "data-number", "A001"
    )

    press(teller, "call_next")
    expect(teller.locator("#ticket-number")).to_have_text("A001")
    expect(lobby.locator('.counter[data-counter="3"] .cur')).to_have_text("A001")


def test_hall_live_issue_move_cancel_and_announce(page: Page, engine: RunningEngine) -> None:
    page.set_viewport_size({"width": 1366, "height": 860})
    issue(engine, "A")
    issue(engine, "B", tier="gold")
    with EngineClient(engine.url, engine.teller_token(1)) as teller:
        teller.counter_action(1, "open")
    page.on("dialog", lambda dialog: dialog.accept())
    open_lobby(page, engine)
    expect(page.locator('.queue[data-service="A"] li')).to_have_count(1)
    expect(page.locator('.queue[data-service="B"] li .badge.vip')).to_have_text("金卡客户")
    expect(page.locator('.counter[data-counter="1"] .chip')).to_have_text("开放")

    page.select_option("#issue-service", "A")
    page.check("#issue-green")
    page.click("#issue-form button[type=submit]")
    expect(page.locator("#issued")).to_have_text("A002")
    expect(
        page.locator('.queue[data-service="A"] li[data-number="A002"] .badge.green')
    ).to_be_visible()

    # Another arrival reaches the console by the events alone.
    issue(engine, "C")
    expect(page.locator('.queue[data-service="C"] li')).to_have_count(1)

    first = page.locator('.queue[data-service="A"] li[data-number="A001"]')
    first.hover()
    first.locator("select[data-op=move]").select_option("D")
    expect(page.locator("#message")).to_have_text("A001 已改为 开户与理财")
    expect(page.locator('.queue[data-service="D"] li[data-number="A001"]')).to_be_visible()

    row = page.locator('.queue[data-service="C"] li[data-number="C001"]')
    row.hover()
    row.locator("button[data-op=cancel]").click()
    expect(page.locator("#message")).to_have_text("C001 已取消")
    expect(page.locator('.queue[data-service="C"] li')).to_have_count(0)

    page.fill("#ann-text", "今日理财讲座 14:00 在二楼")
    page.click("#announce-form button[type=submit]")
    expect(page.locator("#announcements .ann")).to_have_count(1)
    page.locator('.counter[data-counter="1"] button[data-action="pause"]').click()
    expect(page.locator('.counter[data-counter="1"] .chip')).to_have_text("暂停")
    screenshot(page, "lobby-hall")
    page.locator("#announcements button[data-op=end-announcement]").click()
    expect(page.locator("#announcements .ann")).to_have_count(0)
    page.click("#lang")
    expect(page.locator('#tabs button[data-tab="hall"]')).to_have_text("Hall")
    screenshot(page, "lobby-hall-en")
    assert page.errors == []  # type: ignore[attr-defined]


def test_devices_before_opening(page: Page, engine: RunningEngine) -> None:
    page.set_viewport_size({"width": 1366, "height": 700})
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        kiosk.report_health("warning", {"paper": "near_end"})
    # What the signs agent reports for a bus of 8 signs and 8 keypads, one of them dead.
    bus = {f"sign:{n}": "ok" for n in range(1, 9)}
    bus |= {f"keypad:{100 + n}": "ok" for n in range(1, 9)}
    with EngineClient(engine.url, SIGN_TOKEN) as signs:
        signs.report_health(
            "warning", {"dead": ["keypad:105"], "devices": bus | {"keypad:105": "dead"},
                        "garbled_frames": 3},
        )  # fmt: skip
    with EngineClient(engine.url, DISPLAY_TOKEN) as display:
        display.report_health("ok", {"link": "up"})
    open_lobby(page, engine)
    page.click('#tabs button[data-tab="devices"]')
    kiosk_row = page.locator('#devices tr[data-device="kiosk-1"]')
    expect(kiosk_row.locator(".health")).to_have_text("注意")
    expect(kiosk_row).to_contain_text("纸张: 将尽")
    expect(page.locator("#devices-summary")).to_have_text("5 台设备需要注意")
    expect(page.locator('#devices tr[data-device="kiosk-2"] .health')).to_have_text("未报告")
    with EngineClient(engine.url, "demo-kiosk-2") as kiosk2:  # a printer it cannot ask
        kiosk2.report_health("unknown", {"printer": {"readable": False}})
    page.click('#tabs button[data-tab="hall"]')
    page.click('#tabs button[data-tab="devices"]')
    expect(page.locator('#devices tr[data-device="kiosk-2"] .health')).to_have_text("无法检测")
    display_row = page.locator('#devices tr[data-device="hall-display"]')
    # Reported fine but not following the events: the screen shows nothing new.
    expect(display_row.locator(".health")).to_have_text("注意")
    with connect(events_url(engine.url, DISPLAY_TOKEN, None)) as stream:
        stream.recv(timeout=5)  # the snapshot
        page.click('#tabs button[data-tab="hall"]')
        page.click('#tabs button[data-tab="devices"]')
        expect(display_row.locator(".health")).to_have_text("正常")
        expect(display_row.locator("td").nth(3)).to_have_text("是")
        screenshot(page, "lobby-devices")
    # The table fits the window, its headings on one line each, the bus's detail wrapped.
    fit = page.evaluate("""() => {
        const table = document.querySelector('#devices');
        const heads = [...table.querySelectorAll('th')].map((th) => th.getBoundingClientRect());
        const line = 1.5 * parseFloat(getComputedStyle(table.querySelector('th')).fontSize);
        return {width: table.getBoundingClientRect().right, window: innerWidth,
                tallest: Math.max(...heads.map((r) => r.height)), line: line};
    }""")
    assert fit["width"] <= fit["window"], fit
    assert fit["tallest"] < 2.5 * fit["line"], fit
    expect(page.locator('#devices tr[data-device="sign-bus"]')).to_contain_text("keypad:105")


def test_todays_figures_with_charts_and_csv(
    page: Page, engine: RunningEngine, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1366, "height": 900})
    for service in ("A", "A", "B"):
        issue(engine, service)
    tablet = EngineClient(engine.url, RATING_TOKEN)  # counter 3's: the customers rate there
    with EngineClient(engine.url, engine.teller_token(3)) as teller:
        teller.counter_action(3, "open")
        for _ in range(2):
            teller.call_next(3)
            done = teller.counter_action(3, "finish")
            assert done is not None
            tablet.request("POST", f"/tickets/{done['id']}/rating", {"rating": 5})
        teller.call_next(3)
        teller.counter_action(3, "skip")
    open_lobby(page, engine)
    page.click('#tabs button[data-tab="figures"]')
    expect(page.locator('[data-figure="fig.issued"] .v')).to_have_text("3")
    expect(page.locator('[data-figure="fig.served"] .v')).to_have_text("2")
    expect(page.locator('[data-figure="fig.noshow"] .v')).to_have_text("1")
    # Care is counted as service given (counter 8 is the demo's care window), never as
    # customers sent away from the counters.
    expect(page.locator('[data-figure="fig.green"] .v')).to_have_text("0 / 0")
    expect(page.locator('[data-figure="fig.care"] .v')).to_have_text("0")
    expect(page.locator("#cards")).not_to_contain_text("分流")
    expect(page.locator("#chart-counters rect.bar")).to_have_count(1)
    expect(page.locator('#chart-counters rect.bar[data-label="3"]')).to_have_attribute(
        "data-value", "2"
    )
    expect(page.locator("#chart-hourly line.threshold")).to_have_count(1)
    expect(page.locator('#chart-ratings rect.bar[data-label="5"]')).to_have_attribute(
        "data-value", "2"
    )
    screenshot(page, "lobby-figures")
    with page.expect_download() as download:
        page.click("#fig-csv")
    saved = tmp_path / "day.csv"
    download.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("number,") and len(lines) == 4


def test_a_kiosks_call_for_help_reaches_the_console_live_and_is_answered(
    page: Page, engine: RunningEngine
) -> None:
    page.set_viewport_size({"width": 1366, "height": 860})
    open_lobby(page, engine)
    expect(page.locator("#help")).to_have_text("暂无求助")
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        asked = kiosk.request("POST", "/help")  # the kiosk's "请大堂经理帮忙", by the events
    row = page.locator(f'#help .row[data-help="{asked["id"]}"]')
    expect(row).to_contain_text("kiosk-1 请大堂经理帮忙")
    expect(page.locator("#help-panel")).to_have_class("panel asking")
    expect(page.locator("#help-count")).to_have_text("1")
    row.locator("button[data-op=answer-help]").click()
    expect(page.locator("#message")).to_have_text("已接下 kiosk-1 的求助")
    expect(row).to_have_count(0)
    expect(page.locator("#help-count")).to_have_text("0")
    with EngineClient(engine.url, engine.lobby_token()) as lobby:
        assert lobby.request("GET", "/help") == []
    # A care-mode customer asked for the green channel: the lobby manager confirms it here.
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        ticket = kiosk.request("POST", "/tickets", {"service": "A", "care": True})
    row = page.locator(f'#help .row[data-number="{ticket["number"]}"]')
    expect(row).to_contain_text(f"kiosk-1：{ticket['number']} 请求优先照顾（绿色通道）")
    row.locator('button[data-grant="true"]').click()
    expect(page.locator("#message")).to_have_text("已确认绿色通道")
    expect(row).to_have_count(0)
    expect(
        page.locator(f'.queue[data-service="A"] li[data-number="{ticket["number"]}"] .badge.green')
    ).to_be_visible()
    assert page.errors == []  # type: ignore[attr-defined]


def test_a_ticket_that_did_not_print_is_held_and_the_lobby_reprints_releases_or_cancels_it(
    page: Page, engine: RunningEngine
) -> None:
    page.set_viewport_size({"width": 1366, "height": 860})
    page.on("dialog", lambda dialog: dialog.accept())
    with EngineClient(engine.url, KIOSK_TOKEN) as kiosk:
        lost = [kiosk.issue("A") for _ in range(3)]
        open_lobby(page, engine)
        expect(page.locator("#held-count")).to_have_text("0")
        for ticket, code in zip(lost, ("paper_out", "cover_open", "offline"), strict=True):
            kiosk.request("POST", f"/tickets/{ticket['id']}/print-failed", {"code": code})
    # The events alone bring them to the console, out of the A queue.
    held = page.locator("#held .row")
    expect(held).to_have_count(3)
    expect(page.locator("#held-count")).to_have_text("3")
    expect(page.locator('.queue[data-service="A"] li')).to_have_count(0)
    first = page.locator('#held .row[data-number="A001"]')
    expect(first.locator(".ago")).to_contain_text("缺纸")
    expect(first.locator(".ago")).to_contain_text("kiosk-1")
    expect(first.locator("[data-role=reprint-kiosk] option").first).to_have_text("kiosk-1")
    screenshot(page, "lobby-held")

    # Reprint: the issuing kiosk is asked on the event stream (it releases it once printed).
    with connect(events_url(engine.url, DISPLAY_TOKEN, None)) as ws:
        ws.recv(timeout=30)  # the snapshot
        first.locator("button[data-op=reprint]").click()
        expect(page.locator("#message")).to_have_text("已请 kiosk-1 补打 A001")
        asked = json.loads(ws.recv(timeout=30))
    assert (asked["type"], asked["data"]["kiosk"]) == ("ticket.reprint", "kiosk-1")

    page.locator('#held .row[data-number="A002"] button[data-op=release]').click()
    expect(page.locator("#message")).to_have_text("A002 已恢复排队")
    expect(page.locator('.queue[data-service="A"] li[data-number="A002"]')).to_be_visible()
    page.locator('#held .row[data-number="A003"] button[data-op=cancel]').click()
    expect(page.locator("#message")).to_have_text("A003 已取消")
    expect(held).to_have_count(1)
    expect(page.locator('.queue[data-service="A"] li')).to_have_count(1)


PLAN_TIMEOUT_MS = PLAN_BOUND_S * 1000


def test_staffing_advice_with_its_figure_and_what_was_done(page: Page, tmp_path: Path) -> None:
    """A crowded pension-day morning: the console shows the alert and the advice with its
    figure, and records that the lobby manager followed it."""
    branch = ClockedEngine(tmp_path, Clock(at("2026-12-14 10:00"))).start()
    try:
        desk = branch.lobby()
        desk.counter_action(1, "open")
        for _ in range(30):
            desk.issue("A")
        page.set_viewport_size({"width": 1366, "height": 900})
        open_lobby(page, branch)  # type: ignore[arg-type]
        expect(page.locator("#staffing-forecast")).to_have_text(
            "暂无预测（营业时间内每分钟预测一次）"
        )
        expect(page.locator("#staffing-banner")).to_be_hidden()

        page.click("#staffing-look")
        expect(page.locator("#message")).to_have_text("已重新预测")
        banner = page.locator("#staffing-banner")
        expect(banner).to_be_visible()
        expect(banner).to_contain_text("预计超过目标：未来一小时约")
        advice = page.locator("#staffing-advice .advice")
        expect(advice).to_have_count(1)
        expect(advice.locator("strong")).to_contain_text("开启")
        expect(advice.locator(".figure")).to_contain_text("未来一小时等候超 3 分钟")
        expect(advice.locator(".figure")).to_contain_text("→")
        expect(page.locator("#staffing-forecast")).to_contain_text("目标不超过 15%")
        screenshot(page, "lobby-staffing")

        advice.locator('button[data-state="followed"]').click()
        expect(page.locator("#message")).to_have_text("已记录：照建议办理")
        expect(page.locator("#staffing-advice .advice")).to_have_count(0)
        page.click("#staffing-history summary")
        done = page.locator('#staffing-done .advice[data-state="followed"]')
        expect(done).to_have_count(1)
        expect(done.locator(".chip")).to_have_text("已照办")
        # The day's outcome of the followed advice: its hour after is still being counted.
        expect(page.locator('#staffing-outcomes .outcome[data-state="followed"]')).to_have_text(
            "已照办 1 条：之后一小时统计中"
        )
        (record,) = desk.request("GET", "/staffing")["advice"]
        assert (record["state"], record["resolved_by"]) == ("followed", "lobby")

        # The day's plan, made in the background from the pension day's profile on opening
        # the panel (it plays the day several times over: give it time on a busy machine).
        page.click("#staffing-plan summary")
        plan = page.locator("#plan-body li")
        expect(plan).to_have_count(8, timeout=PLAN_TIMEOUT_MS)
        expect(plan.first).to_contain_text("09:00–10:00 · 8 个窗口：1 2 3 4 5 6 7 8")
        expect(page.locator("#plan-body p")).to_contain_text("养老金发放日")

        page.click("#lang")
        expect(page.locator("#staffing-panel h2")).to_have_text("Staffing advice")
        expect(done.locator(".chip")).to_have_text("Followed")
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        branch.stop()
