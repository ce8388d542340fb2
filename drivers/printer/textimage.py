"""Text drawn as a bitmap, for printers without a Chinese font (and characters beyond it)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PAPER_DOTS = 576  # 80 mm paper at 203 dpi: 72 mm printable
BASE_DOTS = 24  # font A: 12 x 24 dots per half-width character, 24 x 24 per Chinese one
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


class FontMissing(RuntimeError):
    """No font with Chinese glyphs was found (Debian: fonts-wqy-microhei)."""


def find_font(configured: str | None = None) -> str:
    """The configured font file, or the first Chinese font installed."""
    for candidate in (configured, *CJK_FONTS):
        if candidate and Path(candidate).is_file():
            return candidate
    raise FontMissing("no Chinese font found: install fonts-wqy-microhei or set printer.font")


@lru_cache(maxsize=32)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def text_run(
    text: str,
    font_path: str,
    *,
    width: int = 1,
    height: int = 1,
    bold: bool = False,
    paper_dots: int = PAPER_DOTS,
    fit_dots: int | None = None,
) -> Image.Image:
    """One printed line's text as a 1-bit image just as wide as the text (at most the paper;
    at most ``fit_dots``: the width the printer's own fixed-width font gives it)."""
    size = BASE_DOTS * height
    font = _font(font_path, size)
    _, top, right, bottom = font.getbbox(text)
    drawn = Image.new("L", (max(int(right), 1), size), 255)
    ImageDraw.Draw(drawn).text(
        (0, (size - (bottom - top)) // 2 - top),
        text,
        font=font,
        fill=0,
        stroke_width=1 if bold else 0,
        stroke_fill=0,
    )
    if width != height:
        drawn = drawn.resize((max(1, drawn.width * width // height), size))
    if fit_dots is not None and drawn.width > fit_dots:
        drawn = drawn.resize((max(1, fit_dots), size))
    drawn = drawn.crop((0, 0, min(drawn.width, paper_dots), size))
    return drawn.point(lambda v: 255 if v > 128 else 0).convert("1")


def text_image(
    text: str,
    font_path: str,
    *,
    width: int = 1,
    height: int = 1,
    bold: bool = False,
    align: str = "center",
    paper_dots: int = PAPER_DOTS,
    fit_dots: int | None = None,
) -> Image.Image:
    """One printed line as a 1-bit image as wide as the paper (black text on white)."""
    drawn = text_run(
        text,
        font_path,
        width=width,
        height=height,
        bold=bold,
        paper_dots=paper_dots,
        fit_dots=fit_dots,
    )
    line = Image.new("1", (paper_dots, drawn.height), 1)
    x = {"left": 0, "right": paper_dots - drawn.width}.get(align, (paper_dots - drawn.width) // 2)
    line.paste(drawn, (x, 0))
    return line
