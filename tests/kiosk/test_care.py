"""Care mode from plain data: one tap away, the branch's default on pension days, fewer
choices, and guidance spoken for every screen a customer meets, in words that say where to
press."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from drivers.voice.reading import ticket_zh
from kiosk.care import MAX_SERVICES, CarePolicy, Speak, care_services, guidance
from kiosk.layout import Frame, buttons, care_footer
from kiosk.model import (
    AskForHelp,
    Attract,
    BranchLoaded,
    CheckInCode,
    CheckingIn,
    Choose,
    CodeEntry,
    HelpAsked,
    Issued,
    IssueTicket,
    Issuing,
    KioskState,
    Notice,
    Printed,
    PrintFailed,
    PrintTicket,
    Showing,
    Tap,
    Tick,
)
from kiosk.model import Link as LinkChanged
from kiosk.preview import BRANCH, NOW, SERVICES, TICKET, ready, run
from kiosk.state import step
from queue_core.domain.care import CareDefault

ZONE = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int = 10) -> float:
    """An epoch time on ``day`` of January 2027 in the branch's zone."""
    return datetime(2027, 1, day, hour, tzinfo=ZONE).timestamp()


def loaded(now: float, **care: object) -> KioskState:
    branch = {**BRANCH, "care": care} if care else BRANCH
    return run(ready(), BranchLoaded(branch, now))


def caring() -> KioskState:
    return run(ready(), Tap("care:on", NOW + 1))


def spoken(effects: tuple[object, ...]) -> list[str]:
    return [e.text for e in effects if isinstance(e, Speak)]


def test_one_tap_on_the_first_screen_opens_care_mode_and_reads_the_choices() -> None:
    state, effects = step(ready(), Tap("care:on", NOW + 1))
    assert state.care and isinstance(state.screen, Choose)
    [words] = spoken(effects)
    assert words.startswith("请选择您要办理的业务。屏幕上的按钮，从上往下：")
    assert (
        "第一个，个人现金业务。第二个，个人非现金业务。第三个，对公业务。第四个，贵宾业务。"
        in words
    )
    assert "左下角" in words  # where the "hear again" button is


def test_care_mode_offers_fewer_choices_only_open_services_in_the_branchs_order() -> None:
    state = caring()
    shown = care_services(state)
    assert [s.code for s in shown] == ["A", "B", "C", "V"]  # D is closed: not a choice
    assert len(shown) <= MAX_SERVICES < len(state.services)
    chosen = replace(state, care_policy=replace(state.care_policy, services=("V", "D", "A")))
    assert [s.code for s in care_services(chosen)] == ["V", "A"]
    # A service care mode does not show cannot be pressed through it either.
    after, effects = step(chosen, Tap("service:B", NOW + 3))
    assert after.screen == chosen.screen and not effects


@pytest.mark.parametrize(
    ("default", "day", "care"),
    [("pension_days", 13, True), ("pension_days", 15, True), ("pension_days", 16, False),
     ("always", 16, True), ("never", 13, False)],
)  # fmt: skip
def test_the_first_screen_is_in_care_mode_on_the_days_the_branch_says(
    default: str, day: int, care: bool
) -> None:
    state = loaded(at(day), kiosk_default=default, pension_days=[13, 14, 15])
    assert isinstance(state.screen, Attract) and state.care is care
    assert state.care_policy.default is CareDefault(default)


def test_the_day_changing_while_the_kiosk_waits_changes_its_first_screen() -> None:
    state = loaded(at(12, 23), kiosk_default="pension_days", pension_days=[13])
    assert not state.care
    state = run(state, Tick(at(13, 7)))
    assert state.care and isinstance(state.screen, Attract)


def test_a_customer_can_leave_care_mode_and_the_voice_stops() -> None:
    state, effects = step(caring(), Tap("care:off", NOW + 3))
    assert not state.care and isinstance(state.screen, Choose)
    assert spoken(effects) == [""]  # silence


def test_a_care_ticket_is_read_out_with_its_number_the_people_ahead_and_where_to_take_it() -> None:
    state, effects = step(caring(), Tap("service:A", NOW + 3))
    assert isinstance(state.screen, Issuing)
    assert effects[0] == IssueTicket("A", None, "preview-1")
    assert spoken(effects) == ["正在为您取号，请稍候。"]
    state, effects = step(state, Issued("preview-1", TICKET, NOW + 3.2))
    assert isinstance(state.screen, Showing) and PrintTicket(TICKET) in effects
    [words] = spoken(effects)
    assert words == (f"您的号码是，{ticket_zh('A008')}。您前面还有七人。大约等候十一分钟。"
                     "请在屏幕下方取走号票，留意叫号。")  # fmt: skip
    # Printing finished: nothing new to say; the number stays up while it is read.
    _, effects = step(state, Printed("demo", NOW + 5))
    assert spoken(effects) == []
    assert state.timing.care_ticket_s > state.timing.ticket_s
    assert state.screen.until == pytest.approx(NOW + 3.2 + state.timing.care_ticket_s)


def test_a_failed_print_is_said_so_the_customer_remembers_the_number() -> None:
    state = run(caring(), Tap("service:A", NOW + 3), Issued("preview-1", TICKET, NOW + 3.2))
    _, effects = step(state, PrintFailed("demo", "paper_out", "打印机缺纸", NOW + 5))
    [words] = spoken(effects)
    assert "号票未能打印，请记住您的号码" in words and ticket_zh("A008") in words


def test_hear_again_repeats_the_screens_guidance() -> None:
    state = caring()
    _, effects = step(state, Tap("care:repeat", NOW + 5))
    assert spoken(effects) == [guidance(state)]


def test_notices_are_spoken_and_english_is_spoken_in_english() -> None:
    offline = run(caring(), LinkChanged(False, NOW + 2))
    state, effects = step(offline, Tap("service:A", NOW + 4))
    assert isinstance(state.screen, Notice)
    assert spoken(effects) == [
        "暂时无法取号。系统连接中断，正在自动恢复；请稍后再试或联系大堂经理。"
    ]
    english, effects = step(caring(), Tap("lang", NOW + 4))
    [words] = spoken(effects)
    assert words.startswith("Please choose your service.")
    assert "The first button: Personal cash." in words
    assert english.lang == "en"


def test_standard_mode_never_speaks() -> None:
    state, effects = step(run(ready(), Tap("wake", NOW)), Tap("service:A", NOW + 2))
    state, more = step(state, Issued("preview-1", TICKET, NOW + 2.2))
    assert not spoken(effects + more)


def test_idling_in_care_mode_returns_to_the_days_first_screen_in_silence() -> None:
    state = caring()
    idle = NOW + 1 + state.timing.care_idle_reset_s
    assert isinstance(run(state, Tick(idle - 1)).screen, Choose)  # care mode waits longer
    after, effects = step(state, Tick(idle))
    assert isinstance(after.screen, Attract) and not after.care  # not a pension day
    assert spoken(effects) == [""]


def test_no_open_service_is_said_plainly() -> None:
    closed = [{**s, "open": False} for s in SERVICES]
    from kiosk.model import ServicesLoaded

    state = run(caring(), ServicesLoaded(closed, NOW + 2))
    assert care_services(state) == ()
    assert guidance(replace(state, check_in=False)) == (
        "现在没有可以办理的业务。请按黄色按钮，请大堂经理过来帮忙。"
    )
    assert guidance(state) == (
        "现在没有可以办理的业务。在手机上取了号或者预约了的，请按右上角的签到。"
        "请按黄色按钮，请大堂经理过来帮忙。"
    )
    assert [b.target for b in buttons(state, 1080, 1920) if b.target.startswith("care:h")] == [
        "care:help"
    ]


def test_the_policy_falls_back_to_pension_days_on_a_value_it_does_not_know() -> None:
    policy = CarePolicy.from_branch({"care": {"kiosk_default": "sometimes"}, "branch": {}})
    assert policy.default is CareDefault.PENSION_DAYS and policy.pension_days == (13, 14, 15)


def test_the_help_button_calls_the_lobby_manager_and_says_so_without_a_ticket() -> None:
    state, effects = step(caring(), Tap("care:help", NOW + 3))
    assert effects == (AskForHelp(),) and isinstance(state.screen, Choose)
    sent, effects = step(state, HelpAsked(True, NOW + 3.2))
    assert isinstance(sent.screen, Notice) and sent.screen.kind == "help_sent"
    assert spoken(effects) == ["已通知大堂经理。请在这里稍候，大堂经理马上过来。"]
    failed, _ = step(state, HelpAsked(False, NOW + 3.2))
    assert isinstance(failed.screen, Notice) and failed.screen.kind == "help_failed"
    # The voice tells where the button is; standard mode has no such button.
    assert "右边的黄色按钮，请大堂经理过来帮忙。" in guidance(caring())
    standard = run(ready(), Tap("wake", NOW))
    assert step(standard, Tap("care:help", NOW + 2))[1] == ()


def test_a_customer_asks_for_priority_care_and_the_ticket_carries_the_request() -> None:
    state, effects = step(caring(), Tap("care:priority", NOW + 3))
    assert state.priority and spoken(effects) == [
        "已选择优先照顾。请选择您要办理的业务，从上往下第一个按钮开始。"
    ]
    state, effects = step(state, Tap("service:A", NOW + 5))
    assert effects[0] == IssueTicket("A", None, "preview-1", care=True)
    state, effects = step(state, Issued("preview-1", TICKET, NOW + 5.2))
    [words] = spoken(effects)
    assert "大堂经理会过来确认优先照顾。" in words
    granted = {**TICKET, "green_channel": True}
    _, effects = step(run(caring(), Tap("care:priority", NOW + 3), Tap("service:A", NOW + 5)),
                      Issued("preview-1", granted, NOW + 5.2))  # fmt: skip
    assert "您已进入绿色通道，将优先为您办理。" in spoken(effects)[0]
    # The next customer starts without it; tapping again takes it back.
    after = run(state, Tap("done", NOW + 9))
    assert isinstance(after.screen, Choose) and not after.priority
    again = run(caring(), Tap("care:priority", NOW + 3), Tap("care:priority", NOW + 4))
    assert not again.priority
    _, effects = step(again, Tap("service:A", NOW + 5))
    assert effects[0] == IssueTicket("A", None, "preview-1")


def test_care_mode_checks_in_from_the_header_with_a_keypad_the_voice_explains() -> None:
    state = caring()
    # The voice names the check-in button and where it is, after the services.
    words = guidance(state)
    assert words.index("贵宾业务") < words.index("请按右上角的签到。") < words.index("最下面一排")
    w, h = 1366, 768  # the 15.6" landscape kiosk, where a row of its own would not fit
    [check_in] = [b.rect for b in buttons(state, w, h) if b.target == "check-in"]
    assert check_in[0] > w // 2 and check_in[1] + check_in[3] < h // 6  # top right
    assert not any(b.target == "check-in" for b in buttons(replace(state, check_in=False), w, h))

    state, effects = step(state, Tap("check-in", NOW + 3))
    assert isinstance(state.screen, CodeEntry) and state.care
    assert spoken(effects) == [
        "请用屏幕上的数字键输入手机上的八位签到码，再按右下角的确定。"
        "不签到了，请按最下面中间的返回。"
    ]
    shown = {b.target: b.rect for b in buttons(state, w, h)}
    assert shown["back"] == care_footer(Frame(w, h))[1]  # the footer's middle, as said
    ok, nine = shown["code:ok"], shown["code:9"]
    assert ok[0] == nine[0] and ok[1] > nine[1]  # OK at the keypad's bottom right
    for i, digit in enumerate("4021337"):
        state, effects = step(state, Tap(f"code:{digit}", NOW + 4 + i))
        assert spoken(effects) == []  # typing says nothing over the customer's own pace
    state, _ = step(state, Tap("code:ok", NOW + 12))
    assert isinstance(state.screen, CodeEntry)  # seven digits: OK waits for the eighth
    state, _ = step(state, Tap("code:8", NOW + 13))
    state, effects = step(state, Tap("code:ok", NOW + 14))
    assert isinstance(state.screen, CheckingIn) and state.screen.code == "40213378"
    assert CheckInCode("40213378", "preview-1") in effects
    assert spoken(effects) == ["正在为您签到，请稍候。"]
    back = run(caring(), Tap("check-in", NOW + 3), Tap("back", NOW + 5))
    assert isinstance(back.screen, Choose) and back.care
