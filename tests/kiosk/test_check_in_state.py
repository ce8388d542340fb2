"""The kiosk's check-in code from plain data: the keypad, a scanner's ``BQ`` code told from a
card number, the engine's refusals as notices that say what to do, one press one check-in."""

from __future__ import annotations

from kiosk.model import (
    CheckInCode,
    CheckingIn,
    Choose,
    CodeEntry,
    Issued,
    IssueFailed,
    Key,
    KioskState,
    Notice,
    PrintTicket,
    Showing,
    Tap,
)
from kiosk.preview import NOW, TICKET, ready, run
from kiosk.state import step

CODE = "40213377"


def keypad() -> KioskState:
    return run(ready(), Tap("wake", NOW), Tap("check-in", NOW + 1))


def typed(state: KioskState, text: str, at: float) -> KioskState:
    keys = [Key(ch, at + i * 0.02) for i, ch in enumerate(text)]
    return run(state, *keys, Key("enter", at + len(text) * 0.02))


def test_the_keypad_takes_eight_digits_then_ok_checks_in_once() -> None:
    state = keypad()
    assert isinstance(state.screen, CodeEntry)
    state = run(state, *(Tap(f"code:{d}", NOW + 2 + i) for i, d in enumerate(CODE + "9")))
    assert state.screen == CodeEntry(CODE)  # a ninth digit is not taken
    state = run(state, Tap("code:del", NOW + 12), Tap("code:7", NOW + 13))
    assert state.screen == CodeEntry(CODE)
    state, effects = step(state, Tap("code:ok", NOW + 14))
    assert isinstance(state.screen, CheckingIn)
    assert effects == (CheckInCode(CODE, "preview-1"),)
    again, more = step(state, Tap("code:ok", NOW + 15))
    assert more == () and again.presses == 1
    shown, effects = step(state, Issued("preview-1", TICKET, NOW + 15))
    assert isinstance(shown.screen, Showing) and effects == (PrintTicket(TICKET),)


def test_ok_waits_for_all_the_digits_and_back_leaves() -> None:
    state = run(keypad(), Tap("code:1", NOW + 2))
    same, effects = step(state, Tap("code:ok", NOW + 3))
    assert effects == () and same.screen == CodeEntry("1")
    assert isinstance(run(state, Tap("back", NOW + 4)).screen, Choose)


def test_a_scanner_checks_in_from_any_screen_and_a_card_of_eight_digits_stays_a_card() -> None:
    state = run(ready(), Tap("wake", NOW))
    scanned = typed(state, "BQ" + CODE, NOW + 2)
    assert isinstance(scanned.screen, CheckingIn) and scanned.screen.code == CODE
    carded = typed(state, CODE, NOW + 2)
    assert carded.card == CODE and isinstance(carded.screen, Choose)
    # On the keypad a keyboard's digits, Backspace and Enter work as the keys do.
    keyed = run(keypad(), *(Key(d, NOW + 2 + i * 0.02) for i, d in enumerate(CODE)))
    assert keyed.screen == CodeEntry(CODE)
    assert run(keyed, Key("backspace", NOW + 3)).screen == CodeEntry(CODE[:-1])
    assert isinstance(run(keyed, Key("enter", NOW + 3)).screen, CheckingIn)


def test_each_refusal_says_what_to_do_and_a_mistyped_code_is_typed_again() -> None:
    sent = typed(run(ready(), Tap("wake", NOW)), "BQ" + CODE, NOW + 2)
    for code, kind in (
        ("check_in_code_unknown", "code_unknown"),
        ("check_in_code_used", "code_used"),
        ("check_in_expired", "code_expired"),
        ("too_early", "code_early"),
        ("appointment_missed", "code_missed"),
        ("cannot_check_in_cancelled", "code_cancelled"),
    ):
        told = run(sent, IssueFailed("preview-1", 409, code, NOW + 3))
        assert isinstance(told.screen, Notice) and told.screen.kind == kind
    wrong = run(sent, IssueFailed("preview-1", 404, "check_in_code_unknown", NOW + 3))
    assert isinstance(run(wrong, Tap("back", NOW + 5)).screen, CodeEntry)


def test_a_lost_answer_keeps_the_key_for_the_same_code() -> None:
    sent = typed(run(ready(), Tap("wake", NOW)), "BQ" + CODE, NOW + 2)
    lost = run(sent, IssueFailed("preview-1", 0, "engine_unavailable", NOW + 3))
    assert isinstance(lost.screen, Notice) and lost.screen.kind == "offline"
    retried = typed(run(lost, Tap("back", NOW + 5)), "BQ" + CODE, NOW + 8)
    assert isinstance(retried.screen, CheckingIn) and retried.screen.key == "preview-1"
