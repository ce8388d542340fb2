"""Draw a ``ScreenModel`` with pygame. Placement only: every decision is in ``screen.py``.

Rendered text is cached (bounded), so a frame is mostly blits: a 1080p frame costs a few
milliseconds even while the marquee scrolls. ``placed`` records where the last frame put
each important text, which the tests use to look at the right pixels.
"""

from __future__ import annotations

from pathlib import Path

import pygame

from display.layout import LARGE_NEXT, Layout, Rect, layout_for, rows, service_cells
from display.screen import CallKind, CallLine, ScreenModel
from drivers.screen.fonts import TextCache

Color = tuple[int, int, int]

BACKGROUND: Color = (12, 24, 48)
HEADER: Color = (8, 16, 34)
PANEL: Color = (22, 40, 74)
TEXT: Color = (238, 242, 250)
DIM: Color = (150, 166, 192)
NUMBER: Color = (255, 214, 0)
NEXT: Color = (120, 220, 255)
FLASH: Color = (176, 22, 34)
VIP: Color = (236, 186, 74)
VIP_ROW: Color = (66, 50, 14)
GREEN: Color = (64, 214, 122)
GREEN_ROW: Color = (14, 62, 38)
OFFLINE: Color = (232, 52, 52)
MARQUEE_BAND: Color = (4, 10, 22)
HELP_BAND: Color = (255, 214, 0)  # the help cue: black on yellow, 14:1, unlike the marquee
HELP_TEXT: Color = (0, 0, 0)

KIND_COLOR = {CallKind.NORMAL: NUMBER, CallKind.VIP: VIP, CallKind.GREEN: GREEN}
KIND_ROW = {CallKind.VIP: VIP_ROW, CallKind.GREEN: GREEN_ROW}
KIND_TAG = {CallKind.VIP: ("贵宾", "VIP"), CallKind.GREEN: ("绿色通道", "Green channel")}
STATE_ZH = {"paused": "暂停服务", "closed": "未开放"}
STATE_EN = {"paused": "paused", "closed": "closed"}
MARQUEE_SPEED = 140  # base pixels per second
TEXT_CACHE = 800


def bilingual(zh: str, en: str, english: bool) -> str:
    return f"{zh}  {en}" if english and en else zh


class Painter:
    """Draws screen models onto one pygame surface."""

    def __init__(self, surface: pygame.Surface, font_path: Path) -> None:
        self.font_path = font_path
        self._texts = TextCache(font_path, TEXT_CACHE)
        self.placed: dict[str, Rect] = {}
        self.surface = surface
        self.layout: Layout = layout_for(*surface.get_size())

    def resize(self, surface: pygame.Surface) -> None:
        self.surface = surface
        self.layout = layout_for(*surface.get_size())

    # Text
    def font(self, px: int) -> pygame.font.Font:
        return self._texts.font(px)

    def text(self, text: str, px: int, color: Color) -> pygame.Surface:
        return self._texts.text(text, px, color)

    def put(self, text: str, px: int, color: Color, box: Rect, align: str = "left",
            tag: str | None = None) -> Rect:  # fmt: skip
        """Draw ``text`` fitted into ``box``, vertically centred; returns where it went."""
        where = self._texts.put(self.surface, text, px, color, box, align)
        if tag and text:
            self.placed[tag] = where
        return where

    def panel(self, box: Rect, color: Color = PANEL, border: Color | None = None) -> None:
        radius = self.layout.length(14)
        pygame.draw.rect(self.surface, color, box, border_radius=radius)
        if border is not None:
            pygame.draw.rect(self.surface, border, box, self.layout.length(6), radius)

    # The frame
    def draw(self, model: ScreenModel, now: float) -> None:
        self.placed = {}
        self.surface.fill(BACKGROUND)
        self._header(model)
        self._current(model)
        self._recent(model)
        self._services(model)
        self._out_of_service(model)
        self._marquee(model, now)

    def _header(self, m: ScreenModel) -> None:
        lay = self.layout
        pygame.draw.rect(self.surface, HEADER, lay.rect("header"))
        title = self.put(m.title, lay.px("title"), TEXT, lay.rect("title"), tag="title")
        if m.english and m.title_en:
            x, y, w, h = lay.rect("title")
            gap = lay.length(24)
            box = (title[0] + title[2] + gap, y + lay.length(10), w - title[2] - gap, h)
            self.put(m.title_en, lay.px("title_en"), DIM, box)
        self.put(m.clock, lay.px("clock"), TEXT, lay.rect("clock"), "right", tag="clock")
        self.put(m.date, lay.px("date"), DIM, lay.rect("date"), "right")
        if m.offline:
            x, y, w, h = lay.rect("offline")
            label = bilingual("离线", "Offline", m.english)
            where = self.put(label, lay.px("offline"), OFFLINE, (x, y, w, h), "right")
            r = lay.length(12)
            center = (where[0] - 2 * r, y + h // 2)
            pygame.draw.circle(self.surface, OFFLINE, center, r)
            self.placed["offline"] = (center[0] - r, y, where[0] + where[2] - center[0] + r, h)

    def _current(self, m: ScreenModel) -> None:
        lay = self.layout
        call = m.current
        kind = call.kind if call else CallKind.NORMAL
        border = None if kind is CallKind.NORMAL else KIND_COLOR[kind]
        self.panel(lay.rect("current"), FLASH if m.flash_on else PANEL, border)
        label = bilingual("正在呼叫", "Now calling", m.english)
        self.put(label, lay.px("label"), DIM if not m.flash_on else TEXT, lay.rect("current_label"))
        if call is None:
            idle = bilingual("请留意叫号", "Please listen for your number", m.english)
            self.put(idle, lay.px("counter_en"), DIM, lay.rect("current_counter"), "center")
            return
        if kind in KIND_TAG:
            zh, en = KIND_TAG[kind]
            tag = bilingual(zh, en, m.english)
            self.put(tag, lay.px("tag"), KIND_COLOR[kind], lay.rect("current_tag"), "right",
                     tag="current_tag")  # fmt: skip
        self.put(call.number, lay.px("number"), KIND_COLOR[kind], lay.rect("current_number"),
                 tag="current_number")  # fmt: skip
        self.put(f"→ {call.counter}", lay.px("counter"), TEXT, lay.rect("current_counter"),
                 tag="current_counter")  # fmt: skip
        if m.english:
            self.put(call.counter_en, lay.px("counter_en"), DIM, lay.rect("current_counter_en"))
        if call.recall and lay.rect("current_recall")[2]:
            recall = bilingual("重复呼叫", "Recall", m.english)
            self.put(recall, lay.px("recall"), TEXT, lay.rect("current_recall"))

    def _recent(self, m: ScreenModel) -> None:
        lay = self.layout
        box = lay.rect("recent")
        self.panel(box)
        x, y, w, _ = box
        pad = lay.length(20)
        head = lay.length(64)
        self.put(bilingual("最近呼叫", "Recent calls", m.english), lay.px("section"), DIM,
                 (x + pad, y + lay.length(8), w - 2 * pad, head - lay.length(8)))  # fmt: skip
        slots = max(len(m.recent), 8)
        places = rows(box, slots, lay.length(80), head)
        for i, (call, row) in enumerate(zip(m.recent, places, strict=False)):
            self._recent_row(call, row, i, m.english)

    def _recent_row(self, call: CallLine, row: Rect, i: int, english: bool) -> None:
        lay = self.layout
        x, y, w, h = row
        pad = lay.length(20)
        if call.kind in KIND_ROW:
            inset = lay.length(8)
            band = (x + inset, y + 2, w - 2 * inset, h - 4)
            pygame.draw.rect(self.surface, KIND_ROW[call.kind], band, border_radius=inset)
        split = lay.length(200)
        color = KIND_COLOR[call.kind]
        self.put(call.number, lay.px("row_number"), color, (x + pad, y, split - pad, h),
                 tag=f"recent_{i}")  # fmt: skip
        counter_w = w - split - pad
        if english and call.counter_en:
            en_w = lay.length(190)
            self.put(call.counter_en, lay.px("row_en"), DIM, (x + w - pad - en_w, y, en_w, h),
                     "right")  # fmt: skip
            counter_w -= en_w
        self.put(call.counter, lay.px("row_counter"), TEXT, (x + split, y, counter_w, h))

    def _services(self, m: ScreenModel) -> None:
        lay = self.layout
        self.panel(lay.rect("services"))
        heading, cells = service_cells(lay, len(m.services), m.large_ready)
        size = lay.px("section")
        self.put(bilingual("业务", "Service", m.english), size, DIM, heading["name"])
        self.put(bilingual("等候", "Waiting", m.english), size, DIM, heading["waiting"], "center")
        self.put(bilingual("请准备", "Please get ready", m.english), size, DIM, heading["next"])
        for i, (line, cell) in enumerate(zip(m.services, cells, strict=False)):
            x, y, w, h = cell["name"]
            if m.english and line.name_en:
                half = h * 11 // 20
                self.put(line.name, lay.px("service"), TEXT, (x, y, w, half))
                self.put(line.name_en, lay.px("service_en"), DIM, (x, y + half, w, h - half))
            else:
                self.put(line.name, lay.px("service"), TEXT, cell["name"])
            self.put(str(line.waiting), lay.px("waiting"), TEXT, cell["waiting"], "center",
                     tag=f"waiting_{i}")  # fmt: skip
            px = lay.px("next")
            if m.large_ready:  # as large as the row lets it be, up to 1.5×
                px = min(round(px * LARGE_NEXT), cell["next"][3] * 9 // 10)
            self.put("  ".join(line.next), px, NEXT, cell["next"], tag=f"next_{i}")

    def _out_of_service(self, m: ScreenModel) -> None:
        lay = self.layout
        box = lay.rect("out")
        self.panel(box)
        x, y, w, h = box
        pad = lay.length(20)
        inner = (x + pad, y, w - 2 * pad, h)
        if not m.counters_known:
            zh, en = "窗口状态待连接恢复后显示", "Counter status once reconnected"
            text = bilingual(zh, en, m.english)
            self.put(text, lay.px("out"), DIM, inner, tag="out_unknown")
            return
        if not m.out_of_service:
            text = bilingual("各窗口正常服务", "All counters open", m.english)
            self.put(text, lay.px("out"), DIM, inner, tag="out")
            return
        # One line per state, counters by number: eight closed counters still read at a glance.
        lines = []
        for state in ("paused", "closed"):
            numbers = [str(c.number) for c in m.out_of_service if c.state == state]
            if numbers:
                label = bilingual(STATE_ZH[state], STATE_EN[state].capitalize(), m.english)
                lines.append(f"{label}：{'、'.join(numbers)} 号窗口")
        for i, (line, row) in enumerate(zip(lines, rows(inner, len(lines), h // 2), strict=False)):
            self.put(line, lay.px("out"), VIP, row, tag=f"out_{i}")

    def _marquee(self, m: ScreenModel, now: float) -> None:
        lay = self.layout
        box = lay.rect("marquee")
        if m.help:  # a kiosk's customer waits for the lobby manager: that first, standing still
            pygame.draw.rect(self.surface, HELP_BAND, box)
            text = f"{m.help}  {m.help_en}" if m.english else m.help
            self.put(text, lay.px("marquee"), HELP_TEXT, box, "center", tag="help")
            return
        pygame.draw.rect(self.surface, MARQUEE_BAND, box)
        if not m.marquee:
            return
        image = self.text(m.marquee, lay.px("marquee"), TEXT)
        x, y, w, h = box
        travel = image.get_width() + w
        offset = int(now * lay.length(MARQUEE_SPEED)) % travel
        left = x + w - offset
        self.surface.set_clip(box)
        self.surface.blit(image, (left, y + (h - image.get_height()) // 2))
        self.surface.set_clip(None)
        self.placed["marquee"] = (left, y, image.get_width(), h)
