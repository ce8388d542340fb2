"""Read ESC/POS bytes back into what a printer would print: lines, QR codes, images, cuts.

Used to check tickets (tests), to draw them (``paper.py``) and by the printer simulator. It
follows the printer's state as a printer does: text outside Chinese mode (``FS &``) is read
in the selected code page, so Chinese sent without ``FS &`` comes out as the garbage a real
printer would print. A command it does not know is an error, not a guess.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from PIL import Image

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
CODEPAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 17: "cp866"}
ALIGNS = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


class DecodeError(ValueError):
    pass


@dataclass(frozen=True)
class TextLine:
    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"
    chinese_mode: bool = False  # whether some of it was sent in FS & mode
    wrapped: bool = False  # the printer broke it: it was wider than the paper


@dataclass(frozen=True)
class QrCode:
    data: str
    module: int
    align: str


@dataclass(frozen=True)
class Raster:
    width: int  # dots
    height: int
    bits: bytes  # rows of width/8 bytes, most significant bit first, 1 = black
    align: str = "left"

    def image(self) -> Image.Image:
        """Black on white, as printed."""
        packed = Image.frombytes("1", (self.width, self.height), self.bits)
        return packed.point(lambda v: 0 if v else 255).convert("1")


@dataclass(frozen=True)
class FeedLines:
    lines: int


@dataclass(frozen=True)
class PaperCut:
    partial: bool


@dataclass(frozen=True)
class StatusRequest:
    n: int


Element = TextLine | QrCode | Raster | FeedLines | PaperCut | StatusRequest


@dataclass
class _State:
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"
    chinese: bool = False
    codepage: str = "cp437"
    qr_module: int = 3
    qr_data: bytes = b""
    text: list[str] = field(default_factory=list)
    used_chinese: bool = False


FONT_A_DOTS = 12  # a half-width character of font A is 12 dots wide (24 for a Chinese one)


def dots_of(text: str, width: int = 1) -> int:
    """How many dots wide ``text`` prints in font A at ``width`` times."""
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return cols * FONT_A_DOTS * width


class Decoder:
    """Reads bytes as a printer whose paper is ``paper_dots`` wide (None: no wrapping)."""

    def __init__(self, paper_dots: int | None = None) -> None:
        self.state = _State()
        self.out: list[Element] = []
        self.paper_dots = paper_dots

    def decode(self, data: bytes) -> list[Element]:
        """Every element printed by ``data``, in order (a last unterminated line included)."""
        self.state, self.out = _State(), []
        i = 0
        while i < len(data):
            i = self._step(data, i)
        self._end_line(force=False)
        return self.out

    def _end_line(self, force: bool = True) -> None:
        s = self.state
        text = "".join(s.text)
        if text or force:
            if text:
                for part, wrapped in self._wrap(text, s.width):
                    line = TextLine(
                        part, s.width, s.height, s.bold, s.align, s.used_chinese, wrapped
                    )
                    self.out.append(line)
            else:
                self.out.append(FeedLines(1))
        s.text, s.used_chinese = [], False

    def _wrap(self, text: str, width: int) -> list[tuple[str, bool]]:
        """The printed lines of ``text``: a printer breaks a line at the paper's edge."""
        if self.paper_dots is None or dots_of(text, width) <= self.paper_dots:
            return [(text, False)]
        parts, current = [], ""
        for ch in text:
            if dots_of(current + ch, width) > self.paper_dots:
                parts.append(current)
                current = ""
            current += ch
        return [(p, True) for p in [*parts, current] if p]

    def _step(self, data: bytes, i: int) -> int:
        b = data[i]
        if b == 0x0A:
            self._end_line()
            return i + 1
        if b in (0x0D, 0x09):
            return i + 1
        if b == ESC:
            return self._esc(data, i)
        if b == GS:
            return self._gs(data, i)
        if b == FS:
            return self._fs(data, i)
        if b == DLE:
            if data[i + 1 : i + 2] == b"\x04":
                self.out.append(StatusRequest(data[i + 2]))
                return i + 3
            raise DecodeError(f"unknown DLE command at {i}: {data[i : i + 3].hex()}")
        if b < 0x20:
            raise DecodeError(f"unknown control byte {b:#04x} at {i}")
        return self._text(data, i)

    def _text(self, data: bytes, i: int) -> int:
        s = self.state
        b = data[i]
        if b < 0x80:
            s.text.append(chr(b))
            return i + 1
        if not s.chinese:
            s.text.append(bytes([b]).decode(s.codepage, errors="replace"))
            return i + 1
        length = 4 if i + 1 < len(data) and 0x30 <= data[i + 1] <= 0x39 else 2
        s.text.append(data[i : i + length].decode("gb18030", errors="replace"))
        s.used_chinese = True
        return i + length

    def _esc(self, data: bytes, i: int) -> int:
        s = self.state
        cmd = data[i + 1]
        arg = data[i + 2] if i + 2 < len(data) else 0
        if cmd == ord("@"):
            self._end_line(force=False)
            self.state = _State()
            return i + 2
        if cmd == ord("!"):
            s.bold = bool(arg & 0x08)
            s.height = 2 if arg & 0x10 else 1
            s.width = 2 if arg & 0x20 else 1
        elif cmd == ord("E") or cmd == ord("G"):
            s.bold = bool(arg & 1)
        elif cmd == ord("a"):
            s.align = ALIGNS.get(arg, "left")
        elif cmd == ord("t"):
            s.codepage = CODEPAGES.get(arg, "cp437")
        elif cmd == ord("d"):
            self._end_line(force=False)
            self.out.append(FeedLines(arg))
        elif cmd in (ord("-"), ord("M"), ord("J"), ord("3"), ord("{"), ord("V"), ord("c")):
            pass  # underline, font, paper feed in dots, spacing, upside down, rotation
        elif cmd == ord("2"):
            return i + 2
        else:
            raise DecodeError(f"unknown ESC command {cmd:#04x} at {i}")
        return i + 3

    def _gs(self, data: bytes, i: int) -> int:
        s = self.state
        cmd = data[i + 1]
        if cmd == ord("!"):
            n = data[i + 2]
            s.width, s.height = (n >> 4) + 1, (n & 0x0F) + 1
            return i + 3
        if cmd == ord("V"):
            self._end_line(force=False)
            m = data[i + 2]
            self.out.append(PaperCut(partial=m in (1, 49, 66)))
            return i + 4 if m in (65, 66) else i + 3
        if cmd == ord("v") and data[i + 2] == 0x30:
            wb = int.from_bytes(data[i + 4 : i + 6], "little")
            h = int.from_bytes(data[i + 6 : i + 8], "little")
            if self.paper_dots is not None and wb * 8 > self.paper_dots:
                raise DecodeError(f"a {wb * 8}-dot image on {self.paper_dots}-dot paper at {i}")
            bits = data[i + 8 : i + 8 + wb * h]
            self.out.append(Raster(wb * 8, h, bits, s.align))
            return i + 8 + wb * h
        if cmd == ord("(") and data[i + 2] in (ord("k"), ord("L"), ord("K")):
            size = int.from_bytes(data[i + 3 : i + 5], "little")
            body = data[i + 5 : i + 5 + size]
            if data[i + 2] == ord("k"):
                self._code2d(body)
            return i + 5 + size
        if cmd in (ord("B"), ord("b"), ord("H"), ord("f"), ord("h"), ord("w")):
            return i + 3
        if cmd in (ord("L"), ord("W")):
            return i + 4
        raise DecodeError(f"unknown GS command {cmd:#04x} at {i}")

    def _code2d(self, body: bytes) -> None:
        s = self.state
        cn, fn = body[0], body[1]
        if cn != ord("1"):
            return  # not a QR code (PDF417…)
        if fn == 67:
            s.qr_module = body[2]
        elif fn == 80:
            s.qr_data = body[3:]
        elif fn == 81:
            self._end_line(force=False)
            self.out.append(QrCode(s.qr_data.decode("utf-8"), s.qr_module, s.align))

    def _fs(self, data: bytes, i: int) -> int:
        cmd = data[i + 1]
        if cmd == ord("&"):
            self.state.chinese = True
            return i + 2
        if cmd == ord("."):
            self.state.chinese = False
            return i + 2
        if cmd in (ord("!"), ord("-"), ord("W")):
            return i + 3
        raise DecodeError(f"unknown FS command {cmd:#04x} at {i}")


def decode(data: bytes, paper_dots: int | None = None) -> list[Element]:
    """The elements ``data`` prints (on paper ``paper_dots`` wide, if given)."""
    return Decoder(paper_dots).decode(data)
