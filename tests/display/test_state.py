"""The hall display's pure state and screen model: events in, what the hall sees out."""

from __future__ import annotations

from display.screen import CallKind, screen
from display.settings import BranchSettings, DisplaySettings, branch_settings
from display.state import MAX_CALLS, HallState, apply, parse_time
from queue_core.wire import HelpBody, News
from tests.display.events import (
    announcement,
    called,
    counter_updated,
    help_event,
    last_call,
    queue,
    snapshot,
    ticket_event,
)
from tests.support.wire import counter_body

T0 = 1_790_000_000.0
SETTINGS = BranchSettings(display=DisplaySettings(flash_s=6))


def run(events: list[News], start: HallState | None = None, now: float = T0) -> HallState:
    state = start or HallState()
    for event in events:
        state = apply(state, event, now)
    return state


def test_snapshot_names_the_branch_and_lists_waiting_by_service_in_config_order() -> None:
    state = run([snapshot(40, T0, queue=queue(B=["B003"], A=["A010", "A011"]))])
    model = screen(state, SETTINGS, T0, online=True)
    assert model.title == "城东支行"
    assert [(s.name, s.waiting, s.next) for s in model.services] == [
        ("个人现金业务", 2, ("A010", "A011")),
        ("个人非现金业务", 1, ("B003",)),
        ("贵宾业务", 0, ()),
    ]
    assert state.last_seq == 40


def test_snapshot_calls_are_shown_newest_first_but_do_not_flash() -> None:
    last = [
        last_call("A002", 2, "2026-11-29T09:01:00+08:00"),
        last_call("A001", 1, "2026-11-29T09:00:00+08:00"),
    ]
    model = screen(run([snapshot(5, T0, last_calls=last)]), SETTINGS, T0, online=True)
    assert model.current is not None and model.current.number == "A002"
    assert model.current.counter == "2号窗口"
    assert [c.number for c in model.recent] == ["A001"]
    assert model.flash_on is None


def test_a_live_call_becomes_current_and_flashes_for_flash_s_only() -> None:
    state = run([snapshot(1, T0), called(2, "A012", 3, T0)])
    assert screen(state, SETTINGS, T0 + 0.1, True).flash_on is True
    assert screen(state, SETTINGS, T0 + 0.7, True).flash_on is False
    assert screen(state, SETTINGS, T0 + 6.5, True).flash_on is None
    current = screen(state, SETTINGS, T0 + 7, True).current
    assert current is not None and (current.number, current.counter) == ("A012", "3号窗口")


def test_the_call_being_announced_takes_the_big_panel_and_flashes_as_long_as_it_is_said() -> None:
    state = run([snapshot(1, T0), called(2, "A001", 1, T0), called(3, "A002", 2, T0)])
    spoken = screen(state, SETTINGS, T0 + 9.2, True, announcing="id-A001")
    assert spoken.current is not None and spoken.current.number == "A001"
    assert [c.number for c in spoken.recent] == ["A002"]
    assert spoken.flash_on is not None  # past flash_s, still flashing while it is said
    after = screen(state, SETTINGS, T0 + 9.2, True)
    assert after.current is not None and after.current.number == "A002"
    assert after.flash_on is None


def test_recall_moves_the_ticket_back_on_top_once_and_flashes_again() -> None:
    state = run([snapshot(1, T0), called(2, "A001", 1, T0), called(3, "A002", 2, T0)])
    state = run([called(4, "A001", 1, T0 + 30, recall=True, count=2)], state, now=T0 + 30)
    model = screen(state, SETTINGS, T0 + 30.2, True)
    assert model.current is not None and model.current.number == "A001"
    assert model.current.recall
    assert [c.number for c in model.recent] == ["A002"]
    assert model.flash_on is True


def test_get_ready_keeps_the_engines_order_and_follows_every_ticket_event() -> None:
    # The engine's call order puts a green-channel A015 before A013: the display keeps it.
    state = run(
        [snapshot(1, T0), ticket_event(2, "issued", "A015", T0, queue(A=["A015", "A013", "A014"]))]
    )
    assert screen(state, SETTINGS, T0, True).services[0].next == ("A015", "A013", "A014")
    state = run([called(3, "A015", 8, T0, q=queue(A=["A013", "A014"]))], state)
    assert screen(state, SETTINGS, T0, True).services[0].next == ("A013", "A014")


def test_get_ready_shows_as_many_numbers_as_configured() -> None:
    settings = branch_settings({"display": {"get_ready": 3}})
    state = run([snapshot(1, T0, queue=queue(A=["A1", "A2", "A3", "A4", "A5"]))])
    assert screen(state, settings, T0, True).services[0].next == ("A1", "A2", "A3")


def test_paused_and_closed_counters_are_listed_until_they_open_again() -> None:
    counters = [counter_body(4, "open"), counter_body(6, "closed")]
    state = run([snapshot(1, T0, counters=counters), counter_updated(2, 4, "paused", "lunch")])
    out = screen(state, SETTINGS, T0, True).out_of_service
    assert [(c.name, c.state, c.reason) for c in out] == [
        ("4号窗口", "paused", "lunch"),
        ("6号窗口", "closed", ""),
    ]
    state = run([counter_updated(3, 4, "open")], state)
    assert [c.name for c in screen(state, SETTINGS, T0, True).out_of_service] == ["6号窗口"]


def test_announcements_scroll_until_ended_or_expired() -> None:
    state = run(
        [
            snapshot(1, T0),
            announcement(2, 1, "养老金今日发放"),
            announcement(3, 2, "午间暂停", until="2026-09-21T12:00:00+00:00"),
        ]
    )
    noon = parse_time("2026-09-21T12:00:00+00:00")
    assert noon is not None
    before = screen(state, SETTINGS, noon - 60, True).marquee
    after = screen(state, SETTINGS, noon + 60, True).marquee
    assert "养老金今日发放" in before and "午间暂停" in before
    assert "养老金今日发放" in after and "午间暂停" not in after
    state = run([announcement(4, 1, "养老金今日发放", active=False)], state)
    assert "养老金" not in screen(state, SETTINGS, T0, True).marquee


def test_vip_and_green_channel_calls_are_set_apart() -> None:
    state = run(
        [
            snapshot(1, T0),
            called(2, "A003", 8, T0, green=True),
            called(3, "V001", 7, T0, tier="gold"),
            called(4, "A004", 1, T0),
        ]
    )
    model = screen(state, SETTINGS, T0, True)
    kinds = {c.number: c.kind for c in (model.current, *model.recent) if c}
    assert kinds == {"A004": CallKind.NORMAL, "V001": CallKind.VIP, "A003": CallKind.GREEN}


def test_a_vip_service_is_set_apart_even_for_a_normal_tier_ticket() -> None:
    settings = branch_settings({"display": {"vip_services": ["V"]}})
    state = run([snapshot(1, T0), called(2, "V002", 7, T0)])
    current = screen(state, settings, T0, True).current
    assert current is not None and current.kind is CallKind.VIP


def test_a_call_replayed_long_after_it_happened_is_shown_but_does_not_flash() -> None:
    state = run([snapshot(1, T0), called(2, "A020", 5, T0 - 600)])
    model = screen(state, SETTINGS, T0, True)
    assert model.current is not None and model.current.number == "A020"
    assert model.flash_on is None


def test_offline_mark_follows_the_link() -> None:
    state = run([snapshot(1, T0)])
    assert screen(state, SETTINGS, T0, online=False).offline
    assert not screen(state, SETTINGS, T0, online=True).offline
    assert not screen(state, SETTINGS, T0, online=False).counters_known


def test_state_stays_bounded_after_a_long_day_of_calls() -> None:
    state = run([snapshot(1, T0)])
    for i in range(3000):
        state = apply(state, called(2 + i, f"A{i % 1000:03d}", 1 + i % 8, T0 + i), T0 + i)
        state = apply(state, announcement(10**5 + i, i + 1, f"通知{i}"), T0 + i)
    assert len(state.calls) == MAX_CALLS
    assert len(state.announcements) <= 20
    assert screen(state, SETTINGS, T0 + 3000, True).recent[0].number == "A998"


def test_branch_settings_read_the_display_and_voice_sections() -> None:
    settings = branch_settings(
        {
            "branch": {"name": "城东支行", "name_en": "Chengdong", "timezone": "Asia/Shanghai"},
            "tiers": [{"code": "normal", "rank": 0}, {"code": "gold", "rank": 1}],
            "display": {"english": False, "recent_calls": 9, "get_ready": 4, "flash_s": 5},
            "voice": {"repeat": 3, "english": True, "template_zh": "请{number}号到{counter}号窗口"},
        }
    )
    assert (settings.display.english, settings.display.recent_calls) == (False, 9)
    assert (settings.voice.repeat, settings.voice.english) == (3, True)
    assert settings.voice.template_zh == "请{number}号到{counter}号窗口"


def test_the_clock_shows_the_branchs_local_time() -> None:
    model = screen(run([snapshot(1, T0)]), SETTINGS, 1_790_000_000.0, True)
    # 1 790 000 000 s is 2026-09-21 14:13:20 UTC, 22:13:20 in China.
    assert model.clock == "22:13:20"
    assert model.date == "2026年9月21日 星期一"


def test_a_kiosks_call_for_help_shows_until_the_lobby_manager_answers() -> None:
    asked: HelpBody = {
        "id": "h1", "device": "kiosk-1", "state": "open", "at": "2026-11-12T10:00:00+08:00"
    }  # fmt: skip
    state = run([snapshot(1, T0, help=[asked])])
    assert screen(state, SETTINGS, T0, True).help == "请大堂经理到 kiosk-1 协助客户"
    second: HelpBody = {**asked, "id": "h2", "device": "kiosk-2"}
    state = run([help_event(2, second)], state)
    model = screen(state, SETTINGS, T0, True)
    assert model.help == "请大堂经理到 kiosk-1、kiosk-2 协助客户"
    assert model.help_en == "Lobby manager, please come to kiosk-1, kiosk-2"
    answered = [help_event(n, {**h, "state": "answered"}) for n, h in ((3, asked), (4, second))]
    assert screen(run(answered, state), SETTINGS, T0, True).help == ""


def test_large_get_ready_lists_three_numbers_at_most() -> None:
    settings = branch_settings({"display": {"get_ready_large": True}})
    state = run([snapshot(1, T0, queue=queue(A=["A1", "A2", "A3", "A4", "A5"]))])
    model = screen(state, settings, T0, True)
    assert model.large_ready and model.services[0].next == ("A1", "A2", "A3")
    assert not screen(state, SETTINGS, T0, True).large_ready
