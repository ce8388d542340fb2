"""The teller's caller against a real engine: what the teller sees after each action."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from queue_core.client import EngineClient
from tests.caller.conftest import screenshot
from tests.caller.flows import issue, open_caller, press
from tests.support.engine import RunningEngine


def test_teller_opens_calls_recalls_starts_and_finishes(page: Page, engine: RunningEngine) -> None:
    issue(engine, "A")
    issue(engine, "A", tier="gold")
    open_caller(page, engine, 3)
    expect(page.locator("#counter-state")).to_have_text("关闭")
    expect(page.locator('#actions button[data-action="call_next"]')).to_be_disabled()
    screenshot(page, "caller-closed")

    press(page, "open")
    expect(page.locator("#counter-state")).to_have_text("开放")
    expect(page.locator("#waiting-count")).to_have_text("2")
    press(page, "call_next")
    number = page.locator("#ticket-number")
    expect(number).to_have_text("A002")  # the gold customer first
    expect(page.locator("#ticket-status")).to_have_text("已叫号")
    expect(page.locator("#ticket-badges")).to_contain_text("金卡客户")
    expect(page.locator("#message")).to_have_text("已叫 A002，请客户到3号窗口")
    expect(page.locator("#waiting-count")).to_have_text("1")
    expect(page.locator('#actions button[data-action="call_next"]')).to_be_disabled()

    press(page, "recall")
    expect(page.locator("#message")).to_have_text("已重呼 A002")
    expect(page.locator("#ticket-wait")).to_contain_text("第 2 次呼叫")
    press(page, "start")
    expect(page.locator("#ticket-status")).to_have_text("办理中")
    expect(page.locator('#actions button[data-action="skip"]')).to_be_disabled()
    screenshot(page, "caller-serving")
    press(page, "finish")
    expect(page.locator("#message")).to_have_text("A002 办理完成")
    expect(number).to_have_text("—")
    expect(page.locator('#actions button[data-action="call_next"]')).to_be_enabled()
    assert page.errors == []  # type: ignore[attr-defined]


def test_skip_then_transfer_to_another_business(page: Page, engine: RunningEngine) -> None:
    first = issue(engine, "A")
    issue(engine, "A")
    open_caller(page, engine, 3)
    press(page, "open")
    press(page, "call_next")
    expect(page.locator("#ticket-number")).to_have_text("A001")
    press(page, "skip")
    expect(page.locator("#message")).to_have_text("A001 已过号")
    press(page, "call_next")
    expect(page.locator("#ticket-number")).to_have_text("A002")
    press(page, "transfer")
    page.click('#transfer-services button[data-service="B"]')
    expect(page.locator("#message")).to_have_text("A002 已转往 B")
    expect(page.locator("#ticket-number")).to_have_text("—")
    with EngineClient(engine.url, engine.lobby_token()) as lobby:
        assert lobby.ticket(str(first["id"]))["status"] == "skipped"
        waiting_b = next(s for s in lobby.queue()["services"] if s["code"] == "B")["waiting"]
    assert [t["number"] for t in waiting_b] == ["A002"]


def test_refusals_are_shown_in_plain_words(page: Page, engine: RunningEngine) -> None:
    open_caller(page, engine, 3)
    press(page, "open")
    press(page, "call_next")
    expect(page.locator("#message")).to_have_text("目前没有等候的客户")
    press(page, "call")
    page.fill("#call-number", "a999")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text("该号码不在等候中（可能已叫过、已过号或不存在）")
    expect(page.locator("#message")).to_have_class("message error")
    issue(engine, "C")  # counter 3 does not serve C
    press(page, "call")
    page.fill("#call-number", "C001")
    page.keyboard.press("Enter")
    expect(page.locator("#message")).to_have_text("本窗口不办理该号码的业务")
    # The lobby manager pauses the counter from the console: the teller's page follows.
    with EngineClient(engine.url, engine.lobby_token()) as lobby:
        lobby.counter_action(3, "pause", {"reason": "清点现金"})
    expect(page.locator("#counter-state")).to_have_text("暂停")
    expect(page.locator("#paused-reason")).to_have_text("清点现金")
    expect(page.locator('#actions button[data-action="call_next"]')).to_be_disabled()
    expect(page.locator('#actions button[data-action="resume"]')).to_be_enabled()


def test_every_action_has_its_f_key(page: Page, engine: RunningEngine) -> None:
    issue(engine, "B")
    issue(engine, "A")
    open_caller(page, engine, 3)
    page.keyboard.press("F10")
    expect(page.locator("#counter-state")).to_have_text("开放")
    page.keyboard.press("F2")
    expect(page.locator("#call-number")).to_be_focused()  # type only once the dialog is up
    page.keyboard.type("b001")
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-number")).to_have_text("B001")
    page.keyboard.press("F3")
    expect(page.locator("#message")).to_have_text("已重呼 B001")
    page.keyboard.press("F4")
    expect(page.locator("#ticket-status")).to_have_text("办理中")
    page.keyboard.press("F6")
    expect(page.locator("#message")).to_have_text("B001 办理完成")
    page.keyboard.press("F1")
    expect(page.locator("#ticket-number")).to_have_text("A001")
    page.keyboard.press("F5")
    expect(page.locator("#message")).to_have_text("A001 已过号")
    page.keyboard.press("F8")
    page.keyboard.press("2")  # the second reason: meal break
    expect(page.locator("#counter-state")).to_have_text("暂停")
    expect(page.locator("#paused-reason")).to_have_text("用餐")
    screenshot(page, "caller-paused")
    page.keyboard.press("F9")
    expect(page.locator("#counter-state")).to_have_text("开放")
    page.keyboard.press("F11")
    expect(page.locator("#counter-state")).to_have_text("关闭")
    assert page.url.endswith("/caller?counter=3")  # F5 did not reload the page


def test_page_survives_an_engine_restart_without_logging_in_again(
    page: Page, engine: RunningEngine
) -> None:
    open_caller(page, engine, 3)
    press(page, "open")
    engine.stop()
    expect(page.locator("#link")).to_have_class("link down")
    expect(page.locator("#link-text")).to_have_text("连接中断，正在重连…")
    engine.start()
    expect(page.locator("#link")).to_have_class("link up", timeout=15000)
    issue(engine, "A")
    with EngineClient(engine.url, engine.lobby_token()) as lobby:
        lobby.call_next(3)  # e.g. from the teller's keypad: the page hears it from the events
    expect(page.locator("#ticket-number")).to_have_text("A001")
    expect(page.locator("#login")).to_be_hidden()
    page.reload()  # and a reload keeps the session of the day
    expect(page.locator("#ticket-number")).to_have_text("A001")
    expect(page.locator("#login")).to_be_hidden()


def test_keys_typed_ahead_are_not_lost(page: Page, engine: RunningEngine) -> None:
    issue(engine, "A")
    open_caller(page, engine, 3)
    press(page, "open")
    page.keyboard.press("F1")
    page.keyboard.press("F4")  # before the call's answer is back
    expect(page.locator("#ticket-status")).to_have_text("办理中")
    expect(page.locator("#ticket-number")).to_have_text("A001")


def test_the_login_form_warns_of_no_link_and_a_lockout_says_how_long(
    page: Page, engine: RunningEngine
) -> None:
    page.goto(f"{engine.url}/caller?counter=4")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#link")).to_be_hidden()  # nothing to be linked to before a login
    for _ in range(5):  # a newcomer guessing t04's PIN
        page.fill("#login-name", "t04")
        page.fill("#login-pin", "1234")
        page.click("#login-submit")
        expect(page.locator("#message")).to_have_text("工号或密码错误")
        page.evaluate("document.querySelector('#message').textContent = ''")
    page.fill("#login-pin", "4444")  # the right one, too late
    page.click("#login-submit")
    expect(page.locator("#message")).to_have_text("密码错误次数过多，该工号已锁定，请 5 分钟后再试")
    expect(page.locator("#link")).to_be_hidden()
