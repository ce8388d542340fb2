"""Blocks of a ticket → ESC/POS through python-escpos, with the Chinese it lacks.

python-escpos does the printer's own commands from its printer profile: ``set()`` for
alignment, emphasis and character size, ``ln()`` for feeds, ``qr()`` (native ``GS ( k``, or a
bitmap where the profile has no ``qrCode``), ``image(center=True)`` centred on the profile's
``media.width.pixels``, and ``cut()``. What it lacks is Chinese: python-escpos 3.1 sends a line
with Han characters as GB18030 bytes but never selects the printer's Chinese mode (``FS &``),
and turns CJK punctuation in a line without Han characters into ``?``. So text goes out here
as raw bytes: ASCII as is; other lines inside ``FS &`` … ``FS .`` in GBK (or GB18030, for
printers with that font). A line with a character the printer's charset lacks, or every line
when ``text_mode = "image"``, is drawn as a bitmap (``GS v 0``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from escpos.constants import QR_ECLEVEL_M
from escpos.escpos import Escpos

from drivers.printer.textimage import find_font, text_image, text_run
from drivers.printer.ticket import Block, Cut, Feed, Line, QrBlock

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_ON, CHINESE_OFF = FS + b"&", FS + b"."
TextMode = Literal["native", "image"]
Charset = Literal["gbk", "gb18030"]
QrMode = Literal["native", "image"]
TEAR_OFF_LINES = 4  # a printer without a cutter: feed the ticket past the tear bar


def encode_line(text: str, charset: Charset) -> bytes | None:
    """The bytes of one line of text, in Chinese mode if needed; None if the charset lacks a
    character (then the line is drawn as a bitmap)."""
    if text.isascii():
        return text.encode("ascii")
    try:
        return CHINESE_ON + text.encode(charset) + CHINESE_OFF
    except UnicodeEncodeError:
        return None


def paper_dots(printer: Escpos, default: int = 576) -> int:
    """The printable width in dots from the printer's profile (``media.width.pixels``)."""
    pixels = printer.profile.profile_data.get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else default


def paper_columns(printer: Escpos, default: int = 48) -> int:
    """Font A's columns from the printer's profile (48 on 576 dots, 42 on 512, 32 on 384)."""
    try:
        return int(printer.profile.get_columns(0))
    except Exception:  # a profile without fonts
        return default


class TicketWriter:
    def __init__(
        self,
        printer: Escpos,
        *,
        text_mode: TextMode = "native",
        charset: Charset = "gbk",
        qr_mode: QrMode = "native",
        font_path: str | None = None,
    ) -> None:
        self.printer = printer
        self.text_mode = text_mode
        self.charset = charset
        self.qr_native = qr_mode == "native" and bool(printer.profile.supports("qrCode"))
        self.font_path = font_path
        self.paper_dots = paper_dots(printer)

    def write(self, blocks: Iterable[Block]) -> None:
        self.printer._raw(INIT)
        for block in blocks:
            if isinstance(block, Line):
                self._line(block)
            elif isinstance(block, QrBlock):
                self._qr(block)
            elif isinstance(block, Feed):
                self.printer.ln(block.lines)
            elif isinstance(block, Cut):
                self._cut()

    def _line(self, line: Line) -> None:
        printer = self.printer
        data = None if self.text_mode == "image" else encode_line(line.text, self.charset)
        if data is None:
            self._picture_line(line)
            return
        printer.set(
            align=line.align,
            bold=line.bold,
            custom_size=True,
            width=line.width,
            height=line.height,
        )
        printer._raw(data)
        printer.ln()
        printer.set(bold=False, custom_size=True, width=1, height=1)

    def _picture_line(self, line: Line) -> None:
        font, dots = find_font(self.font_path), self.paper_dots
        w, h, bold = line.width, line.height, line.bold
        self.printer.set(align="left")
        if line.align == "center":  # python-escpos pads it to the profile's paper width
            run = text_run(line.text, font, width=w, height=h, bold=bold, paper_dots=dots)
            self.printer.image(run, center=True)
            return
        image = text_image(
            line.text, font, width=w, height=h, bold=bold, align=line.align, paper_dots=dots
        )
        self.printer.image(image)

    def _qr(self, block: QrBlock) -> None:
        printer = self.printer
        if self.qr_native:
            printer.set(align="center")
            printer.qr(block.data, native=True, size=block.module, ec=QR_ECLEVEL_M)
            printer.ln()
            return
        printer.set(align="left")  # the bitmap is centred by padding it to the paper width
        module = min(block.module, self._largest_module(block.data))
        printer.qr(block.data, native=False, size=module, ec=QR_ECLEVEL_M, center=True)

    def _largest_module(self, data: str) -> int:
        """The largest QR module size whose bitmap fits the paper (58 mm paper is 384 dots)."""
        import qrcode

        code = qrcode.QRCode(border=1, error_correction=qrcode.ERROR_CORRECT_M)
        code.add_data(data)
        code.make(fit=True)
        modules: int = code.modules_count
        return max(1, self.paper_dots // (modules + 2))

    def _cut(self) -> None:
        profile = self.printer.profile
        if profile.supports("paperPartCut") or profile.supports("paperFullCut"):
            self.printer.cut(feed=False)  # GS V 66 0: feed to the cutter, then cut
        else:
            self.printer.ln(TEAR_OFF_LINES)
