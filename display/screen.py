"""From ``HallState`` to what the screen shows this instant: the ``ScreenModel``.

Pure: the time and the link state are passed in. The drawing code only places what this
model says; every decision (what flashes, which calls are VIP, what the marquee reads,
which counters are out of service) is made here, where a test can read it without pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from display.settings import BranchSettings
from display.state import Call, HallState

WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
#: Flash period: half a second on, half a second off.
FLASH_HALF_PERIOD_S = 0.5
#: With ``get_ready_large`` each service lists at most this many "please get ready" numbers.
LARGE_READY = 3


class CallKind(StrEnum):
    NORMAL = "normal"
    VIP = "vip"
    GREEN = "green"


@dataclass(frozen=True, slots=True)
class CallLine:
    number: str
    counter: str
    counter_en: str
    kind: CallKind
    recall: bool


@dataclass(frozen=True, slots=True)
class ServiceLine:
    name: str
    name_en: str
    waiting: int
    next: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CounterLine:
    number: int
    name: str
    name_en: str
    state: str  # "paused" | "closed"
    reason: str


@dataclass(frozen=True, slots=True)
class ScreenModel:
    title: str
    title_en: str
    date: str
    date_en: str
    clock: str
    current: CallLine | None
    #: None when the current call is not flashing; else which half of the flash is showing.
    flash_on: bool | None
    recent: tuple[CallLine, ...]
    services: tuple[ServiceLine, ...]
    out_of_service: tuple[CounterLine, ...]
    marquee: str
    offline: bool
    english: bool
    #: A kiosk's customer asked for the lobby manager: the band the marquee runs in says where.
    help: str = ""
    help_en: str = ""
    #: The "please get ready" numbers drawn large (``[display] get_ready_large``).
    large_ready: bool = False
    #: Whether the counters' states are known now (online, with the engine's counters): while
    #: not, the screen says so instead of "all counters open".
    counters_known: bool = True


def zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=8))  # China Standard Time: the branches' own zone


def kind_of(call: Call, settings: BranchSettings) -> CallKind:
    """Green channel first (the care a customer needs), then VIP, else normal."""
    if call.green_channel:
        return CallKind.GREEN
    if call.is_vip or call.service in settings.display.vip_services:
        return CallKind.VIP
    return CallKind.NORMAL


def call_line(call: Call, settings: BranchSettings) -> CallLine:
    return CallLine(call.number, call.counter_name, call.counter_name_en,
                    kind_of(call, settings), call.recall)  # fmt: skip


def flash_phase(
    call: Call | None, now: float, flash_s: float, announced: bool = False
) -> bool | None:
    """Which half of the flash shows, or None: a new call flashes for ``flash_s`` and, for
    those who cannot hear it, for as long as it is being announced."""
    if call is None or not call.live:
        return None
    elapsed = now - call.seen_at
    if elapsed < 0 or (elapsed >= flash_s and not announced):
        return None
    return int(elapsed / FLASH_HALF_PERIOD_S) % 2 == 0


def marquee_text(state: HallState, now: float) -> str:
    texts = [a.text for a in state.announcements if a.until is None or a.until > now]
    return "　　◆　　".join(texts)


def screen(
    state: HallState,
    settings: BranchSettings,
    now: float,
    online: bool,
    announcing: str | None = None,
) -> ScreenModel:
    """What the screen shows at ``now`` (epoch seconds) with the event link ``online`` or not.

    ``announcing`` is the ticket whose call is being spoken: the big panel shows that call,
    flashing, so what the hall sees is what it hears; the newest call stays in the list.
    """
    shown = settings.display
    local = datetime.fromtimestamp(now, zone(settings.timezone))
    spoken = [c for c in state.calls if c.ticket_id == announcing]
    calls = (*spoken, *(c for c in state.calls if c.ticket_id != announcing))
    current = calls[0] if calls else None
    recent = calls[1 : 1 + shown.recent_calls]
    ready = min(shown.get_ready, LARGE_READY) if shown.get_ready_large else shown.get_ready
    services = tuple(
        ServiceLine(s.name, s.name_en, s.waiting, s.next[:ready]) for s in state.services
    )
    out = tuple(
        CounterLine(c.number, c.name, c.name_en, c.state, c.reason)
        for c in state.counters
        if c.state in ("paused", "closed")
    )
    return ScreenModel(
        title=state.branch_name or settings.name,
        title_en=state.branch_name_en or settings.name_en,
        date=f"{local.year}年{local.month}月{local.day}日 星期{WEEKDAYS_ZH[local.weekday()]}",
        date_en=f"{WEEKDAYS_EN[local.weekday()]} {local.day} {MONTHS_EN[local.month - 1]}",
        clock=local.strftime("%H:%M:%S"),
        current=call_line(current, settings) if current else None,
        flash_on=flash_phase(current, now, shown.flash_s, bool(spoken)),
        recent=tuple(call_line(c, settings) for c in recent),
        services=services,
        out_of_service=out,
        marquee=marquee_text(state, now),
        offline=not online,
        english=shown.english,
        help=help_text(state),
        help_en=help_text(state, en=True),
        large_ready=shown.get_ready_large,
        counters_known=online and bool(state.counters),
    )


def help_text(state: HallState, en: bool = False) -> str:
    """The cue for the lobby manager: which kiosks' customers wait for help (no person named)."""
    kiosks = list(dict.fromkeys(device for _, device in state.help if device))
    if not state.help:
        return ""
    if en:
        return f"Lobby manager, please come to {', '.join(kiosks) or 'the kiosk'}"
    return f"请大堂经理到 {'、'.join(kiosks) or '取号机'} 协助客户"
