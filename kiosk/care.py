"""Care mode (关爱模式): the kiosk for customers who see or hear poorly, or find screens hard.

Pure, like ``state``. Care mode is one tap away on the first screen and on the services
screen, and is the first screen itself when the branch says so (``[care] kiosk_default``:
always, or on its pension days). It draws the same screens in large type and high contrast
with fewer choices (``care_services``: at most four services, one column, from top to
bottom), and speaks: each screen's guidance (``guidance``) is read aloud when the screen
appears, in words that say where each button is, and again on the "再听一遍" button, so a
customer can take a ticket by following the voice alone. Leaving care mode or the kiosk
falling idle silences it. No age is asked: whoever taps care mode gets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from drivers.voice.reading import number_en, number_zh, ticket_en, ticket_zh
from kiosk.model import (
    NONE,
    CarePolicy,
    CheckingIn,
    Choose,
    CodeEntry,
    Effect,
    Issuing,
    KioskState,
    Notice,
    PrintState,
    Result,
    Service,
    Showing,
    Speak,
    go,
)
from kiosk.texts import NOTICES, pick

__all__ = ["CarePolicy", "Speak", "care_services", "guidance", "switch", "with_guidance"]

#: Care mode's services screen shows at most this many services (fewer choices).
MAX_SERVICES = 4
ORDINALS_ZH = "一二三四五六"
ORDINALS_EN = ("first", "second", "third", "fourth", "fifth", "sixth")


def care_services(state: KioskState) -> tuple[Service, ...]:
    """The services care mode offers: the branch's choice, else the first open ones."""
    open_ = [s for s in state.services if s.open]
    chosen = state.care_policy.services
    if chosen:
        by_code = {s.code: s for s in open_}
        open_ = [by_code[c] for c in chosen if c in by_code]
    return tuple(open_[:MAX_SERVICES])


def switch(state: KioskState, on: bool, now: float) -> Result:
    """The care-mode button: the services screen, in care mode or out of it."""
    state = go(replace(state, care=on, last_touch=now), Choose(), now)
    return state, NONE


def repeat(state: KioskState) -> tuple[Effect, ...]:
    """The "再听一遍" button: the screen's guidance again."""
    text = guidance(state)
    return (Speak(text, state.lang),) if state.care and text else ()


def with_guidance(before: KioskState, after: KioskState, effects: Result) -> Result:
    """Add speech to a step's effects: a care screen's guidance when it appears or changes,
    silence when care mode ends or the kiosk falls idle."""
    state, done = effects
    if any(isinstance(e, Speak) for e in done):
        return effects
    if before.care and not after.care:
        return state, (*done, Speak("", before.lang))
    if not after.care:
        return effects
    said, say = guidance(before) if before.care else "", guidance(after)
    if say == said and type(before.screen) is type(after.screen) and before.lang == after.lang:
        return effects
    if not say and said:
        return state, (*done, Speak("", after.lang))
    if not say:
        return effects
    return state, (*done, Speak(say, after.lang))


def fixed_guidance(state: KioskState) -> list[tuple[str, str]]:
    """The sentences care mode says most, to render before the first customer needs them:
    each language's services screen, the waiting screen, the check-in keypad's where the
    branch checks in, the notices and the ticket's usual parts (people ahead and minutes up
    to a busy hall's)."""
    out: list[tuple[str, str]] = []
    for lang in state.languages:
        en = lang == "en"
        shown = replace(state, lang=lang)
        out.append((guidance(replace(shown, screen=Choose())), lang))
        out.append((guidance(replace(shown, screen=Issuing("", ""))), lang))
        if state.check_in:
            out.append((guidance(replace(shown, screen=CodeEntry())), lang))
            out.append((guidance(replace(shown, screen=CheckingIn("", ""))), lang))
        for ahead in range(0, 21):
            ticket = {"number": "", "ahead": ahead, "estimated_wait_s": ahead * 60 or None}
            words = _ticket_words(ticket, "printing", en)[1:]  # all but the number itself
            out.append((" ".join(words) if en else "".join(words), lang))
    return out


# What the voice says on each screen
def guidance(state: KioskState) -> str:
    """What care mode says about the screen showing now ("" for none)."""
    screen, en = state.screen, state.lang == "en"
    if isinstance(screen, Choose):
        asked = state.priority and care_services(state)
        if asked:
            return ("Priority care asked for. Now choose your service." if en else
                    "已选择优先照顾。请选择您要办理的业务，从上往下第一个按钮开始。")  # fmt: skip
        return _choose_words(care_services(state), en, state.check_in)
    if isinstance(screen, Issuing):
        return "Getting your ticket, please wait." if en else "正在为您取号，请稍候。"
    if isinstance(screen, CodeEntry):
        return ("Type the eight digits of the code on your phone with the number keys, then "
                "press OK, bottom right. To go back, press the middle button at the bottom."
                if en else
                "请用屏幕上的数字键输入手机上的八位签到码，再按右下角的确定。"
                "不签到了，请按最下面中间的返回。")  # fmt: skip
    if isinstance(screen, CheckingIn):
        return "Checking you in, please wait." if en else "正在为您签到，请稍候。"
    if isinstance(screen, Showing):
        words = _ticket_words(screen.ticket, screen.printing, en)
        if state.priority:
            words.insert(-1, _priority_words(bool(screen.ticket.get("green_channel")), en))
        return " ".join(words) if en else "".join(words)
    if isinstance(screen, Notice):
        title, detail = NOTICES[screen.kind]
        return f"{pick(title, state.lang)}. {pick(detail, state.lang)}." if en else (
            f"{pick(title, state.lang)}。{pick(detail, state.lang)}。"
        )  # fmt: skip
    return ""


#: The header's check-in button, said after the services (most customers walk in).
CHECK_IN_WORDS = (
    "在手机上取了号或者预约了的，请按右上角的签到。",
    "If you took a number on your phone or booked a time, press Check in, at the top right.",
)


def _choose_words(services: Sequence[Service], en: bool, check_in: bool = False) -> str:
    check = [CHECK_IN_WORDS[1 if en else 0]] if check_in else []
    if not services:
        if en:
            return " ".join(["No service can be taken now.", *check,
                             "The yellow button calls the lobby manager."])  # fmt: skip
        return "".join(["现在没有可以办理的业务。", *check,
                        "请按黄色按钮，请大堂经理过来帮忙。"])  # fmt: skip
    if en:
        parts = [f"The {ORDINALS_EN[i]} button: {s.name_en or s.name}."
                 for i, s in enumerate(services)]  # fmt: skip
        return " ".join([
            "Please choose your service. The buttons, from the top down.", *parts, *check,
            "In the bottom row, the left button asks for priority care,",
            "and the yellow button on the right calls the lobby manager to help you.",
            "To hear this again, press the bottom left button.",
        ])  # fmt: skip
    parts = [f"第{ORDINALS_ZH[i]}个，{s.name}。" for i, s in enumerate(services)]
    return "".join([
        "请选择您要办理的业务。屏幕上的按钮，从上往下：", *parts, *check,
        "最下面一排：左边的按钮，需要优先照顾；右边的黄色按钮，请大堂经理过来帮忙。",
        "再听一遍，请按左下角的按钮。",
    ])  # fmt: skip


def _priority_words(granted: bool, en: bool) -> str:
    if en:
        return ("You are in the green channel and will be served first." if granted else
                "The lobby manager will come to confirm your priority care.")  # fmt: skip
    return "您已进入绿色通道，将优先为您办理。" if granted else "大堂经理会过来确认优先照顾。"


# What to do with the ticket, by how its print went (``PrintState``): Chinese, English.
TAKE_TICKET = {
    "failed": (
        "号票未能打印，请记住您的号码，到大堂经理处补打号票。",
        "The ticket did not print: please remember your number and ask the lobby manager "
        "to reprint it.",
    ),
    "unprinted": (
        "本机不打印号票，请记住您的号码，留意叫号。",
        "This kiosk prints no tickets: please remember your number and listen for it.",
    ),
}
TAKE_PRINTED = (
    "请在屏幕下方取走号票，留意叫号。",
    "Please take your ticket below the screen and listen for your number.",
)


def _ticket_words(ticket: Any, printing: PrintState, en: bool) -> list[str]:
    """The ticket read out, a sentence each: the number first."""
    zh_next, en_next = TAKE_TICKET.get(printing, TAKE_PRINTED)
    number = str(ticket.get("number", ""))
    ahead = int(ticket.get("ahead") or 0)
    wait = ticket.get("estimated_wait_s")
    minutes = max(1, -(-int(wait) // 60)) if wait is not None else None
    if en:
        words = [f"Your number is {ticket_en(number)}."]
        words.append("Nobody is ahead of you." if ahead == 0 else
                     f"{number_en(ahead).capitalize()} "
                     f"{'person is' if ahead == 1 else 'people are'} ahead of you.")  # fmt: skip
        if minutes is not None and ahead:
            words.append(f"About {number_en(minutes)} minutes.")
        words.append(en_next)
        return words
    words = [f"您的号码是，{ticket_zh(number)}。"]
    words.append("您前面没有人等候。" if ahead == 0 else f"您前面还有{number_zh(ahead)}人。")
    if minutes is not None and ahead:
        words.append(f"大约等候{number_zh(minutes)}分钟。")
    words.append(zh_next)
    return words
