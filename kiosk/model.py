"""The kiosk as data: its screens, its state, the messages it takes and the effects it asks
for. ``kiosk.state`` (the customers' screens), ``kiosk.operator`` (the operator's) and
``kiosk.care`` (care mode) all step this data; none imports another's rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from queue_core.domain.care import PENSION_DAYS, CareDefault, care_by_default
from queue_core.wire import News

Lang = Literal["zh", "en"]
Json = Mapping[str, Any]
NoticeKind = Literal[
    "offline",
    "busy",
    "closed",
    "token",
    "refused",
    "bad_card",
    "no_pin",
    "locked",
    "help_sent",
    "help_failed",
    # a check-in code typed or scanned (``CheckInCode``) that names nothing to check in:
    "code_unknown",  # mistyped, or not this branch's
    "code_used",  # checked in already: the number is in the queue
    "code_expired",  # a phone's ticket not checked in within its validity
    "code_cancelled",  # given back, withdrawn, or the appointment cancelled
    "code_early",  # before the appointment's window
    "code_missed",  # after it
]
# unprinted: the kiosk has no printer, the number on screen is the ticket (it waits as usual)
PrintState = Literal["printing", "printed", "failed", "unprinted"]


@dataclass(frozen=True, slots=True)
class Timing:
    """How long things last on screen, in seconds (``[kiosk]`` of the branch can change them)."""

    idle_reset_s: float = 30.0  # back to the default language and the attract screen
    ticket_s: float = 10.0  # the issued number stays this long when it printed
    ticket_failed_s: float = 45.0  # … and this long when it did not
    notice_s: float = 6.0
    debounce_s: float = 0.5  # taps this soon after a screen change are the first tap's bounce
    card_hold_s: float = 60.0  # a swiped card waits this long for a service choice
    card_key_gap_s: float = 1.0  # a reader types fast; a longer gap starts a new number
    unsettled_s: float = 120.0  # an unanswered press's key is reused this long
    care_idle_reset_s: float = 60.0  # care mode gives slower readers (and the voice) longer
    care_ticket_s: float = 25.0  # … and keeps the number up while it is read out
    pin_attempts: int = 5
    pin_lock_s: float = 300.0


@dataclass(frozen=True, slots=True)
class Service:
    """A business type on its button: names, queue length, estimate, open or not."""

    code: str
    name: str
    name_en: str = ""
    waiting: int = 0
    estimated_wait_s: int | None = None
    estimated_wait_range_s: tuple[int, int] | None = None
    open: bool = True


@dataclass(frozen=True, slots=True)
class LocalSettings:
    """What the operator may change at this kiosk (saved on the kiosk, not in the engine)."""

    engine: str = ""
    printer: Mapping[str, Any] = field(default_factory=dict)  # overrides of [printer]
    language: Lang = "zh"


@dataclass(frozen=True, slots=True)
class CarePolicy:
    """The branch's ``[care]`` section as the kiosk uses it."""

    default: CareDefault = CareDefault.PENSION_DAYS
    pension_days: tuple[int, ...] = PENSION_DAYS
    services: tuple[str, ...] = ()  # empty: the first open services
    timezone: str = "Asia/Shanghai"

    def on_by_default(self, now: float) -> bool:
        """Whether the first screen is in care mode at ``now`` (the branch's local day)."""
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("Asia/Shanghai")
        day = datetime.fromtimestamp(now, zone).date()
        return care_by_default(day, self.default, self.pension_days)

    @classmethod
    def from_branch(cls, branch: Any) -> CarePolicy:
        """From ``GET /branch``: its ``care`` section and the branch's time zone."""
        care = branch.get("care") or {}
        info = branch.get("branch") or {}
        try:
            default = CareDefault(str(care.get("kiosk_default", CareDefault.PENSION_DAYS)))
        except ValueError:
            default = CareDefault.PENSION_DAYS
        days = care.get("pension_days", PENSION_DAYS)
        return cls(
            default=default,
            pension_days=tuple(int(d) for d in days if isinstance(d, int)),
            services=tuple(str(c) for c in care.get("kiosk_services") or ()),
            timezone=str(info.get("timezone") or "Asia/Shanghai"),
        )


@dataclass(frozen=True, slots=True)
class Speak:
    """Effect: say ``text`` now, cutting off whatever is being said; "" only silences."""

    text: str
    lang: Lang


# Screens
@dataclass(frozen=True, slots=True)
class Attract:
    """Idle: a touch anywhere wakes the kiosk (and never issues a ticket)."""


@dataclass(frozen=True, slots=True)
class Choose:
    """The services' buttons."""


@dataclass(frozen=True, slots=True)
class Issuing:
    service: str
    key: str


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """The keypad for the check-in code of a ticket taken on a phone or an appointment."""

    digits: str = ""


@dataclass(frozen=True, slots=True)
class CheckingIn:
    """A code sent to the engine; taps wait for the answer, as while issuing."""

    code: str = field(repr=False)
    key: str


@dataclass(frozen=True, slots=True)
class Showing:
    """The issued number, large, while and after it prints."""

    ticket: Json
    printing: PrintState
    until: float
    printer_message: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    until: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PinEntry:
    digits: str = ""
    wrong: int = 0
    checking: bool = False


@dataclass(frozen=True, slots=True)
class Settings:
    draft: LocalSettings
    field: str | None = None  # the text field that takes typed keys


Screen = (
    Attract | Choose | Issuing | CodeEntry | CheckingIn | Showing | Notice | PinEntry | Settings
)


@dataclass(frozen=True, slots=True)
class Unsettled:
    """A press the engine never answered: its key is reused for the same choice (a service,
    or ``check-in:CODE`` for a code)."""

    service: str
    card: str | None = field(repr=False)
    key: str
    at: float


@dataclass(frozen=True, slots=True)
class KioskState:
    session: str  # random per kiosk start: makes presses' Idempotency-Keys unique
    name: str = ""  # this kiosk's device name (``GET /auth/me``): reprints asked of it
    timing: Timing = Timing()
    screen: Screen = Attract()
    screen_since: float = 0.0
    lang: Lang = "zh"
    languages: tuple[Lang, ...] = ("zh", "en")
    local: LocalSettings = LocalSettings()
    branch_name: str = ""
    branch_name_en: str = ""
    services: tuple[Service, ...] = ()
    connected: bool = False
    card: str | None = field(default=None, repr=False)  # never shown, never logged
    card_at: float = 0.0
    typed: str = field(default="", repr=False)
    typed_at: float = 0.0
    last_touch: float = 0.0
    presses: int = 0
    unsettled: Unsettled | None = None
    printer_fault: str = ""  # the last print's failure, until a ticket prints again
    pin_set: bool = False
    pin_locked_until: float = 0.0
    care: bool = False  # care mode: large type, high contrast, fewer choices, spoken guidance
    priority: bool = False  # care mode's "需要优先照顾": this customer asks for the green channel
    care_policy: CarePolicy = field(default_factory=CarePolicy)
    #: Why the engine will not take tickets from this kiosk's token: "" (it will), "invalid"
    #: (unknown token) or the role the token has instead of kiosk ("display"…).
    token_problem: str = ""
    #: Whether customers bring a code to check in with (the branch takes tickets from
    #: phones, or appointments): the services screen then offers the code's keypad.
    check_in: bool = False

    def service(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)


# Messages
@dataclass(frozen=True, slots=True)
class Tap:
    target: str  # "service:A", "lang", "done", "wake", "card:cancel", "pin:7", "set:save"…
    now: float


@dataclass(frozen=True, slots=True)
class Key:
    key: str  # one printable character, or "enter", "backspace", "escape", "operator"
    now: float


@dataclass(frozen=True, slots=True)
class EngineEvent:
    news: News
    now: float


@dataclass(frozen=True, slots=True)
class BranchLoaded:
    branch: Json
    now: float
    kiosk: str = ""  # the kiosk's own device name


@dataclass(frozen=True, slots=True)
class ServicesLoaded:
    services: Sequence[Json]
    now: float


@dataclass(frozen=True, slots=True)
class Link:
    connected: bool
    now: float


@dataclass(frozen=True, slots=True)
class TokenChecked:
    """What the engine said of this kiosk's token: ``problem`` as ``KioskState.token_problem``."""

    problem: str
    now: float


@dataclass(frozen=True, slots=True)
class Issued:
    key: str
    ticket: Json
    now: float


@dataclass(frozen=True, slots=True)
class IssueFailed:
    key: str
    status: int  # 0: the engine could not be reached
    code: str
    now: float


@dataclass(frozen=True, slots=True)
class Printed:
    ticket_id: str  # empty: the printer answered again after a fault (no ticket)
    now: float
    reprint: bool = False


@dataclass(frozen=True, slots=True)
class PrintFailed:
    ticket_id: str
    code: str
    message_zh: str
    now: float
    reprint: bool = False
    #: The engine holds the ticket for a reprint; False where the kiosk has no printer at all
    #: (the customer is told to remember the number, and it waits in line as usual).
    hold: bool = True


@dataclass(frozen=True, slots=True)
class PinChecked:
    ok: bool
    now: float


@dataclass(frozen=True, slots=True)
class HelpAsked:
    """The engine's answer to ``AskForHelp``: passed on to the lobby manager, or not."""

    ok: bool
    now: float


@dataclass(frozen=True, slots=True)
class Tick:
    now: float


Message = (
    Tap | Key | EngineEvent | BranchLoaded | ServicesLoaded | Link | TokenChecked | Issued
    | IssueFailed | Printed | PrintFailed | PinChecked | HelpAsked | Tick
)  # fmt: skip


# Effects
@dataclass(frozen=True, slots=True)
class IssueTicket:
    service: str
    card: str | None = field(repr=False)
    key: str
    care: bool = False  # the customer asked for the green channel (care mode)


@dataclass(frozen=True, slots=True)
class CheckInCode:
    """Effect: check in the ticket or appointment of ``code``; answered as an issue is
    (``Issued`` or ``IssueFailed`` with ``key``)."""

    code: str = field(repr=False)
    key: str


@dataclass(frozen=True, slots=True)
class PrintTicket:
    ticket: Json
    reprint: bool = False  # the lobby manager asked for it again (``ticket.reprint``)


@dataclass(frozen=True, slots=True)
class ReportPrint:
    """Tell the engine how a print ended: ``failed`` is the printer's error code (the ticket
    is then held), None that it printed (only a reprint is reported: it releases the ticket)."""

    ticket_id: str
    failed: str | None


@dataclass(frozen=True, slots=True)
class RefreshServices:
    pass


@dataclass(frozen=True, slots=True)
class AskForHelp:
    """Effect: tell the lobby console and the hall display this kiosk's customer needs help."""


@dataclass(frozen=True, slots=True)
class CheckPin:
    pin: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class SaveSettings:
    settings: LocalSettings


Effect = (
    IssueTicket | CheckInCode | PrintTicket | ReportPrint | RefreshServices | CheckPin
    | SaveSettings | Speak | AskForHelp
)  # fmt: skip
Result = tuple[KioskState, tuple[Effect, ...]]
NONE: tuple[Effect, ...] = ()


def go(state: KioskState, screen: Screen, now: float) -> KioskState:
    # A green-channel request is the customer's at hand: the next one starts without it.
    done = isinstance(screen, Attract) or isinstance(state.screen, Showing)
    priority = state.priority and not done
    return replace(state, screen=screen, screen_since=now, priority=priority)
