"""What an LED counter sign lights: its text on a 16-dot-high matrix, drawn dot by dot.

A counter sign of ``columns`` half-width columns is ``8 × columns`` dots wide and 16 high (a
Chinese character takes 16 × 16 dots, a letter or digit 8 × 16), as the common GB2312 signs
are. ``dots`` is the matrix (1-bit, 1 = lit); ``sign_picture`` enlarges it to red dots on black
as the sign looks from the hall. The simulator draws its signs with it, so a test can see what
a write-only sign, which never answers, would show.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

from drivers.printer.textimage import find_font
from drivers.serial.sign import columns_of

ROW_DOTS = 16
DOT_PX = 6


def dots(text: str, columns: int = 8, font_path: str | None = None) -> Image.Image:
    """The lit dots (mode "1", 1 = lit), ``8 × columns`` wide, text centred."""
    width = 8 * columns
    matrix = Image.new("1", (width, ROW_DOTS), 0)
    if not text:
        return matrix
    font = ImageFont.truetype(find_font(font_path), ROW_DOTS)
    x = max(0, (width - 8 * columns_of(text)) // 2)
    draw = ImageDraw.Draw(matrix)
    for ch in text:
        _, top, _, bottom = font.getbbox(ch)
        cell = 8 * columns_of(ch)
        left = font.getbbox(ch)[0]
        glyph_w = font.getbbox(ch)[2] - left
        draw.text((x + (cell - glyph_w) // 2 - left, (ROW_DOTS - (bottom - top)) // 2 - top), ch,
                  font=font, fill=1)  # fmt: skip
        x += cell
    return matrix


def sign_picture(text: str, columns: int = 8, font_path: str | None = None) -> Image.Image:
    """The sign as seen from the hall: each lit dot a red disc, the others dark red."""
    matrix = dots(text, columns, font_path)
    picture = Image.new("RGB", (matrix.width * DOT_PX, ROW_DOTS * DOT_PX), (10, 0, 0))
    draw = ImageDraw.Draw(picture)
    pixels = matrix.load()
    assert pixels is not None
    for y in range(matrix.height):
        for x in range(matrix.width):
            colour = (255, 40, 20) if pixels[x, y] else (45, 8, 8)
            box = (x * DOT_PX + 1, y * DOT_PX + 1, (x + 1) * DOT_PX - 1, (y + 1) * DOT_PX - 1)
            draw.ellipse(box, fill=colour)
    return picture
