"""Draw care mode: large type, high contrast (white and yellow on black, at least 7:1), few
buttons, each with a thick white edge so its shape shows without colour. Placement only; what
is offered and said is decided in ``kiosk.care``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk import texts
from kiosk.care import care_services
from kiosk.layout import Rect, buttons, care_code_text, care_switch, inset
from kiosk.model import (
    Attract,
    CheckingIn,
    Choose,
    CodeEntry,
    Issuing,
    KioskState,
    Notice,
    Showing,
)

if TYPE_CHECKING:
    from kiosk.view import Painter

Color = tuple[int, int, int]
BLACK: Color = (0, 0, 0)
WHITE: Color = (255, 255, 255)
YELLOW: Color = (255, 230, 0)
BUTTON: Color = (0, 40, 120)  # white on it 14:1, yellow 11:1
FOOTER_BUTTON: Color = (40, 40, 40)
PRIORITY_ON: Color = (0, 90, 30)  # the green channel asked for: white on it 7.9:1
HELP: Color = (255, 230, 0)  # "请大堂经理帮忙": black on yellow, 16:1, unlike any service
ALARM: Color = (150, 0, 0)  # the offline and printer strips: white on it 10:1
EDGE_PX = 6
CLOSING = "，；。、：！？）」,.;:!?)"  # never the first character of a line

WORDS: dict[str, tuple[str, str]] = {
    "care_on": ("关爱模式：大字 · 语音引导", "Care mode: large type, spoken help"),
    "care_short": ("关爱模式", "Care mode"),
    "care_off": ("标准模式", "Standard"),
    "repeat": ("再听一遍", "Hear again"),
    "help": ("请大堂经理帮忙", "Ask the lobby manager"),
    "priority": ("需要优先照顾", "I need priority care"),
    "priority_on": ("✓ 已选优先照顾", "✓ Priority care asked"),
    "choose": ("请选择业务", "Choose your service"),
    "none": (
        "现在没有可办理的业务，请咨询大堂经理",
        "No service now: please ask the lobby manager",
    ),
    "touch": ("请触摸屏幕取号", "Touch the screen"),
    "printing": ("请在下方取走号票", "Take your ticket below"),
    "failed": ("未能打印，请到大堂经理处补打", "Not printed: ask the lobby manager"),
    "unprinted": ("请记住号码，留意叫号", "Remember your number, listen for it"),
    "check_in": ("签到", "Check in"),
    "delete": ("删除", "Delete"),
}


def word(key: str, state: KioskState) -> str:
    return texts.pick(WORDS[key], state.lang)


def button(painter: Painter, rect: Rect, label: str, tag: str, px: int, fill: Color = BUTTON,
           ink: Color = WHITE) -> None:  # fmt: skip
    f = painter.frame
    painter.box(rect, fill, WHITE)
    edge = max(EDGE_PX, f.px(EDGE_PX))
    painter.put(label, f.px(px), ink, inset(rect, edge + f.px(16)), tag=tag)


def lines(painter: Painter, text: str, px: int, width: int) -> list[str]:
    """``text`` broken into lines that fit ``width`` at ``px``: care mode wraps long words
    instead of shrinking them. Chinese breaks after punctuation where it can, else anywhere;
    other text at spaces."""
    font = painter.font(px)
    words = text.split(" ") if " " in text and text.isascii() else list(text)
    glue = " " if " " in text and text.isascii() else ""
    out: list[str] = []
    line = ""
    for piece in words:
        trial = f"{line}{glue}{piece}" if line else piece
        if font.size(trial)[0] <= width or not line or piece in CLOSING:
            line = trial
            continue
        cut = max((line.rfind(p) for p in "，；。、："), default=-1) if not glue else -1
        if 0 <= cut < len(line) - 1 and len(line) - cut <= 6:
            out.append(line[: cut + 1])
            line = line[cut + 1 :] + piece
        else:
            out.append(line)
            line = piece
    if line:
        out.append(line)
    return out


def put_lines(painter: Painter, text: str, px: int, color: Color, box: Rect, tag: str) -> None:
    """Draw ``text`` wrapped in ``box``, centred, at ``px`` (smaller only if the lines do not
    fit the box's height)."""
    x, y, w, h = box
    while True:
        found = lines(painter, text, px, w)
        line_h = round(px * 1.3)
        if line_h * len(found) <= h or px <= 40:
            break
        px = int(px * 0.9)
    top = y + max(0, (h - line_h * len(found)) // 2)
    for i, line in enumerate(found):
        painter.put(line, px, color, (x, top + i * line_h, w, line_h), tag=f"{tag}:{i}")


def draw(painter: Painter, state: KioskState) -> None:
    """A care-mode frame: header, the screen's body, the footer's buttons."""
    f = painter.frame
    painter.surface.fill(BLACK)
    screen = state.screen
    if isinstance(screen, Attract):
        _attract(painter, state)
        return
    _header(painter, state)
    if isinstance(screen, Choose):
        _choose(painter, state)
    elif isinstance(screen, Issuing):
        painter.put(texts.word("issuing", state.lang), f.px(110), WHITE, f.body, tag="issuing")
    elif isinstance(screen, CheckingIn):
        painter.put(texts.word("checking_in", state.lang), f.px(110), WHITE, f.body,
                    tag="checking_in")  # fmt: skip
    elif isinstance(screen, CodeEntry):
        _code_entry(painter, state, screen)
    elif isinstance(screen, Showing):
        _showing(painter, state, screen)
    elif isinstance(screen, Notice):
        _notice(painter, state, screen)
    _footer(painter, state)


def _header(painter: Painter, state: KioskState) -> None:
    f = painter.frame
    box = inset(f.header, f.px(16))
    check_in = next((b.rect for b in buttons(state, *painter.surface.get_size())
                     if b.target == "check-in"), None)  # fmt: skip
    if check_in is not None:  # the header's right end; the title or a fault beside it
        button(painter, check_in, word("check_in", state), "check-in", 80)
        box = (box[0], box[1], check_in[0] - box[0] - f.px(16), box[3])
    if not state.connected:
        painter.box(box, ALARM)
        put_lines(painter, texts.word("offline", state.lang), f.px(60), WHITE,
                  inset(box, f.px(12)), "offline")  # fmt: skip
        return
    if state.printer_fault and isinstance(state.screen, Choose):
        painter.box(box, ALARM)
        put_lines(painter, texts.word("printer_fault", state.lang), f.px(60), WHITE,
                  inset(box, f.px(12)), "printer_fault")  # fmt: skip
        return
    if isinstance(state.screen, Choose):
        title = word("choose", state)
    elif isinstance(state.screen, CodeEntry | CheckingIn):
        title = word("check_in", state)
    else:
        title = texts.word("welcome", state.lang)
    painter.put(title, f.px(96), WHITE, box, tag="title")


def _footer(painter: Painter, state: KioskState) -> None:
    labels = {"care:repeat": word("repeat", state), "care:off": word("care_off", state),
              "lang": texts.word("lang", state.lang)}  # fmt: skip
    if isinstance(state.screen, CodeEntry):  # its way back is the footer's middle slot
        labels["back"] = texts.word("back", state.lang)
    for b in buttons(state, *painter.surface.get_size()):
        if b.target in labels:
            button(painter, b.rect, labels[b.target], b.target, 60, FOOTER_BUTTON)


def _attract(painter: Painter, state: KioskState) -> None:
    f = painter.frame
    w, h = painter.surface.get_size()
    name = state.branch_name_en if state.lang == "en" else state.branch_name
    painter.put(name or state.branch_name, f.px(96), WHITE, (0, h // 8, w, h // 8), tag="title")
    painter.put(word("touch", state), f.px(150), YELLOW,
                (f.px(40), h * 3 // 10, w - f.px(80), h // 4), tag="touch")  # fmt: skip
    painter.put(texts.word("swipe", state.lang), f.px(64), WHITE,
                (0, h * 3 // 5, w, h // 8), tag="swipe")  # fmt: skip
    button(painter, care_switch(f, state.screen), word("care_off", state), "care:off", 64,
           FOOTER_BUTTON)  # fmt: skip
    if not state.connected:
        band = (0, 0, w, f.header[3])
        painter.box(band, ALARM)
        put_lines(painter, texts.word("offline", state.lang), f.px(60), WHITE,
                  inset(band, f.px(12)), "offline")  # fmt: skip


def _choose(painter: Painter, state: KioskState) -> None:
    f = painter.frame
    services = {s.code: s for s in care_services(state)}
    if not services:  # only the help button: the words go below it
        x, y, w, h = f.body
        top = max(b.rect[1] + b.rect[3] for b in buttons(state, *painter.surface.get_size())
                  if b.target == "care:help")  # fmt: skip
        box = (x + f.px(60), top + f.px(40), w - f.px(120), y + h - top - f.px(80))
        put_lines(painter, word("none", state), f.px(84), YELLOW, box, "none")
    for b in buttons(state, *painter.surface.get_size()):
        if b.target in ("care:help", "care:priority"):  # half a row each: their words wrap
            on = state.priority
            label = word("help", state) if b.target == "care:help" else word(
                "priority_on" if on else "priority", state)  # fmt: skip
            fill, ink = (HELP, BLACK) if b.target == "care:help" else (
                PRIORITY_ON if on else BUTTON, WHITE)  # fmt: skip
            painter.box(b.rect, fill, WHITE)
            inner = inset(b.rect, max(EDGE_PX, f.px(EDGE_PX)) + f.px(12))
            put_lines(painter, label, f.px(80), ink, inner, b.target)
            continue
        service = services.get(b.target.removeprefix("service:"))
        if service is None:
            continue
        painter.box(b.rect, BUTTON, WHITE)
        edge = max(EDGE_PX, f.px(EDGE_PX))
        x, y, w, h = inset(b.rect, edge + f.px(14))
        painter.put(texts.service_name(service, state.lang), min(f.px(104), h * 11 // 20), WHITE,
                    (x, y, w, h * 3 // 5), tag=f"name:{service.code}")  # fmt: skip
        painter.put(texts.waiting_line(service, state.lang), min(f.px(64), h * 7 // 20), YELLOW,
                    (x, y + h * 3 // 5, w, h * 2 // 5), tag=f"wait:{service.code}")  # fmt: skip


def _code_entry(painter: Painter, state: KioskState, screen: CodeEntry) -> None:
    """The check-in code's keypad in large type: what to type, the digits so far in two
    groups of four (yellow, larger than the standard screen's), where the code is, and keys
    with words where the standard screen has signs; OK turns green once all eight are in."""
    f = painter.frame
    x, y, w, h = care_code_text(f)
    prompt_h, digits_h = f.px(150), f.px(240)
    put_lines(painter, texts.word("code_prompt", state.lang), f.px(76), WHITE,
              (x, y, w, prompt_h), "code_prompt")  # fmt: skip
    typed = screen.digits.ljust(8, "_")
    painter.put(f"{typed[:4]} {typed[4:]}", f.px(200), YELLOW, (x, y + prompt_h, w, digits_h),
                tag="code")  # fmt: skip
    rest = y + prompt_h + digits_h
    put_lines(painter, texts.word("code_hint", state.lang), f.px(64), WHITE,
              (x, rest, w, y + h - rest), "code_hint")  # fmt: skip
    complete = len(screen.digits) == 8
    for b in buttons(state, *painter.surface.get_size()):
        key = b.target.removeprefix("code:")
        if not b.target.startswith("code:"):
            continue
        if key == "ok":
            button(painter, b.rect, texts.word("ok", state.lang), b.target, 84,
                   PRIORITY_ON if complete else FOOTER_BUTTON)  # fmt: skip
        elif key == "del":
            button(painter, b.rect, word("delete", state), b.target, 72)
        else:
            button(painter, b.rect, key, b.target, 110)


def _showing(painter: Painter, state: KioskState, screen: Showing) -> None:
    f = painter.frame
    x, y, w, _ = f.body
    ticket, lang = screen.ticket, state.lang
    failed = screen.printing in ("failed", "unprinted")
    rows = ((84, WHITE, 110, 110), (360, YELLOW, 360, 370), (80, WHITE, 110, 110),
            (64, WHITE, 90, 110))  # fmt: skip
    top = painter.ticket_column(ticket, failed, lang, x, y + f.px(10), w, rows)
    band = (x + f.px(40), top, w - f.px(80), f.px(150))
    if failed:
        painter.box(band, ALARM)
        painter.put(word(screen.printing, state), f.px(64), WHITE, inset(band, f.px(12)),
                    tag="print_failed")  # fmt: skip
    else:
        painter.put(word("printing", state), f.px(72), YELLOW, band, tag="printing")
    done = next(b.rect for b in buttons(state, *painter.surface.get_size()) if b.target == "done")
    button(painter, done, texts.word("done", lang), "done", 84)


def _notice(painter: Painter, state: KioskState, screen: Notice) -> None:
    f = painter.frame
    x, y, w, h = f.body
    title, detail = texts.NOTICES[screen.kind]
    put_lines(painter, texts.pick(title, state.lang), f.px(110), YELLOW,
              (x + f.px(40), y + h // 12, w - f.px(80), h // 4), "notice")  # fmt: skip
    put_lines(
        painter,
        texts.pick(detail, state.lang),
        f.px(76),
        WHITE,
        (x + f.px(40), y + h * 4 // 12, w - f.px(80), h // 3),
        "notice_detail",
    )
    back = next(b.rect for b in buttons(state, *painter.surface.get_size()) if b.target == "back")
    button(painter, back, texts.back_word(screen.kind, state.lang), "back", 84)
