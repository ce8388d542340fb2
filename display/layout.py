"""Where each part of the hall screen goes, for any screen size. Pure geometry.

Two designs, in base pixels: landscape at 1920×1080 and portrait at 1080×1920. A screen is
drawn with the design of its orientation, scaled by one factor (so text keeps its
proportions: 1366×768 is ×0.71, 3840×2160 is ×2) and centred; another aspect ratio gets
even bars at the sides or top and bottom.

Text sizes are chosen for reading across a hall. On a 55-inch 1080p TV one pixel is
0.63 mm; the current number (250 px font, digits ~180 px tall) is about 11 cm high, the
recent calls and "get ready" numbers (56–60 px) about 2.5 cm, which common signage guidance
(about 1 cm of letter height per 3–4 m of distance) makes readable from 8–10 m.
"""

from __future__ import annotations

from dataclasses import dataclass

Rect = tuple[int, int, int, int]

#: Boxes (x, y, w, h) in base pixels and font sizes in base pixels, per orientation.
LANDSCAPE: dict[str, Rect] = {
    "header": (0, 0, 1920, 110),
    "title": (36, 14, 1100, 80),
    "clock": (1500, 8, 390, 64),
    "date": (1380, 70, 510, 36),
    "offline": (1150, 30, 330, 50),
    "current": (24, 126, 1176, 430),
    "current_label": (56, 140, 700, 52),
    "current_tag": (760, 140, 420, 52),
    "current_number": (48, 200, 640, 300),
    "current_counter": (700, 236, 490, 150),
    "current_counter_en": (700, 392, 490, 56),
    "current_recall": (700, 456, 490, 50),
    "services": (24, 572, 1176, 416),
    "recent": (1224, 126, 672, 720),
    "out": (1224, 858, 672, 130),
    "marquee": (0, 1000, 1920, 80),
}

PORTRAIT: dict[str, Rect] = {
    "header": (0, 0, 1080, 160),
    "title": (32, 14, 1016, 76),
    "clock": (690, 92, 360, 60),
    "date": (32, 100, 640, 44),
    "offline": (720, 18, 330, 50),
    "current": (24, 176, 1032, 520),
    "current_label": (56, 190, 560, 52),
    "current_tag": (620, 190, 420, 52),
    "current_number": (40, 242, 1000, 270),
    "current_counter": (56, 516, 980, 120),
    "current_counter_en": (56, 636, 980, 52),
    "current_recall": (600, 190, 0, 0),
    "recent": (24, 712, 1032, 600),
    "services": (24, 1328, 1032, 390),
    "out": (24, 1730, 1032, 100),
    "marquee": (0, 1840, 1080, 80),
}

FONTS_LANDSCAPE: dict[str, int] = {
    "title": 64, "title_en": 34, "clock": 60, "date": 32, "offline": 36,
    "label": 40, "tag": 40, "number": 250, "counter": 116, "counter_en": 46, "recall": 40,
    "section": 36, "row_number": 60, "row_counter": 52, "row_en": 30, "service": 42,
    "service_en": 26, "waiting": 48, "next": 52, "out": 38, "marquee": 50,
}  # fmt: skip

FONTS_PORTRAIT: dict[str, int] = {
    **FONTS_LANDSCAPE,
    "title": 60,
    "number": 220,
    "counter": 96,
    "row_number": 54,
    "row_counter": 48,
}


#: ``get_ready_large``: the "please get ready" numbers at 1.5× (78 base px), in rows up to this.
LARGE_NEXT = 1.5
LARGE_ROW = 120


@dataclass(frozen=True, slots=True)
class Layout:
    """A design scaled onto a ``width``×``height`` screen."""

    width: int
    height: int
    portrait: bool
    scale: float
    origin: tuple[int, int]

    @property
    def boxes(self) -> dict[str, Rect]:
        return PORTRAIT if self.portrait else LANDSCAPE

    def rect(self, name: str) -> Rect:
        """A named box in screen pixels."""
        return self.scaled(self.boxes[name])

    def scaled(self, box: Rect) -> Rect:
        x, y, w, h = box
        ox, oy = self.origin
        s = self.scale
        return (ox + round(x * s), oy + round(y * s), round(w * s), round(h * s))

    def px(self, role: str) -> int:
        """A font size (pixel height of the em) for a text role, at least 8 px."""
        sizes = FONTS_PORTRAIT if self.portrait else FONTS_LANDSCAPE
        return max(8, round(sizes[role] * self.scale))

    def length(self, base: float) -> int:
        return round(base * self.scale)


def layout_for(width: int, height: int) -> Layout:
    """The design that suits the screen's orientation, scaled to fit and centred."""
    portrait = height > width
    base_w, base_h = (1080, 1920) if portrait else (1920, 1080)
    scale = min(width / base_w, height / base_h)
    origin = (round((width - base_w * scale) / 2), round((height - base_h * scale) / 2))
    return Layout(width, height, portrait, scale, origin)


def rows(box: Rect, count: int, max_row: int, top: int = 0) -> list[Rect]:
    """``count`` equal rows in ``box`` below ``top`` pixels, each at most ``max_row`` high."""
    x, y, w, h = box
    if count <= 0:
        return []
    height = min(max_row, (h - top) // count)
    return [(x, y + top + i * height, w, height) for i in range(count)]


def service_cells(
    lay: Layout, count: int, large: bool = False
) -> tuple[dict[str, Rect], list[dict[str, Rect]]]:
    """The waiting table: its heading cells, and per service row its name, count and
    "please get ready" cells. ``large``: the rows take all the table's height and the count
    column narrows, so the "please get ready" numbers can be drawn large."""
    x, y, w, _ = box = lay.rect("services")
    pad, gap, head = lay.length(20), lay.length(16), lay.length(56)
    name_w, wait_w = lay.length(320 if large else 360), lay.length(130 if large else 210)
    next_x = x + pad + name_w + wait_w + gap
    next_w = x + w - pad - next_x
    heading = {
        "name": (x + pad, y, name_w, head),
        "waiting": (x + pad + name_w, y, wait_w, head),
        "next": (next_x, y, next_w, head),
    }
    cells = [
        {"name": (x + pad, ry, name_w, rh), "waiting": (x + pad + name_w, ry, wait_w, rh),
         "next": (next_x, ry, next_w, rh)}
        for _, ry, _, rh in rows(box, count, lay.length(LARGE_ROW if large else 76), head)
    ]  # fmt: skip
    return heading, cells
