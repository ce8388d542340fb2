"""The ticket as the customer holds it: what it says and in what order. Pure.

``TicketPrint`` is what gets printed (``from_engine`` builds it from the engine's ticket and
``GET /branch``); ``layout_ticket`` turns it into blocks (lines with a size, the QR code, a
cut) that ``escpos_writer`` sends to a printer. Time is the ticket's own issue time.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urljoin

WEEKDAYS = "一二三四五六日"
COLUMNS = 48  # font A on 80 mm paper at 203 dpi: 48 half-width columns, 24 Chinese characters


def columns_of(text: str) -> int:
    """Half-width columns ``text`` takes in font A: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


@dataclass(frozen=True)
class Line:
    text: str
    width: int = 1  # character width multiplier, 1–8
    height: int = 1
    bold: bool = False
    align: Literal["left", "center", "right"] = "center"


@dataclass(frozen=True)
class QrBlock:
    data: str
    module: int = 6  # dots per QR module


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    pass


Block = Line | QrBlock | Feed | Cut


@dataclass(frozen=True)
class TicketPrint:
    number: str
    service_name: str
    issued_at: datetime
    public_url: str
    branch_name: str
    bank_name: str = ""
    branch_name_en: str | None = None
    bank_name_en: str | None = None
    service_name_en: str | None = None
    tier_name: str | None = None  # set only for tiers above the normal one
    tier_name_en: str | None = None
    green_channel: bool = False
    ahead: int = 0
    estimated_wait_s: int | None = None
    #: The wait as a range in seconds (whole minutes), when the engine gives one.
    estimated_wait_range_s: tuple[int, int] | None = None

    @classmethod
    def from_engine(
        cls, ticket: Mapping[str, Any], branch: Mapping[str, Any], engine_url: str
    ) -> TicketPrint:
        """From a ticket (``POST /tickets``: it carries its names, ``is_vip`` and the public
        URL) and the branch (``GET /branch``: the branch's and bank's names). A public URL
        given as a path is the engine's own, so it is joined to the engine's address."""
        info = branch.get("branch", {})
        vip = bool(ticket["is_vip"])
        return cls(
            number=str(ticket["number"]),
            service_name=str(ticket["service_name"]),
            service_name_en=ticket["service_name_en"] or None,
            issued_at=datetime.fromisoformat(str(ticket["issued_at"])),
            public_url=urljoin(engine_url.rstrip("/") + "/", str(ticket["public_url"])),
            branch_name=str(info.get("name", "")),
            bank_name=str(info.get("bank", "")),
            branch_name_en=info.get("name_en"),
            bank_name_en=info.get("bank_en"),
            tier_name=ticket["tier_name"] if vip else None,
            tier_name_en=ticket["tier_name_en"] if vip else None,
            green_channel=bool(ticket["green_channel"]),
            ahead=int(ticket["ahead"] or 0),
            estimated_wait_s=ticket["estimated_wait_s"],
            estimated_wait_range_s=wait_range_of(ticket),
        )


@dataclass(frozen=True)
class TicketSettings:
    english: bool = True
    footer: str = "请留意叫号，过号请咨询大堂经理"
    footer_en: str | None = None
    qr_caption: str = "扫码查看排队进度"
    qr_caption_en: str = "Scan to follow your place"
    columns: int = COLUMNS  # the printer's font A columns: 48, 42 (180-dpi Epsons), 32 (58 mm)


def ahead_text(ahead: int) -> tuple[str, str]:
    """'您前面还有 N 人等候' and its English."""
    if ahead <= 0:
        return "您前面没有人等候", "Nobody is ahead of you"
    people = "person" if ahead == 1 else "people"
    return f"您前面还有 {ahead} 人等候", f"{ahead} {people} ahead of you"


def wait_range_of(raw: Mapping[str, Any]) -> tuple[int, int] | None:
    """A ticket's or service's ``estimated_wait_range_s`` (absent from older engines)."""
    found = raw.get("estimated_wait_range_s")
    if not isinstance(found, list | tuple) or len(found) != 2:
        return None
    low, high = found
    return (int(low), int(high)) if high >= low >= 0 else None


def wait_text(
    estimated_wait_s: int | None, wait_range: tuple[int, int] | None = None
) -> tuple[str, str] | None:
    """The wait as its range in whole minutes ("预计等候约 8–12 分钟") when the engine gives
    one, else the estimate rounded up; None when the engine has no estimate."""
    if wait_range is not None:
        return range_text(*wait_range)
    if estimated_wait_s is None:
        return None
    if estimated_wait_s < 60:
        return "预计等候不到 1 分钟", "Estimated wait: under 1 min"
    minutes = math.ceil(estimated_wait_s / 60)
    if minutes < 60:
        return f"预计等候约 {minutes} 分钟", f"Estimated wait: about {minutes} min"
    hours, rest = divmod(minutes, 60)
    zh = f"预计等候约 {hours} 小时" + (f" {rest} 分钟" if rest else "")
    return zh, f"Estimated wait: about {hours} h {rest:02d} min"


def range_text(low_s: int, high_s: int) -> tuple[str, str]:
    """'预计等候约 8–12 分钟', or '… 3 分钟以内' from zero, and its English."""
    low, high = low_s // 60, max(1, -(-high_s // 60))
    if high <= 1:
        return "预计等候不到 1 分钟", "Estimated wait: under 1 min"
    if low <= 0:
        return f"预计等候 {high} 分钟以内", f"Estimated wait: up to {high} min"
    return f"预计等候约 {low}–{high} 分钟", f"Estimated wait: {low}–{high} min"


def issued_text(at: datetime) -> str:
    return f"{at:%Y-%m-%d} 星期{WEEKDAYS[at.weekday()]} {at:%H:%M:%S}"


def layout_ticket(ticket: TicketPrint, settings: TicketSettings = TicketSettings()) -> list[Block]:
    """The ticket, top to bottom."""
    english, columns = settings.english, settings.columns

    def large(text: str, size: int) -> int:
        """``size`` times as wide if it fits the paper, else normal width."""
        return size if columns_of(text) * size <= columns else 1

    title = " ".join(p for p in (ticket.bank_name, ticket.branch_name) if p)
    blocks: list[Block] = [Line(title, large(title, 2), 2, bold=True)]
    title_en = " · ".join(p for p in (ticket.bank_name_en, ticket.branch_name_en) if p)
    if english and title_en:
        blocks.append(Line(title_en))
    service = ticket.service_name
    blocks += [Line("-" * columns), Line(service, large(service, 2), 2, bold=True)]
    if english and ticket.service_name_en:
        blocks.append(Line(ticket.service_name_en))
    size = large(ticket.number, 4)
    blocks += [Feed(), Line(ticket.number, size, max(size, 2), bold=True), Feed()]
    if ticket.green_channel:
        blocks.append(Line("绿色通道" + (" Green channel" if english else ""), bold=True))
    if ticket.tier_name:
        en = f" {ticket.tier_name_en}" if english and ticket.tier_name_en else ""
        blocks.append(Line(f"★ {ticket.tier_name}{en}", bold=True))
    zh, en = ahead_text(ticket.ahead)
    blocks.append(Line(zh, 1, 2, bold=True))
    if english:
        blocks.append(Line(en))
    wait = wait_text(ticket.estimated_wait_s, ticket.estimated_wait_range_s)
    if wait is not None:
        blocks.append(Line(wait[0]))
        if english:
            blocks.append(Line(wait[1]))
    blocks += [Line(issued_text(ticket.issued_at)), Feed(), QrBlock(ticket.public_url)]
    blocks.append(Line(settings.qr_caption))
    if english:
        blocks.append(Line(settings.qr_caption_en))
    blocks += [Line("-" * columns), Line(settings.footer)]
    if english and settings.footer_en:
        blocks.append(Line(settings.footer_en))
    blocks.append(Cut())
    return blocks
