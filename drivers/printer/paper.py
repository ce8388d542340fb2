"""Draw what ESC/POS bytes would print on paper of a printer's width, as a PNG: the preview.

The bytes are first read by ``decode``, so the picture shows what the printer is told, not
what the layout meant: Chinese sent outside Chinese mode shows up as garbage here too.
"""

from __future__ import annotations

import qrcode
from PIL import Image, ImageDraw

from drivers.printer.decode import (
    Element,
    FeedLines,
    PaperCut,
    QrCode,
    Raster,
    StatusRequest,
    TextLine,
    decode,
    dots_of,
)
from drivers.printer.textimage import PAPER_DOTS, find_font, text_image

LINE_DOTS = 30  # default line spacing: 1/6 inch at 180 dpi ≈ 30 dots
MARGIN = 24


def _qr_image(code: QrCode) -> Image.Image:
    qr = qrcode.QRCode(box_size=code.module, border=0, error_correction=qrcode.ERROR_CORRECT_M)
    qr.add_data(code.data)
    qr.make(fit=True)
    image: Image.Image = qr.make_image().get_image().convert("1")
    return image


def _x(width: int, align: str, paper: int) -> int:
    return {"left": 0, "right": paper - width}.get(align, (paper - width) // 2)


def render_elements(
    elements: list[Element], font_path: str | None = None, paper_dots: int = PAPER_DOTS
) -> Image.Image:
    """The printed paper, white with black print, ``paper_dots`` wide plus margins."""
    font = find_font(font_path)
    pieces: list[tuple[Image.Image | None, int]] = []  # image (None: cut) and x
    for element in elements:
        if isinstance(element, TextLine):
            line = text_image(
                element.text,
                font,
                width=element.width,
                height=element.height,
                bold=element.bold,
                align=element.align,
                paper_dots=paper_dots,
                fit_dots=dots_of(element.text, element.width),  # the printer's fixed grid
            )
            pad = Image.new("1", (paper_dots, max(line.height + 6, LINE_DOTS)), 1)
            pad.paste(line, (0, 3))
            pieces.append((pad, 0))
        elif isinstance(element, FeedLines):
            pieces.append((Image.new("1", (paper_dots, LINE_DOTS * element.lines), 1), 0))
        elif isinstance(element, QrCode):
            qr = _qr_image(element)
            pieces.append((qr, _x(qr.width, element.align, paper_dots)))
        elif isinstance(element, Raster):
            pieces.append((element.image(), _x(element.width, element.align, paper_dots)))
        elif isinstance(element, PaperCut):
            pieces.append((None, 0))
        elif isinstance(element, StatusRequest):
            continue
    height = sum(LINE_DOTS if img is None else img.height for img, _ in pieces) + 2 * MARGIN
    paper = Image.new("L", (paper_dots + 2 * MARGIN, height), 255)
    draw = ImageDraw.Draw(paper)
    y = MARGIN
    for img, x in pieces:
        if img is None:
            for dash in range(0, paper.width, 16):
                draw.line(
                    (dash, y + LINE_DOTS // 2, dash + 8, y + LINE_DOTS // 2), fill=120, width=2
                )
            y += LINE_DOTS
            continue
        paper.paste(img.convert("L"), (MARGIN + x, y))
        y += img.height
    return paper


def render_bytes(
    data: bytes, font_path: str | None = None, paper_dots: int = PAPER_DOTS
) -> Image.Image:
    """The paper that ``data`` prints on a printer ``paper_dots`` wide."""
    return render_elements(decode(data, paper_dots), font_path, paper_dots)


def main(argv: list[str] | None = None) -> int:
    """Draw the demo branch's sample ticket: ``python -m drivers.printer.paper OUT.png``."""
    import argparse
    from datetime import datetime

    from drivers.printer.printer import PrinterConfig, TicketPrinter
    from drivers.printer.ticket import TicketPrint

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("out")
    parser.add_argument("--text-mode", choices=["native", "image"], default="native")
    parser.add_argument("--profile", default="TM-T20II", help="python-escpos printer profile")
    args = parser.parse_args(argv)
    sample = TicketPrint(
        number="A012",
        service_name="个人现金业务",
        service_name_en="Personal cash",
        issued_at=datetime.fromisoformat("2026-11-28T10:32:05+08:00"),
        public_url="https://q.branch.bank/t/3kq9x2c7vd",
        branch_name="城东支行",
        bank_name="示范银行",
        branch_name_en="Chengdong Sub-branch",
        bank_name_en="Demo Bank",
        tier_name="金卡客户",
        tier_name_en="Gold",
        ahead=3,
        estimated_wait_s=470,
    )
    config = PrinterConfig(
        text_mode=args.text_mode, profile=args.profile, footer_en="Please listen for your number"
    )
    job = TicketPrinter(config).render(sample)
    render_bytes(job, paper_dots=config.paper_dots).save(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
