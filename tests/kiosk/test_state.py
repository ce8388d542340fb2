"""The kiosk's screens from plain data: presses, the card reader, failures, idle, the PIN."""

from __future__ import annotations

from dataclasses import replace

from kiosk import texts
from kiosk.model import (
    Attract,
    CheckPin,
    Choose,
    EngineEvent,
    Issued,
    IssueFailed,
    IssueTicket,
    Issuing,
    Key,
    KioskState,
    LocalSettings,
    Notice,
    PinChecked,
    PinEntry,
    Printed,
    PrintFailed,
    PrintTicket,
    RefreshServices,
    ReportPrint,
    SaveSettings,
    Settings,
    Showing,
    Tap,
    Tick,
    TokenChecked,
)
from kiosk.model import Link as LinkChanged
from kiosk.preview import BRANCH, NOW, TICKET, ready, run
from kiosk.state import new_state, step
from queue_core import DEFAULT_ENGINE, wire
from tests.support import wire as made

CARD = "6225881234567890"


def choosing() -> KioskState:
    return run(ready(), Tap("wake", NOW))


def swipe(state: KioskState, card: str, at: float) -> KioskState:
    keys = [Key(d, at + i * 0.02) for i, d in enumerate(card)]
    return run(state, *keys, Key("enter", at + len(card) * 0.02))


def test_a_press_issues_once_and_a_second_tap_while_issuing_does_nothing() -> None:
    state, effects = step(choosing(), Tap("service:A", NOW + 1))
    assert isinstance(state.screen, Issuing)
    assert effects == (IssueTicket("A", None, "preview-1"),)
    again, more = step(state, Tap("service:A", NOW + 1.05))
    assert more == () and again.presses == 1
    later, more = step(state, Tap("service:B", NOW + 3))
    assert more == () and isinstance(later.screen, Issuing)


def test_the_first_tap_on_a_new_screen_is_taken_as_the_old_tap_bouncing() -> None:
    state, effects = step(run(ready(), Tap("wake", NOW)), Tap("service:A", NOW + 0.2))
    assert effects == () and isinstance(state.screen, Choose)


def test_the_attract_screen_wakes_without_issuing() -> None:
    state, effects = step(ready(), Tap("wake", NOW))
    assert effects == () and isinstance(state.screen, Choose)


def test_the_answer_shows_the_number_and_prints_it() -> None:
    state, _ = step(choosing(), Tap("service:A", NOW + 1))
    state, effects = step(state, Issued("preview-1", TICKET, NOW + 1.1))
    assert isinstance(state.screen, Showing) and state.screen.ticket["number"] == "A008"
    assert effects == (PrintTicket(TICKET),)


def test_an_unanswered_press_reuses_its_key_when_the_same_service_is_pressed_again() -> None:
    state, _ = step(choosing(), Tap("service:A", NOW + 1))
    state = run(state, IssueFailed("preview-1", 0, "engine_unavailable", NOW + 4))
    assert isinstance(state.screen, Notice) and state.screen.kind == "offline"
    state = run(state, Tap("back", NOW + 6))
    _, effects = step(state, Tap("service:A", NOW + 8))
    assert effects == (IssueTicket("A", None, "preview-1"),)
    _, effects = step(state, Tap("service:B", NOW + 8))
    assert effects == (IssueTicket("B", None, "preview-2"),)
    _, effects = step(state, Tap("service:A", NOW + 4 + state.timing.unsettled_s + 1))
    assert effects == (IssueTicket("A", None, "preview-2"),)


def test_a_late_answer_to_an_abandoned_press_changes_nothing() -> None:
    state, _ = step(choosing(), Tap("service:A", NOW + 1))
    state = run(state, IssueFailed("preview-1", 0, "engine_unavailable", NOW + 4))
    after, effects = step(state, Issued("preview-1", TICKET, NOW + 5))
    assert after == state and effects == ()


def test_refusals_say_why() -> None:
    for status, code, kind in [(429, "rate_limited", "busy"), (422, "invalid_card", "bad_card"),
                               (403, "forbidden", "refused"), (503, "store_unavailable",
                                                               "offline")]:  # fmt: skip
        state, _ = step(choosing(), Tap("service:A", NOW + 1))
        state = run(state, IssueFailed("preview-1", status, code, NOW + 2))
        assert isinstance(state.screen, Notice) and state.screen.kind == kind


def test_nothing_is_issued_while_the_engine_is_unreachable_and_it_says_so() -> None:
    state = run(choosing(), LinkChanged(False, NOW + 1))
    state, effects = step(state, Tap("service:A", NOW + 2))
    assert effects == () and isinstance(state.screen, Notice) and state.screen.kind == "offline"
    state = run(state, LinkChanged(True, NOW + 3), Tap("back", NOW + 4))
    _, effects = step(state, Tap("service:A", NOW + 5))
    assert isinstance(effects[0], IssueTicket)


def test_a_closed_service_is_shown_and_refused_not_hidden() -> None:
    state = choosing()
    assert [s.code for s in state.services] == ["A", "B", "C", "D", "V"]
    assert state.service("D") is not None and not state.service("D").open  # type: ignore[union-attr]
    state, effects = step(state, Tap("service:D", NOW + 1))
    assert effects == () and isinstance(state.screen, Notice) and state.screen.kind == "closed"


def test_events_update_waiting_and_a_counter_change_reloads_the_services() -> None:
    queue: wire.QueueSummary = {
        "A": {
            "waiting": 9,
            "estimated_wait_s": 900,
            "estimated_wait_range_s": [720, 1200],
            "next": [],
        }
    }
    issued = made.ticket_event(5, "issued", made.ticket("A008"), q=queue)
    state, _ = step(choosing(), EngineEvent(issued, NOW))
    a = state.service("A")
    assert a is not None and (a.waiting, a.estimated_wait_s) == (9, 900)
    assert a.estimated_wait_range_s == (720, 1200)
    assert texts.waiting_line(a, "zh") == "等候 9 人 · 约 12–20 分钟"
    assert texts.waiting_line(a, "en") == "9 waiting · 12–20 min"
    changed = made.counter_event(6, made.counter_body(3, "paused"))
    _, effects = step(state, EngineEvent(changed, NOW))
    assert effects == (RefreshServices(),)


def test_a_swiped_card_is_held_for_the_press_and_never_shown() -> None:
    state = swipe(ready(), CARD, NOW)
    assert isinstance(state.screen, Choose) and state.card == CARD
    assert CARD not in repr(state)
    state, effects = step(state, Tap("service:A", NOW + 2))
    assert effects == (IssueTicket("A", CARD, "preview-1"),) and CARD not in repr(effects)
    gold = {**TICKET, "tier": "gold", "is_vip": True}
    state = run(state, Issued("preview-1", gold, NOW + 2.1))
    assert state.card is None


def test_slow_typing_is_not_a_card_and_short_numbers_are_ignored() -> None:
    slow = [Key(d, NOW + i * 2.0) for i, d in enumerate(CARD)]
    state = run(ready(), *slow, Key("enter", NOW + 40))
    assert state.card is None and isinstance(state.screen, Attract)
    state = swipe(ready(), "1234", NOW)
    assert state.card is None


def test_a_card_can_be_cancelled_and_expires() -> None:
    state = swipe(ready(), CARD, NOW)
    assert run(state, Tap("card:cancel", NOW + 2)).card is None
    assert run(state, Tick(NOW + state.timing.card_hold_s + 1)).card is None


def test_print_failure_keeps_the_number_longer_and_warns_the_next_customers() -> None:
    state, _ = step(choosing(), Tap("service:A", NOW + 1))
    state = run(state, Issued("preview-1", TICKET, NOW + 1.1))
    ok_until = state.screen.until  # type: ignore[union-attr]
    state = run(state, PrintFailed("demo", "paper_out", "打印机缺纸，请联系大堂经理", NOW + 2))
    screen = state.screen
    assert isinstance(screen, Showing) and screen.printing == "failed"
    assert screen.until >= NOW + 2 + state.timing.ticket_failed_s > ok_until
    assert isinstance(run(state, Tick(ok_until + 1)).screen, Showing)
    later = run(state, Tick(screen.until + 0.1))
    assert isinstance(later.screen, Choose) and later.printer_fault


def test_a_failed_print_is_reported_so_the_engine_holds_the_number() -> None:
    state, _ = step(choosing(), Tap("service:A", NOW + 1))
    state = run(state, Issued("preview-1", TICKET, NOW + 1.1))
    _, effects = step(state, PrintFailed("demo", "paper_out", "打印机缺纸", NOW + 2))
    assert effects == (ReportPrint("demo", "paper_out"),)
    assert texts.reprint_line("A008", "zh") == "请记住您的号码 A008，到大堂经理处补打号票"
    assert "A008" in texts.reprint_line("A008", "en") and "reprint" in texts.reprint_line(
        "A008", "en"
    )
    # A first print that came out needs no word: the ticket is in the line already.
    assert step(state, Printed("demo", NOW + 2))[1] == ()


def test_a_kiosk_without_a_printer_keeps_the_number_in_line_and_says_to_remember_it() -> None:
    state, _ = step(choosing(), Tap("service:A", NOW + 1))
    state = run(state, Issued("preview-1", TICKET, NOW + 1.1))
    failed = PrintFailed("demo", "not_configured", "本机未连接打印机", NOW + 2, hold=False)
    after, effects = step(state, failed)
    assert effects == ()  # nothing for the engine to hold: the screen is the ticket
    assert isinstance(after.screen, Showing) and after.screen.printing == "unprinted"
    assert "记住" in texts.word("unprinted", "zh")
    assert "reprint" not in texts.word("unprinted", "en")


def test_a_reprint_asked_of_this_kiosk_prints_and_its_outcome_is_reported() -> None:
    state = replace(run(choosing()), name="kiosk-1")
    held = made.ticket("A008", held_reason="paper_out", held_at=NOW)
    mine = made.ticket_event(40, "reprint", held, kiosk="kiosk-1")
    other = made.ticket_event(41, "reprint", held, kiosk="kiosk-2")
    after, effects = step(state, EngineEvent(mine, NOW + 5))
    assert effects == (PrintTicket(held, reprint=True),)
    assert after.screen == state.screen  # the customer at the screen is not disturbed
    assert step(state, EngineEvent(other, NOW + 5))[1] == ()
    assert step(replace(state, name=""), EngineEvent(mine, NOW + 5))[1] == ()
    _, effects = step(after, Printed(held["id"], NOW + 8, reprint=True))
    assert effects == (ReportPrint(held["id"], None),)
    _, effects = step(after, PrintFailed(held["id"], "cover_open", "…", NOW + 8, reprint=True))
    assert effects == (ReportPrint(held["id"], "cover_open"),)


def test_idle_returns_to_the_default_language_and_the_attract_screen() -> None:
    state = run(choosing(), Tap("lang", NOW + 1))
    assert state.lang == "en"
    state = swipe(state, CARD, NOW + 2)
    idle = run(state, Tick(NOW + 2 + state.timing.idle_reset_s + 1))
    assert isinstance(idle.screen, Attract) and idle.lang == "zh" and idle.card is None


def test_the_branchs_kiosk_section_sets_the_idle_time() -> None:
    branch = {**BRANCH, "kiosk": {"idle_reset_s": 12, "rate_per_minute": 30}}
    from kiosk.model import BranchLoaded

    state = run(new_state("s", LocalSettings(), False), BranchLoaded(branch, NOW))
    assert state.timing.idle_reset_s == 12


def test_settings_open_only_with_the_operator_key_and_the_right_pin() -> None:
    state = choosing()
    for target in ("settings", "set:save", "pin:1", "operator"):
        assert not isinstance(step(state, Tap(target, NOW + 2))[0].screen, PinEntry | Settings)
    state = run(state, Key("operator", NOW + 2), Key("4", NOW + 3), Key("2", NOW + 3))
    state, effects = step(state, Key("enter", NOW + 3))
    assert effects == (CheckPin("42"),)
    state = run(state, PinChecked(True, NOW + 3.1))
    assert isinstance(state.screen, Settings)
    state = run(
        state, Tap("set:field:printer.host", NOW + 4), *(Key(c, NOW + 4) for c in "10.0.0.9")
    )
    state = run(state, Tap("set:field:language", NOW + 5))
    state, effects = step(state, Tap("set:save", NOW + 6))
    saved = LocalSettings(DEFAULT_ENGINE, {"host": "10.0.0.9"}, "en")
    assert effects == (SaveSettings(saved),) and state.local == saved


def test_without_a_pin_the_settings_stay_closed_and_wrong_pins_lock_the_pad() -> None:
    no_pin = replace(choosing(), pin_set=False)
    state = run(no_pin, Key("operator", NOW + 2))
    assert isinstance(state.screen, Notice) and state.screen.kind == "no_pin"
    state = run(choosing(), Key("operator", NOW + 2))
    for i in range(state.timing.pin_attempts):
        state = run(state, Key("1", NOW + 3 + i), Key("enter", NOW + 3 + i),
                    PinChecked(False, NOW + 3.1 + i))  # fmt: skip
    assert isinstance(state.screen, Notice) and state.screen.kind == "locked"
    state = run(state, Key("operator", NOW + 20))
    assert isinstance(state.screen, Notice) and state.screen.kind == "locked"


def test_services_start_from_the_snapshot() -> None:
    snap = made.snapshot(1, services=made.service_bodies()[:2])
    state = run(new_state("s", LocalSettings(), False), EngineEvent(snap, NOW))
    assert [s.code for s in state.services] == ["A", "B"]


def test_printer_urls_name_every_transport_the_printer_has() -> None:
    from kiosk.settings import parse_printer_url

    assert parse_printer_url("usblp:///dev/branchq-printer") == {
        "transport": "usblp", "device": "/dev/branchq-printer"
    }  # fmt: skip
    assert parse_printer_url("win32:EPSON TM-T20II Receipt") == {
        "transport": "win32", "queue": "EPSON TM-T20II Receipt"
    }  # fmt: skip
    assert parse_printer_url("cups://print-server/tickets") == {
        "transport": "cups", "host": "print-server", "queue": "tickets"
    }  # fmt: skip
    assert parse_printer_url("cups://10.1.1.5:8631/tickets")["host"] == "10.1.1.5:8631"
    assert parse_printer_url("lp:tickets") == {"transport": "lp", "queue": "tickets"}
    assert parse_printer_url("usb://0x0416:0x5011")["usb_product"] == 0x5011


def test_a_token_that_is_not_a_kiosks_refuses_every_press_and_a_good_one_clears_it() -> None:
    state = run(choosing(), TokenChecked("display", NOW + 1))
    state, effects = step(state, Tap("service:A", NOW + 2))
    assert effects == () and isinstance(state.screen, Notice) and state.screen.kind == "token"
    state = run(state, TokenChecked("", NOW + 3), Tap("back", NOW + 4))
    state, effects = step(state, Tap("service:A", NOW + 5))
    assert effects == (IssueTicket("A", None, "preview-1"),)
