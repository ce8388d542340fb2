"""Blocks of a ticket → ESC/POS through python-escpos, with the Chinese it lacks.

python-escpos 3.1 sends a line containing common Han characters as GB18030 bytes but never
selects the printer's Chinese mode (``FS &``), and turns CJK punctuation in a line without Han
characters into ``?`` through its code pages. So text goes out here as raw bytes: ASCII as is;
other lines inside ``FS &`` … ``FS .`` in GBK (or GB18030, for printers with that font). A
line with a character the printer's charset lacks, or every line when ``text_mode = "image"``,
is drawn as a bitmap (``GS v 0``). The QR code is the printer's own (``GS ( k``) or a bitmap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import qrcode
from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos
from PIL import Image

from drivers.printer.textimage import PAPER_DOTS, find_font, text_image
from drivers.printer.ticket import Block, Cut, Feed, Line, QrBlock

ESC, GS, FS, LF = b"\x1b", b"\x1d", b"\x1c", b"\n"
INIT = ESC + b"@"
CHINESE_ON, CHINESE_OFF = FS + b"&", FS + b"."
ALIGN = {"left": 0, "center": 1, "right": 2}
TextMode = Literal["native", "image"]
Charset = Literal["gbk", "gb18030"]
QrMode = Literal["native", "image"]


def encode_line(text: str, charset: Charset) -> bytes | None:
    """The bytes of one line of text, in Chinese mode if needed; None if the charset lacks a
    character (then the line is drawn as a bitmap)."""
    if text.isascii():
        return text.encode("ascii")
    try:
        return CHINESE_ON + text.encode(charset) + CHINESE_OFF
    except UnicodeEncodeError:
        return None


class TicketWriter:
    def __init__(
        self,
        printer: Escpos,
        *,
        text_mode: TextMode = "native",
        charset: Charset = "gbk",
        qr_mode: QrMode = "native",
        font_path: str | None = None,
        paper_dots: int = PAPER_DOTS,
    ) -> None:
        self.printer = printer
        self.text_mode = text_mode
        self.charset = charset
        self.qr_mode = qr_mode
        self.font_path = font_path
        self.paper_dots = paper_dots

    def write(self, blocks: Iterable[Block]) -> None:
        raw = self.printer._raw
        raw(INIT)
        for block in blocks:
            if isinstance(block, Line):
                self._line(block)
            elif isinstance(block, QrBlock):
                self._qr(block)
            elif isinstance(block, Feed):
                raw(LF * block.lines)
            elif isinstance(block, Cut):
                self.printer.cut()

    def _line(self, line: Line) -> None:
        raw = self.printer._raw
        data = None if self.text_mode == "image" else encode_line(line.text, self.charset)
        if data is None:
            font = find_font(self.font_path)
            image = text_image(
                line.text,
                font,
                width=line.width,
                height=line.height,
                bold=line.bold,
                align=line.align,
                paper_dots=self.paper_dots,
            )
            raw(ESC + b"a\x00")
            self.printer.image(image)
            return
        size = ((line.width - 1) << 4) | (line.height - 1)
        raw(ESC + b"a" + bytes([ALIGN[line.align]]) + GS + b"!" + bytes([size]))
        raw(ESC + b"E" + bytes([int(line.bold)]))
        raw(data + LF)
        raw(GS + b"!\x00" + ESC + b"E\x00")

    def _qr(self, block: QrBlock) -> None:
        raw = self.printer._raw
        if self.qr_mode == "native":
            raw(ESC + b"a\x01")
            self.printer.qr(block.data, native=True, size=block.module, ec=QR_ECLEVEL_M)
            raw(LF)
            return
        code = qrcode.QRCode(
            box_size=block.module, border=2, error_correction=qrcode.ERROR_CORRECT_M
        )
        code.add_data(block.data)
        code.make(fit=True)
        matrix = code.make_image().get_image().convert("1")
        width = min(matrix.width, self.paper_dots)
        page = Image.new("1", (self.paper_dots, matrix.height), 1)
        page.paste(matrix.crop((0, 0, width, matrix.height)), ((self.paper_dots - width) // 2, 0))
        raw(ESC + b"a\x00")
        self.printer.image(page)
