"""Where each screen's buttons are, for any screen size. Pure.

The view draws these rectangles and the app finds which one a touch fell in, from the same
function, so what is drawn is what is pressed. Buttons are large (at least a sixth of the
screen's short side high) and far enough apart that a finger never hits two.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiosk.care import care_services
from kiosk.model import (
    Attract,
    CheckingIn,
    Choose,
    CodeEntry,
    Issuing,
    KioskState,
    Notice,
    PinEntry,
    Settings,
    Showing,
)
from kiosk.operator import TEXT_FIELDS

Rect = tuple[int, int, int, int]
SETTING_ROWS = ("engine", "printer.transport", *TEXT_FIELDS[1:], "language")
PIN_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "del", "0", "ok")


@dataclass(frozen=True, slots=True)
class Button:
    target: str
    rect: Rect


@dataclass(frozen=True, slots=True)
class Frame:
    """The fixed parts of every screen."""

    width: int
    height: int

    @property
    def unit(self) -> float:
        """1.0 on a 1080-pixel short side; type and gaps scale with it."""
        return min(self.width, self.height) / 1080

    def px(self, size: float) -> int:
        return max(8, round(size * self.unit))

    @property
    def header(self) -> Rect:
        return (0, 0, self.width, round(self.height * 0.12))

    @property
    def footer(self) -> Rect:
        h = round(self.height * 0.12)
        return (0, self.height - h, self.width, h)

    @property
    def body(self) -> Rect:
        top = self.header[3]
        return (0, top, self.width, self.footer[1] - top)

    @property
    def lang_button(self) -> Rect:
        x, y, w, h = self.footer
        gap = self.px(16)
        bw = max(self.px(260), w // 5)
        return (x + w - bw - gap, y + gap, bw, h - 2 * gap)

    @property
    def banner(self) -> Rect:
        """The footer's message strip, left of the language button."""
        x, y, _, h = self.footer
        gap = self.px(16)
        return (x + gap, y + gap, self.lang_button[0] - 2 * gap, h - 2 * gap)


def inset(rect: Rect, by: int) -> Rect:
    x, y, w, h = rect
    return (x + by, y + by, max(0, w - 2 * by), max(0, h - 2 * by))


def grid(area: Rect, count: int, columns: int, gap: int) -> list[Rect]:
    """``count`` cells, row by row, filling ``area``."""
    if count == 0:
        return []
    rows = math.ceil(count / columns)
    x, y, w, h = area
    cw = (w - gap * (columns + 1)) // columns
    ch = (h - gap * (rows + 1)) // rows
    return [
        (x + gap + (i % columns) * (cw + gap), y + gap + (i // columns) * (ch + gap), cw, ch)
        for i in range(count)
    ]


def card_strip(frame: Frame) -> Rect:
    x, y, w, _ = frame.body
    return (x, y, w, frame.px(120))


def code_strip(frame: Frame) -> Rect:
    """The services screen's button to the check-in code's keypad, along the body's foot."""
    x, y, w, h = frame.body
    bh = frame.px(140)
    return (x + frame.px(48), y + h - bh - frame.px(12), w - 2 * frame.px(48), bh)


def service_area(frame: Frame, card_held: bool, check_in: bool = False) -> Rect:
    x, y, w, h = frame.body
    strip = card_strip(frame)[3] if card_held else 0
    foot = frame.px(164) if check_in else 0
    return (x + frame.px(24), y + strip, w - 2 * frame.px(24), h - strip - foot)


def code_back(frame: Frame) -> Rect:
    """The keypad screen's way back, at the footer's left end."""
    x, y, w, h = frame.banner
    return (x, y, min(w, max(frame.px(360), w // 3)), h)


def code_pad(frame: Frame) -> list[Rect]:
    """The check-in code's keypad (``PIN_KEYS``), below the prompt and the digits typed."""
    x, y, w, h = frame.body
    side = min(w, h - frame.px(420))
    pad = (x + (w - side * 4 // 5) // 2, y + frame.px(400), side * 4 // 5, h - frame.px(420))
    return grid(pad, len(PIN_KEYS), 3, frame.px(18))


def service_columns(frame: Frame, count: int) -> int:
    portrait = frame.height > frame.width
    return 1 if portrait and count <= 6 else 2 if count > 1 else 1


def lower_button(frame: Frame) -> Rect:
    """The one action of a message screen (Done, Back), centred above the footer."""
    x, y, w, h = frame.body
    bw, bh = max(frame.px(420), w // 3), frame.px(150)
    return (x + (w - bw) // 2, y + h - bh - frame.px(30), bw, bh)


def pin_pad(frame: Frame) -> list[Rect]:
    x, y, w, h = frame.body
    side = min(w, h)
    pad = (x + (w - side * 3 // 4) // 2, y + frame.px(110), side * 3 // 4, h - frame.px(130))
    return grid(pad, len(PIN_KEYS), 3, frame.px(18))


def settings_rows(frame: Frame) -> list[Rect]:
    x, y, w, h = frame.body
    rows = (x + frame.px(40), y, w - 2 * frame.px(40), h - frame.px(170))
    return grid(rows, len(SETTING_ROWS), 1, frame.px(12))


def settings_actions(frame: Frame) -> tuple[Rect, Rect]:
    x, y, w, h = frame.body
    bh, bw = frame.px(130), max(frame.px(320), w // 4)
    top = y + h - bh - frame.px(20)
    return (x + w // 2 - bw - frame.px(30), top, bw, bh), (x + w // 2 + frame.px(30), top, bw, bh)


def care_switch(frame: Frame, screen: object) -> Rect:
    """The care-mode button: a wide band low on the first screen, or the header's right end."""
    if isinstance(screen, Attract):
        return (frame.px(60), round(frame.height * 0.76), frame.width - 2 * frame.px(60),
                round(frame.height * 0.15))  # fmt: skip
    x, y, w, h = frame.header
    gap = frame.px(16)
    bw = max(frame.px(300), w // 4)
    return (x + w - bw - gap, y + gap, bw, h - 2 * gap)


# Care mode: one column of very large buttons, and a footer of three.
def care_footer(frame: Frame) -> tuple[Rect, Rect, Rect]:
    """Three equal slots from the left: listen again, standard mode (back, on the keypad),
    language."""
    x, y, w, h = frame.footer
    gap = frame.px(20)
    bw = (w - 4 * gap) // 3
    return tuple((x + gap + i * (bw + gap), y + gap, bw, h - 2 * gap) for i in range(3))  # type: ignore[return-value]


def care_choices(frame: Frame, count: int) -> list[Rect]:
    """One column of ``count`` buttons, each at most 330 base pixels high, from the top."""
    x, y, w, h = frame.body
    gap = frame.px(32)
    if count == 0:
        return []
    row = min(frame.px(330), (h - gap * (count + 1)) // count)
    return [(x + gap, y + gap + i * (row + gap), w - 2 * gap, row) for i in range(count)]


def care_check_in(frame: Frame) -> Rect:
    """Care mode's check-in button: the header's right end, a third of the screen wide, so
    the services below keep the whole body (a row of its own would squeeze them on a 15.6"
    landscape kiosk) and the voice can say where it is: top right."""
    x, y, w, h = frame.header
    gap = frame.px(16)
    bw = max(frame.px(340), w // 3)
    return (x + w - bw - gap, y + gap, bw, h - 2 * gap)


def care_code_keys(frame: Frame) -> list[Rect]:
    """Care mode's keypad (``PIN_KEYS``, OK at the bottom right): on a landscape screen a
    square on the body's right, beside the prompt and the digits; on a portrait one the
    body's lower part, below them (``care_code_text``)."""
    x, y, w, h = frame.body
    gap = frame.px(24)
    if w > h:
        side = min(h, w // 2)
        return grid((x + w - side - gap, y, side, h), len(PIN_KEYS), 3, gap)
    top = care_code_text(frame)[3]
    side = frame.px(60)
    return grid((x + side, y + top, w - 2 * side, h - top), len(PIN_KEYS), 3, gap)


def care_code_text(frame: Frame) -> Rect:
    """Where care mode's keypad screen says what to type and shows the digits typed."""
    x, y, w, h = frame.body
    side = frame.px(40)
    if w > h:
        keys = min(h, w // 2) + frame.px(24)
        return (x + side, y, w - keys - 2 * side, h)
    return (x + side, y, w - 2 * side, frame.px(620))


def care_done(frame: Frame) -> Rect:
    x, y, w, h = frame.body
    bw, bh = max(frame.px(560), w // 2), frame.px(190)
    return (x + (w - bw) // 2, y + h - bh - frame.px(24), bw, bh)


def care_buttons(state: KioskState, frame: Frame) -> list[Button]:
    repeat, standard, lang = care_footer(frame)
    screen = state.screen
    if isinstance(screen, Issuing | CheckingIn):
        return []
    out = [Button("care:repeat", repeat), Button("lang", lang)]
    if isinstance(screen, CodeEntry):
        keys = care_code_keys(frame)
        out += [Button(f"code:{k}", r) for k, r in zip(PIN_KEYS, keys, strict=True)]
        out.append(Button("back", standard))
    elif isinstance(screen, Choose):
        out.append(Button("care:off", standard))
        if state.check_in:
            out.append(Button("check-in", care_check_in(frame)))
        services = care_services(state)
        # The last row: "需要优先照顾" (the green channel) and "请大堂经理帮忙", side by side.
        *cells, (x, y, w, h) = care_choices(frame, len(services) + 1)
        out += [Button(f"service:{s.code}", r) for s, r in zip(services, cells, strict=True)]
        gap = frame.px(32)
        half = (w - gap) // 2
        out.append(Button("care:priority", (x, y, half, h)))
        out.append(Button("care:help", (x + half + gap, y, w - half - gap, h)))
    elif isinstance(screen, Showing):
        out.append(Button("done", care_done(frame)))
    elif isinstance(screen, Notice):
        out.append(Button("back", care_done(frame)))
    return out


def buttons(state: KioskState, width: int, height: int) -> list[Button]:
    """Every pressable thing on the screen now, front first."""
    frame = Frame(width, height)
    screen = state.screen
    if isinstance(screen, Attract):
        switch = "care:off" if state.care else "care:on"
        return [Button(switch, care_switch(frame, screen)), Button("wake", (0, 0, width, height))]
    if state.care and not isinstance(screen, PinEntry | Settings):
        return care_buttons(state, frame)
    out = [Button("lang", frame.lang_button)]
    if isinstance(screen, Choose):
        out.append(Button("care:on", care_switch(frame, screen)))
        if state.card is not None:
            x, y, w, h = card_strip(frame)
            bw = frame.px(240)
            out.append(Button("card:cancel", (x + w - bw - frame.px(24), y + 10, bw, h - 20)))
        if state.check_in:
            out.append(Button("check-in", code_strip(frame)))
        area = service_area(frame, state.card is not None, state.check_in)
        cells = grid(area, len(state.services), service_columns(frame, len(state.services)),
                     frame.px(24))  # fmt: skip
        out += [Button(f"service:{s.code}", r) for s, r in zip(state.services, cells, strict=True)]
    elif isinstance(screen, CodeEntry):
        out += [Button(f"code:{k}", r) for k, r in zip(PIN_KEYS, code_pad(frame), strict=True)]
        out.append(Button("back", code_back(frame)))
    elif isinstance(screen, Showing):
        out.append(Button("done", lower_button(frame)))
    elif isinstance(screen, Notice):
        out.append(Button("back", lower_button(frame)))
    elif isinstance(screen, PinEntry):
        out = [Button(f"pin:{k}", r) for k, r in zip(PIN_KEYS, pin_pad(frame), strict=True)]
        out.append(Button("pin:cancel", frame.lang_button))
    elif isinstance(screen, Settings):
        rows = settings_rows(frame)
        out = [Button(f"set:field:{n}", r) for n, r in zip(SETTING_ROWS, rows, strict=True)]
        save, cancel = settings_actions(frame)
        out += [Button("set:save", save), Button("set:cancel", cancel)]
    return out


def hit(state: KioskState, width: int, height: int, x: int, y: int) -> str | None:
    """The target under a touch at ``(x, y)``, if any."""
    for button in buttons(state, width, height):
        bx, by, bw, bh = button.rect
        if bx <= x < bx + bw and by <= y < by + bh:
            return button.target
    return None
