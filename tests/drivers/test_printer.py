"""Tickets as printed: the bytes read back by the decoder, the QR decoded from the picture."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from escpos.printer import Dummy

from drivers.printer import (
    CoverOpen,
    PaperOut,
    PrinterConfig,
    PrinterOffline,
    TicketPrint,
    TicketPrinter,
)
from drivers.printer.decode import PaperCut, QrCode, Raster, TextLine, decode
from drivers.printer.paper import render_bytes, render_elements
from drivers.printer.simulator import PrinterSimulator, PrinterState
from drivers.printer.status import parse_status
from drivers.printer.textimage import find_font
from drivers.printer.ticket import wait_range_of
from tests.support import wire as made

URL = "https://q.branch.bank/t/7f3a9c"


def ticket(**changes: Any) -> TicketPrint:
    base: dict[str, Any] = dict(
        number="A012",
        service_name="个人现金业务",
        service_name_en="Personal cash",
        issued_at=datetime.fromisoformat("2026-11-28T10:32:05+08:00"),
        public_url=URL,
        branch_name="城东支行",
        bank_name="示范银行",
        branch_name_en="Chengdong Sub-branch",
        bank_name_en="Demo Bank",
        ahead=3,
        estimated_wait_s=470,
    )
    return TicketPrint(**{**base, **changes})


def lines(data: bytes) -> list[TextLine]:
    return [e for e in decode(data) if isinstance(e, TextLine)]


def texts(data: bytes) -> list[str]:
    return [line.text for line in lines(data)]


def qr_in_picture(data: bytes) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp decodes the QR in the picture")
    return [r.text for r in zxingcpp.read_barcodes(render_bytes(data).convert("L"))]


def test_chinese_text_is_sent_in_chinese_mode_and_reads_back_the_same() -> None:
    job = TicketPrinter(PrinterConfig()).render(ticket())
    printed = {line.text: line for line in lines(job)}
    for text in ("示范银行 城东支行", "个人现金业务", "您前面还有 3 人等候", "预计等候约 8 分钟"):
        assert printed[text].chinese_mode
    assert "2026-11-28 星期六 10:32:05" in printed
    assert "请留意叫号，过号请咨询大堂经理" in printed
    assert b"\x1c&" + "个人现金业务".encode("gb18030") + b"\x1c." in job


def test_python_escpos_alone_sends_chinese_without_chinese_mode() -> None:
    """Why the writer selects FS & itself: without it a printer reads the bytes as a code page."""
    plain = Dummy()
    plain.text("请A001号\n")
    assert b"\x1c&" not in plain.output
    assert texts(plain.output) != ["请A001号"]


def test_the_number_is_printed_large_and_the_english_lines_are_there() -> None:
    job = TicketPrinter(PrinterConfig()).render(ticket())
    number = next(line for line in lines(job) if line.text == "A012")
    assert (number.width, number.height, number.bold) == (4, 4, True)
    assert {"Personal cash", "3 people ahead of you", "Estimated wait: about 8 min"} <= set(
        texts(job)
    )
    without = TicketPrinter(PrinterConfig(english=False)).render(ticket())
    assert "Personal cash" not in texts(without)


def test_tier_and_green_channel_are_marked() -> None:
    job = TicketPrinter(PrinterConfig()).render(
        ticket(tier_name="金卡客户", tier_name_en="Gold", green_channel=True)
    )
    assert {"★ 金卡客户 Gold", "绿色通道 Green channel"} <= set(texts(job))
    assert not {"★", "绿色通道"} & set(
        " ".join(texts(TicketPrinter(PrinterConfig()).render(ticket()))).split()
    )


def test_the_native_qr_holds_the_public_url_and_the_ticket_ends_with_a_cut() -> None:
    job = TicketPrinter(PrinterConfig()).render(ticket())
    elements = decode(job)
    assert [e.data for e in elements if isinstance(e, QrCode)] == [URL]
    assert isinstance(elements[-1], PaperCut) and elements[-1].partial  # GS V 66: fed to the cutter
    assert job.endswith(b"\x1dVB\x00")
    assert qr_in_picture(job) == [URL]


def test_the_image_qr_fallback_decodes_to_the_public_url() -> None:
    job = TicketPrinter(PrinterConfig(qr="image")).render(ticket())
    assert not [e for e in decode(job) if isinstance(e, QrCode)]
    assert any(isinstance(e, Raster) for e in decode(job))
    assert qr_in_picture(job) == [URL]


def test_text_as_image_mode_sends_no_chinese_bytes_at_all() -> None:
    job = TicketPrinter(PrinterConfig(text_mode="image")).render(ticket())
    assert b"\x1c&" not in job and "个人".encode("gbk") not in job
    rasters = [e for e in decode(job) if isinstance(e, Raster)]
    assert len(rasters) >= 10 and all(r.width == 576 for r in rasters)
    assert max(r.height for r in rasters) == 4 * 24  # the number, four times as tall


def test_a_character_outside_gbk_draws_only_that_line_as_an_image() -> None:
    rare = ticket(branch_name="𠮷祥支行")  # 𠮷 is in GB18030 (4 bytes), not in GBK
    job = TicketPrinter(PrinterConfig()).render(rare)
    assert not any("祥支行" in t for t in texts(job))
    assert "个人现金业务" in texts(job)
    assert len([e for e in decode(job) if isinstance(e, Raster)]) == 1
    full = TicketPrinter(PrinterConfig(charset="gb18030")).render(rare)
    assert "示范银行 𠮷祥支行" in texts(full)


def test_wait_wording_for_no_estimate_short_and_long_waits() -> None:
    render = TicketPrinter(PrinterConfig(english=False)).render
    assert not any(t.startswith("预计") for t in texts(render(ticket(estimated_wait_s=None))))
    assert "预计等候不到 1 分钟" in texts(render(ticket(estimated_wait_s=20)))
    assert "预计等候约 1 小时 15 分钟" in texts(render(ticket(estimated_wait_s=4500)))
    assert "您前面没有人等候" in texts(render(ticket(ahead=0)))


def test_the_rendered_ticket_shows_print_where_the_number_is() -> None:
    picture = render_elements(decode(TicketPrinter(PrinterConfig()).render(ticket())), find_font())
    assert picture.width == 576 + 48
    dark = sum(1 for v in picture.crop((24, 0, 600, picture.height)).getdata() if v < 128)
    assert dark > 5000


def test_ticket_from_the_engines_json() -> None:
    branch = {
        "branch": {
            "name": "城东支行",
            "bank": "示范银行",
            "name_en": "Chengdong",
            "bank_en": "Demo",
        },
    }
    raw = made.ticket("A001", tier="gold", ahead=0, wait_s=0)
    assert raw["public_url"] == f"/t/{raw['id']}"  # no [branch] public_url: a path
    made_ticket = TicketPrint.from_engine(raw, branch, "http://127.0.0.1:9000")
    assert made_ticket.public_url == f"http://127.0.0.1:9000/t/{raw['id']}"
    public = {**raw, "public_url": "https://q.branch.bank/t/x1"}  # [branch] public_url set
    assert TicketPrint.from_engine(public, branch, "http://127.0.0.1:9000").public_url == (
        "https://q.branch.bank/t/x1"
    )
    assert (made_ticket.tier_name, made_ticket.service_name_en) == ("金卡客户", "Personal cash")
    normal = TicketPrint.from_engine(made.ticket("A002"), branch, "http://h")
    assert normal.tier_name is None
    # A branch with a public address puts it on the ticket: the printer takes it as it is.
    away = TicketPrint.from_engine({**raw, "public_url": "https://q.example/t"}, branch, "http://h")
    assert away.public_url == "https://q.example/t"


# Status over a real TCP connection to the simulated network printer


@pytest.fixture
def sim() -> Iterator[PrinterSimulator]:
    printer = PrinterSimulator().start()
    yield printer
    printer.stop()


def network(sim: PrinterSimulator, reports: list[tuple[str, dict[str, Any]]]) -> TicketPrinter:
    config = PrinterConfig(transport="network", host="127.0.0.1", port=sim.port, timeout=0.5)
    return TicketPrinter(config, on_health=lambda s, d: reports.append((s, d)))


def test_a_network_printer_prints_the_ticket_after_asking_its_status(sim: PrinterSimulator) -> None:
    reports: list[tuple[str, dict[str, Any]]] = []
    status = network(sim, reports).print_ticket(ticket())
    assert status.readable and status.paper == "ok" and status.online
    assert "A012" in texts(sim.job_bytes())
    assert reports == [("ok", {"printer": status.detail()})]


def test_paper_near_end_prints_and_warns(sim: PrinterSimulator) -> None:
    sim.state.paper = "near_end"
    reports: list[tuple[str, dict[str, Any]]] = []
    network(sim, reports).print_ticket(ticket())
    assert "A012" in texts(sim.job_bytes())
    assert reports[-1][0] == "warning" and reports[-1][1]["printer"]["paper"] == "near_end"


@pytest.mark.parametrize(
    ("state", "error"),
    [
        (PrinterState(paper="out"), PaperOut),
        (PrinterState(cover_open=True), CoverOpen),
        (PrinterState(offline=True), PrinterOffline),
        (PrinterState(silent=True), PrinterOffline),
    ],
)
def test_a_printer_that_cannot_print_raises_a_typed_error_and_prints_nothing(
    sim: PrinterSimulator, state: PrinterState, error: type[Exception]
) -> None:
    sim.state = state
    reports: list[tuple[str, dict[str, Any]]] = []
    with pytest.raises(error) as caught:
        network(sim, reports).print_ticket(ticket())
    assert caught.value.message_zh  # type: ignore[attr-defined]
    assert texts(sim.job_bytes()) == []
    assert reports[-1][0] == "error"


def test_no_printer_listening_is_offline() -> None:
    sim = PrinterSimulator()
    port = sim.port
    sim.stop()
    config = PrinterConfig(transport="network", host="127.0.0.1", port=port, timeout=0.5)
    with pytest.raises(PrinterOffline):
        TicketPrinter(config).status()


def test_a_file_or_dummy_printer_cannot_be_asked_and_says_so(tmp_path: Any) -> None:
    out = tmp_path / "lp0"
    out.touch()
    printer = TicketPrinter(PrinterConfig(transport="file", device=str(out)))
    status = printer.print_ticket(ticket())
    assert not status.readable and status.health == "unknown"  # the lobby sees "unknown"
    assert "A012" in texts(out.read_bytes())


def test_status_bytes_are_read_as_the_escpos_manual_says() -> None:
    assert parse_status({1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}).paper == "ok"
    assert parse_status({1: 0x1E, 2: 0x16, 4: 0x12}).cover_open is True
    assert parse_status({1: 0x12, 4: 0x1E}).paper == "near_end"
    assert parse_status({1: 0x1A, 2: 0x32, 4: 0x72}).paper == "out"
    assert parse_status({1: 0x12, 3: 0x1A}).error == "cutter"


def test_the_wait_is_printed_as_its_range_when_the_engine_gives_one() -> None:
    render = TicketPrinter(PrinterConfig()).render
    printed = texts(render(ticket(estimated_wait_s=600, estimated_wait_range_s=(480, 720))))
    assert "预计等候约 8–12 分钟" in printed and "Estimated wait: 8–12 min" in printed
    assert "预计等候 3 分钟以内" in texts(render(ticket(estimated_wait_range_s=(0, 180))))
    assert "预计等候不到 1 分钟" in texts(render(ticket(estimated_wait_range_s=(0, 60))))
    engine_ticket = {"estimated_wait_s": 600, "estimated_wait_range_s": [480, 720]}
    assert wait_range_of(engine_ticket) == (480, 720)
    assert wait_range_of({"estimated_wait_s": 600}) is None  # an older engine
    assert wait_range_of({"estimated_wait_range_s": [720, 480]}) is None
