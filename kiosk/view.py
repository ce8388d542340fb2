"""Draw the kiosk's state with pygame. Placement and colour only; decisions are in ``state``.

High contrast throughout: white and yellow on deep blue, a closed service grey with its
state in words (never colour alone), faults on a red or amber strip. ``placed`` records where
the last frame put each important text, so tests look at the right pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pygame

from drivers.printer.ticket import wait_range_of
from drivers.screen.fonts import TextCache
from kiosk import care_view, texts
from kiosk.layout import (
    PIN_KEYS,
    SETTING_ROWS,
    Frame,
    Rect,
    buttons,
    card_strip,
    care_switch,
    code_back,
    inset,
    lower_button,
)  # fmt: skip
from kiosk.model import (
    Attract,
    CheckingIn,
    Choose,
    CodeEntry,
    Issuing,
    KioskState,
    Lang,
    Notice,
    PinEntry,
    Settings,
    Showing,
)  # fmt: skip
from kiosk.operator import field_value

Color = tuple[int, int, int]
BACKGROUND: Color = (10, 28, 66)
HEADER: Color = (4, 14, 38)
TEXT: Color = (255, 255, 255)
DIM: Color = (190, 204, 228)
BUTTON: Color = (0, 86, 178)
BUTTON_EDGE: Color = (150, 200, 255)
DETAIL: Color = (255, 226, 110)
CLOSED: Color = (64, 66, 74)
CLOSED_TEXT: Color = (222, 222, 222)
NUMBER: Color = (255, 214, 0)
OFFLINE: Color = (196, 24, 32)
OFFLINE_TEXT: Color = (255, 140, 130)  # red as text on the background: 7.4:1
FAULT: Color = (236, 128, 0)
INK: Color = (0, 0, 0)
GOLD: Color = (244, 196, 70)
TEXT_CACHE = 400


class Painter:
    """Draws kiosk states onto one pygame surface."""

    def __init__(self, surface: pygame.Surface, font_path: Path) -> None:
        self.surface = surface
        self.font_path = font_path
        self._texts = TextCache(font_path, TEXT_CACHE)
        self.placed: dict[str, Rect] = {}

    @property
    def frame(self) -> Frame:
        return Frame(*self.surface.get_size())

    def font(self, px: int) -> pygame.font.Font:
        return self._texts.font(px)

    def text(self, text: str, px: int, color: Color) -> pygame.Surface:
        return self._texts.text(text, px, color)

    def put(self, text: str, px: int, color: Color, box: Rect, align: str = "center",
            tag: str | None = None) -> Rect:  # fmt: skip
        """Draw ``text`` in ``box`` (smaller if it does not fit), vertically centred."""
        where = self._texts.put(self.surface, text, px, color, box, align)
        if tag and text:
            self.placed[tag] = where
        return where

    def box(self, rect: Rect, color: Color, edge: Color | None = None) -> None:
        radius = self.frame.px(18)
        pygame.draw.rect(self.surface, color, rect, border_radius=radius)
        if edge is not None:
            pygame.draw.rect(self.surface, edge, rect, self.frame.px(4), radius)

    # The frame
    def draw(self, state: KioskState) -> None:
        self.placed = {}
        screen = state.screen
        if state.care and not isinstance(screen, PinEntry | Settings):
            care_view.draw(self, state)
            return
        self.surface.fill(BACKGROUND)
        if isinstance(screen, Attract):
            self._attract(state)
            return
        self._header(state)
        if isinstance(screen, Choose):
            self._choose(state)
        elif isinstance(screen, Issuing):
            self.put(texts.word("issuing", state.lang), self.frame.px(80), TEXT,
                     self.frame.body, tag="issuing")  # fmt: skip
        elif isinstance(screen, CheckingIn):
            self.put(texts.word("checking_in", state.lang), self.frame.px(80), TEXT,
                     self.frame.body, tag="checking_in")  # fmt: skip
        elif isinstance(screen, CodeEntry):
            self._code_entry(state, screen)
        elif isinstance(screen, Showing):
            self._showing(state, screen)
        elif isinstance(screen, Notice):
            self._notice(state, screen)
        elif isinstance(screen, PinEntry):
            self._pin(state, screen)
        elif isinstance(screen, Settings):
            self._settings(state, screen)
        self._footer(state)

    def _header(self, state: KioskState) -> None:
        f = self.frame
        self.box(f.header, HEADER)
        name = state.branch_name_en if state.lang == "en" else state.branch_name
        title = f"{texts.word('welcome', state.lang)}  {name or state.branch_name}".strip()
        box = inset(f.header, f.px(20))
        if isinstance(state.screen, Choose):  # the care-mode button takes the header's end
            switch = care_switch(f, state.screen)
            box = (box[0], box[1], switch[0] - box[0] - f.px(20), box[3])
            self._button(switch, care_view.word("care_short", state), "care:on", 48)
        self.put(title, f.px(64), TEXT, box, tag="title")

    def _footer(self, state: KioskState) -> None:
        f = self.frame
        if not isinstance(state.screen, PinEntry | Settings):
            self._button(f.lang_button, texts.word("lang", state.lang), "lang")
        if isinstance(state.screen, CodeEntry):
            self._button(code_back(f), texts.word("back", state.lang), "back")
        elif state.token_problem and not isinstance(state.screen, PinEntry | Settings):
            self.box(f.banner, OFFLINE)
            self.put(texts.token_line(state.token_problem, state.lang), f.px(44), TEXT,
                     inset(f.banner, f.px(12)), tag="token")  # fmt: skip
        elif not state.connected and not isinstance(state.screen, PinEntry | Settings):
            self.box(f.banner, OFFLINE)
            self.put(texts.word("offline", state.lang), f.px(44), TEXT,
                     inset(f.banner, f.px(12)), tag="offline")  # fmt: skip
        elif state.printer_fault and isinstance(state.screen, Choose):
            self.box(f.banner, FAULT)
            self.put(texts.word("printer_fault", state.lang), f.px(44), INK,
                     inset(f.banner, f.px(12)), tag="printer_fault")  # fmt: skip

    def _button(self, rect: Rect, label: str, tag: str, px: int = 52) -> None:
        self.box(rect, BUTTON, BUTTON_EDGE)
        self.put(label, self.frame.px(px), TEXT, inset(rect, self.frame.px(12)), tag=tag)

    def _attract(self, state: KioskState) -> None:
        f = self.frame
        w, h = self.surface.get_size()
        name = state.branch_name_en if state.lang == "en" else state.branch_name
        self.put(name or state.branch_name, f.px(90), TEXT, (0, h // 6, w, h // 6), tag="title")
        self.put(texts.word("touch", state.lang), f.px(110), NUMBER,
                 (f.px(40), h * 2 // 5, w - f.px(80), h // 5), tag="touch")  # fmt: skip
        self.put(texts.word("swipe", state.lang), f.px(60), DIM,
                 (0, h * 3 // 5, w, h // 8), tag="swipe")  # fmt: skip
        care_view.button(self, care_switch(f, state.screen), care_view.word("care_on", state),
                         "care:on", 64, care_view.BLACK)  # fmt: skip
        if state.token_problem or not state.connected:
            band = (0, h - f.footer[3], w, f.footer[3])
            self.box(band, OFFLINE)
            if state.token_problem:
                text, tag = texts.token_line(state.token_problem, state.lang), "token"
            else:
                text, tag = texts.word("offline", state.lang), "offline"
            self.put(text, f.px(48), TEXT, inset(band, f.px(12)), tag=tag)

    def _choose(self, state: KioskState) -> None:
        f = self.frame
        if state.card is not None:
            strip = card_strip(f)
            self.box(strip, (40, 34, 10))
            x, y, w, h = strip
            self.put(texts.word("card_read", state.lang), f.px(52), GOLD,
                     (x + f.px(30), y, w - f.px(320), h), align="left", tag="card")  # fmt: skip
        for button in buttons(state, *self.surface.get_size()):
            if button.target == "check-in":
                self.box(button.rect, HEADER, GOLD)
                self.put(texts.word("check_in", state.lang), f.px(52), GOLD,
                         inset(button.rect, f.px(16)), tag="check-in")  # fmt: skip
            elif button.target == "card:cancel":
                self._button(button.rect, texts.word("cancel", state.lang), "card:cancel", 44)
            elif button.target.startswith("service:"):
                service = state.service(button.target.removeprefix("service:"))
                if service is not None:
                    self._service(state, button.rect, service.code)

    def _service(self, state: KioskState, rect: Rect, code: str) -> None:
        f = self.frame
        service = state.service(code)
        assert service is not None
        fill, ink, detail = (BUTTON, TEXT, DETAIL) if service.open else (CLOSED, CLOSED_TEXT, TEXT)
        self.box(rect, fill, BUTTON_EDGE if service.open else None)
        x, y, w, h = inset(rect, f.px(16))
        name_px = min(f.px(64), max(8, int(h * 0.42)))
        self.put(texts.service_name(service, state.lang), name_px, ink, (x, y, w, h * 11 // 20),
                 tag=f"name:{code}")  # fmt: skip
        self.put(texts.waiting_line(service, state.lang), int(name_px * 0.7), detail,
                 (x, y + h * 11 // 20, w, h * 9 // 20), tag=f"wait:{code}")  # fmt: skip

    def ticket_column(
        self,
        ticket: Mapping[str, object],
        failed: bool,
        lang: Lang,
        x: int,
        top: int,
        w: int,
        rows: tuple[tuple[int, Color, int, int], ...],
    ) -> int:
        """The issued ticket top down: label, number, people ahead, wait; each row is (font
        px, colour, box height, advance) in base pixels. Returns the top below the last."""
        f = self.frame
        ahead = ticket.get("ahead")
        wait = ticket.get("estimated_wait_s")
        wait_s = int(wait) if isinstance(wait, int | float) else None
        lines = (
            ("label", texts.word("remember" if failed else "your_number", lang)),
            ("number", str(ticket.get("number", ""))),
            ("ahead", texts.ahead_line(int(ahead) if isinstance(ahead, int) else 0, lang)),
            ("wait", texts.wait_line(wait_s, lang, wait_range_of(ticket))),
        )
        for (tag, text), (px, color, height, advance) in zip(lines, rows, strict=True):
            self.put(text, f.px(px), color, (x, top, w, f.px(height)), tag=tag)
            top += f.px(advance)
        return top

    def _showing(self, state: KioskState, screen: Showing) -> None:
        f = self.frame
        x, y, w, _ = f.body
        ticket, lang = screen.ticket, state.lang
        top = y + f.px(10)
        if ticket.get("is_vip"):
            greeting = texts.greeting(str(ticket["tier_name"]), str(ticket["tier_name_en"]), lang)
            self.put(greeting, f.px(60), GOLD, (x, top, w, f.px(90)), tag="greeting")
        top += f.px(90)
        rows = ((64, TEXT, 90, 90), (300, NUMBER, 300, 300), (60, TEXT, 80, 80), (48, DIM, 66, 76))
        unprinted = screen.printing in ("failed", "unprinted")
        top = self.ticket_column(ticket, unprinted, lang, x, top, w, rows)
        done = lower_button(f)
        band = (x + f.px(40), top, w - f.px(80), max(f.px(60), done[1] - top - f.px(16)))
        if screen.printing == "failed":
            self.box(band, OFFLINE)
            bx, by, bw, bh = inset(band, f.px(10))
            cause = (screen.printer_message if lang == "zh" else "") or texts.word(
                "ask_manager", lang
            )
            self.put(cause, f.px(40), TEXT, (bx, by, bw, bh // 4), tag="print_cause")
            first, second = texts.reprint_lines(str(ticket.get("number", "")), lang)
            line = (bh * 3 // 4) // 2
            self.put(first, f.px(60), TEXT, (bx, by + bh // 4, bw, line), tag="print_failed")
            self.put(second, f.px(60), TEXT, (bx, by + bh // 4 + line, bw, line),
                     tag="print_what")  # fmt: skip
        elif screen.printing == "unprinted":
            self.box(band, OFFLINE)
            self.put(texts.word("unprinted", lang), f.px(52), TEXT, inset(band, f.px(10)),
                     tag="print_failed")  # fmt: skip
        else:
            self.put(texts.word(screen.printing, lang), f.px(52), DETAIL, band, tag="printing")
        self._button(done, texts.word("done", lang), "done")

    def _notice(self, state: KioskState, screen: Notice) -> None:
        f = self.frame
        x, y, w, h = f.body
        title, detail = texts.NOTICES[screen.kind]
        color = OFFLINE_TEXT if screen.kind in ("offline", "token") else NUMBER
        self.put(texts.pick(title, state.lang), f.px(96), color,
                 (x + f.px(40), y + h // 8, w - f.px(80), h // 4), tag="notice")  # fmt: skip
        box = (x + f.px(40), y + h * 3 // 8, w - f.px(80), h // 5)
        if screen.kind.startswith("code_"):  # what to do next, wrapped in large type
            box = (x + f.px(40), y + h * 3 // 8, w - f.px(80), h * 3 // 8)
            care_view.put_lines(self, texts.pick(detail, state.lang), f.px(68), TEXT, box,
                                "notice_detail")  # fmt: skip
        else:
            self.put(texts.pick(detail, state.lang), f.px(52), TEXT, box, tag="notice_detail")
        self._button(lower_button(f), texts.back_word(screen.kind, state.lang), "back")

    def _code_entry(self, state: KioskState, screen: CodeEntry) -> None:
        """The check-in code's keypad: the prompt, the digits so far in two groups of four,
        where to find the code, and the keys."""
        f = self.frame
        x, y, w, _ = f.body
        side = (x + f.px(40), w - f.px(80))
        self.put(texts.word("code_prompt", state.lang), f.px(72), TEXT,
                 (side[0], y + f.px(10), side[1], f.px(110)), tag="code_prompt")  # fmt: skip
        typed = screen.digits.ljust(8, "_")
        shown = f"{typed[:4]} {typed[4:]}"
        self.put(shown, f.px(150), NUMBER, (x, y + f.px(120), w, f.px(170)), tag="code")
        care_view.put_lines(self, texts.word("code_hint", state.lang), f.px(44), DIM,
                            (side[0], y + f.px(290), side[1], f.px(110)), "code_hint")  # fmt: skip
        complete = len(screen.digits) == 8
        for button in buttons(state, *self.surface.get_size()):
            key = button.target.removeprefix("code:")
            if not button.target.startswith("code:"):
                continue
            if key == "ok":
                label, fill = texts.word("ok", state.lang), BUTTON if complete else CLOSED
                self.box(button.rect, fill, BUTTON_EDGE if complete else None)
                self.put(label, f.px(64), TEXT if complete else CLOSED_TEXT,
                         inset(button.rect, f.px(12)), tag=button.target)  # fmt: skip
            else:
                self._button(button.rect, "←" if key == "del" else key, button.target, 80)

    def _pin(self, state: KioskState, screen: PinEntry) -> None:
        f = self.frame
        x, y, w, _ = f.body
        prompt = texts.word("pin_wrong" if screen.wrong else "pin", state.lang)
        self.put(f"{prompt}   {'●' * len(screen.digits)}", f.px(60),
                 DETAIL if screen.wrong else TEXT, (x, y, w, f.px(100)), tag="pin")  # fmt: skip
        for button in buttons(state, *self.surface.get_size()):
            key = button.target.removeprefix("pin:")
            label = {"del": "←", "ok": "OK", "cancel": texts.word("cancel", state.lang)}.get(
                key, key
            )
            if key in PIN_KEYS or key == "cancel":
                self._button(button.rect, label, button.target, 64)

    def _settings(self, state: KioskState, screen: Settings) -> None:
        f = self.frame
        self.put(texts.word("settings", state.lang), f.px(56), TEXT, f.footer, tag="settings")
        for button in buttons(state, *self.surface.get_size()):
            name = button.target.removeprefix("set:field:")
            if name in SETTING_ROWS:
                editing = screen.field == name
                self.box(button.rect, BUTTON if editing else HEADER, BUTTON_EDGE)
                x, y, w, h = inset(button.rect, f.px(14))
                label = texts.pick(texts.SETTING_LABELS[name], state.lang)
                value = field_value(screen.draft, name) or "—"
                self.put(label, f.px(40), DIM, (x, y, w * 2 // 5, h), align="left")
                self.put(value + ("_" if editing else ""), f.px(40), TEXT,
                         (x + w * 2 // 5, y, w * 3 // 5, h), align="left", tag=name)  # fmt: skip
            elif button.target in ("set:save", "set:cancel"):
                word = "save" if button.target == "set:save" else "cancel"
                self._button(button.rect, texts.word(word, state.lang), button.target)
