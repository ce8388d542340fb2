"""Tickets laid out per printer model (python-escpos profiles), checked on the decoded paper:
384 dots (58 mm, no native QR), 512 (180-dpi Epsons), 576 (203-dpi 80 mm)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from escpos.printer import Dummy
from PIL import Image

from drivers.printer import PrinterConfig, TicketPrinter
from drivers.printer.decode import FeedLines, PaperCut, QrCode, Raster, TextLine, decode, dots_of
from drivers.printer.escpos_writer import TicketWriter, paper_columns
from drivers.printer.paper import render_bytes
from drivers.printer.ticket import layout_ticket
from tests.drivers.test_printer import URL, ticket

MODELS = [("ZJ-5870", 384, 32), ("POS-5890", 384, 32), ("TM-T88V", 512, 42), ("TM-T20II", 576, 48)]


def job_for(profile: str, **config: object) -> bytes:
    return TicketPrinter(PrinterConfig(profile=profile, **config)).render(  # type: ignore[arg-type]
        ticket(tier_name="金卡客户", tier_name_en="Gold", green_channel=True)
    )


def ink_columns(picture: Image.Image, top: int, bottom: int) -> tuple[int, int]:
    """The leftmost and rightmost inked columns between two rows of the paper picture."""
    band = picture.crop((0, top, picture.width, bottom)).point(lambda v: 255 if v < 128 else 0)
    box = band.getbbox()
    assert box is not None
    return box[0], box[2]


@pytest.mark.parametrize(("profile", "dots", "columns"), MODELS)
def test_the_profile_gives_the_paper_width_and_nothing_wraps(
    profile: str, dots: int, columns: int
) -> None:
    assert PrinterConfig(profile=profile).paper_dots == dots
    assert paper_columns(Dummy(profile=profile)) == columns
    printed = decode(job_for(profile), paper_dots=dots)
    lines = [e for e in printed if isinstance(e, TextLine)]
    assert not [line.text for line in lines if line.wrapped]
    rules = [line for line in lines if set(line.text) == {"-"}]
    assert len(rules) == 2 and all(dots_of(r.text) == 12 * columns <= dots for r in rules)
    assert next(line for line in lines if line.text == "A012").width >= 4


def test_a_576_dot_layout_on_a_512_dot_printer_would_wrap_its_rules() -> None:
    """What the fixed layout did to TM-T88 printers: the decoder, like the printer, breaks it."""
    printer = Dummy(profile="TM-T88V")
    blocks = layout_ticket(ticket(), replace(PrinterConfig().ticket_settings, columns=48))
    TicketWriter(printer).write(blocks)
    wrapped = [e for e in decode(printer.output, paper_dots=512) if isinstance(e, TextLine)]
    assert [e.text for e in wrapped if e.wrapped][:2] == ["-" * 42, "-" * 6]


@pytest.mark.parametrize(("profile", "dots", "columns"), MODELS)
def test_the_qr_is_centred_on_the_paper_and_reads_back(
    profile: str, dots: int, columns: int
) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR in the picture")
    job = job_for(profile)
    printed = decode(job, paper_dots=dots)
    native = [e for e in printed if isinstance(e, QrCode)]
    if profile in ("ZJ-5870", "POS-5890"):  # no GS ( k on these: the QR is a bitmap
        assert not native
        (raster,) = [e for e in printed if isinstance(e, Raster)]
        assert raster.width == dots
    else:
        assert [(q.data, q.align) for q in native] == [(URL, "center")]
    picture = render_bytes(job, paper_dots=dots).convert("L")
    (found,) = zxingcpp.read_barcodes(picture)
    assert found.text == URL
    margin = (picture.width - dots) // 2
    left = found.position.top_left.x - margin
    right = found.position.top_right.x - margin
    assert abs((left + right) / 2 - dots / 2) <= 12  # centred, within a module or two
    top, bottom = found.position.top_left.y, found.position.bottom_left.y
    ink_left, ink_right = ink_columns(picture, top, bottom)
    assert margin <= ink_left and ink_right <= margin + dots  # inside the printable width


@pytest.mark.parametrize(("profile", "dots", "columns"), MODELS)
def test_text_drawn_as_pictures_fits_each_paper(profile: str, dots: int, columns: int) -> None:
    printed = decode(job_for(profile, text_mode="image"), paper_dots=dots)
    rasters = [e for e in printed if isinstance(e, Raster)]
    assert len(rasters) >= 10 and all(r.width == dots for r in rasters)
    number = max(rasters, key=lambda r: r.height)
    box = number.image().point(lambda v: 255 - v).getbbox()
    assert box is not None and abs((box[0] + box[2]) / 2 - dots / 2) <= 8  # centred


def test_a_printer_with_a_cutter_feeds_to_it_and_one_without_feeds_to_the_tear_bar() -> None:
    with_cutter = job_for("TM-T20II")
    assert with_cutter.endswith(b"\x1dVB\x00")  # GS V 66 0, not GS V 0 after 6 blank lines
    assert isinstance(decode(with_cutter)[-1], PaperCut)
    without = decode(job_for("ZJ-5870"), paper_dots=384)
    assert not [e for e in without if isinstance(e, PaperCut)]
    assert without[-1] == FeedLines(1) and b"\x1dV" not in job_for("ZJ-5870")
