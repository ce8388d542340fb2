"""The kiosk's screens as small state objects. Pure: messages in, (state, effects) out.

``step(state, message)`` is the only way the kiosk changes. Messages are what happened (a tap
on a named target, a key from the card reader, an engine event, the answer to an issue, the
printer's result, the clock's tick); effects are what the app must do next (issue a ticket,
print it, reload the services, check a PIN, save settings). Nothing here reads the clock,
draws, or talks to the engine or the printer, so every screen can be tested from plain data.

One press is one ticket: the press turns the screen into ``Issuing``, which ignores taps,
and carries an ``Idempotency-Key`` made from the kiosk's session and its press counter. When
an issue fails because the engine could not be reached, that key is kept for a while: if the
customer presses the same service again, the retry carries the same key, so a ticket the
engine committed before the link broke comes back instead of a second one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from drivers.printer.ticket import wait_range_of
from kiosk import care, operator
from kiosk.model import (
    NONE,
    AskForHelp,
    Attract,
    BranchLoaded,
    CarePolicy,
    CheckInCode,
    CheckingIn,
    Choose,
    CodeEntry,
    Effect,
    EngineEvent,
    HelpAsked,
    Issued,
    IssueFailed,
    IssueTicket,
    Issuing,
    Json,
    Key,
    KioskState,
    Lang,
    Link,
    LocalSettings,
    Message,
    Notice,
    NoticeKind,
    PinChecked,
    PinEntry,
    Printed,
    PrintFailed,
    PrintState,
    PrintTicket,
    RefreshServices,
    ReportPrint,
    Result,
    Service,
    ServicesLoaded,
    Settings,
    Showing,
    Tap,
    Tick,
    Timing,
    TokenChecked,
    Unsettled,
    go,
)
from queue_core import wire
from queue_core.domain import remote
from queue_core.domain.cards import CARD_DIGITS, is_card_number

#: What the kiosk tells the customer for each refusal of a check-in code.
CODE_NOTICES: dict[str, NoticeKind] = {
    "check_in_code_unknown": "code_unknown",
    "invalid_check_in_code": "code_unknown",
    "check_in_code_used": "code_used",
    "check_in_expired": "code_expired",
    "check_in_cancelled": "code_cancelled",
    "cannot_check_in_cancelled": "code_cancelled",
    "too_early": "code_early",
    "appointment_missed": "code_missed",
    "cannot_check_in_no_show": "code_missed",
}


def step(state: KioskState, message: Message) -> Result:
    """The kiosk after ``message``, and what the app must do about it."""
    result = _step(state, message)
    return care.with_guidance(state, result[0], result)


def _step(state: KioskState, message: Message) -> Result:

    match message:
        case Tap():
            if isinstance(state.screen, PinEntry | Settings):
                return operator.tap(state, message)
            return tap(state, message)
        case Key():
            return key(state, message)
        case EngineEvent(news=news):
            return on_event(state, news)
        case BranchLoaded(branch=branch, now=now, kiosk=name):
            return on_branch(replace(state, name=name or state.name), branch, now), NONE
        case ServicesLoaded(services=services):
            return replace(state, services=tuple(_service(s) for s in services)), NONE
        case Link(connected=connected):
            return replace(state, connected=connected), NONE
        case TokenChecked(problem=problem):
            return replace(state, token_problem=problem), NONE
        case Issued():
            return issued(state, message)
        case IssueFailed():
            return issue_failed(state, message), NONE
        case Printed() | PrintFailed():
            return printed(state, message)
        case PinChecked():
            return operator.pin_checked(state, message)
        case HelpAsked(ok=ok, now=now):
            if not isinstance(state.screen, Choose):
                return state, NONE  # the customer moved on; the lobby console has it anyway
            kind: NoticeKind = "help_sent" if ok else "help_failed"
            return go(state, Notice(kind, now + state.timing.care_ticket_s), now), NONE
        case Tick(now=now):
            return tick(state, now), NONE


# Customers' taps
def tap(state: KioskState, message: Tap) -> Result:
    now, target = message.now, message.target
    if now - state.screen_since < state.timing.debounce_s:
        return state, NONE
    state = replace(state, last_touch=now)
    screen = state.screen
    if target == "lang":
        return replace(state, lang=_next_lang(state)), NONE
    if target in ("care:on", "care:off") and isinstance(screen, Attract | Choose):
        return care.switch(state, target == "care:on", now)
    if target == "care:repeat":
        return state, care.repeat(state)
    if target == "care:priority" and state.care and isinstance(screen, Choose):
        return replace(state, priority=not state.priority, last_touch=now), NONE
    if target == "care:help" and state.care and isinstance(screen, Choose):
        return replace(state, last_touch=now), (AskForHelp(),)
    if isinstance(screen, Attract):
        return go(state, Choose(), now), NONE
    if isinstance(screen, Issuing | CheckingIn):
        return state, NONE  # one press is one ticket: taps wait for the answer
    if isinstance(screen, CodeEntry):
        return code_tap(state, screen, target, now)
    if target == "back" and isinstance(screen, Notice) and screen.kind == "code_unknown":
        return go(state, CodeEntry(), now), NONE  # mistyped: type it again
    if target in ("done", "back") and isinstance(screen, Showing | Notice):
        return go(state, Choose(), now), NONE
    if target == "check-in" and isinstance(screen, Choose) and state.check_in:
        return go(state, CodeEntry(), now), NONE
    if target == "card:cancel":
        return replace(state, card=None), NONE
    if target.startswith("service:") and isinstance(screen, Choose):
        code = target.removeprefix("service:")
        if state.care and code not in {s.code for s in care.care_services(state)}:
            return state, NONE  # not one of care mode's buttons
        return press(state, code, now)
    return state, NONE


def press(state: KioskState, code: str, now: float) -> Result:
    """A service's button: issue, or say why not."""
    service = state.service(code)
    if service is None:
        return state, NONE
    if state.token_problem:
        return go(state, Notice("token", now + state.timing.notice_s), now), NONE
    if not state.connected:
        return go(state, Notice("offline", now + state.timing.notice_s), now), NONE
    if not service.open:
        return go(state, Notice("closed", now + state.timing.notice_s, code), now), NONE
    card = state.card
    old = state.unsettled
    if old and old.service == code and old.card == card and now - old.at < state.timing.unsettled_s:
        key = old.key
    else:
        key = f"{state.session}-{state.presses + 1}"
    state = replace(state, presses=state.presses + 1)
    care = state.care and state.priority
    return go(state, Issuing(code, key), now), (IssueTicket(code, card, key, care),)


# The check-in code of a ticket taken on a phone or of an appointment
def code_tap(state: KioskState, screen: CodeEntry, target: str, now: float) -> Result:
    """The code's keypad: digits, delete, OK (once all the digits are in), back."""
    state = replace(state, last_touch=now)
    if target == "back":
        return go(state, Choose(), now), NONE
    key = target.removeprefix("code:")
    if key.isdigit() and len(key) == 1:
        digits = (screen.digits + key)[: remote.CODE_DIGITS]
        return replace(state, screen=CodeEntry(digits)), NONE
    if key == "del":
        return replace(state, screen=CodeEntry(screen.digits[:-1])), NONE
    if key == "ok" and remote.is_check_in_code(screen.digits):
        return check_in(state, screen.digits, now)
    return state, NONE


def check_in(state: KioskState, code: str, now: float) -> Result:
    """Send a code to the engine; the answer is the ticket, printed as a walk-in's."""
    if state.token_problem:
        return go(state, Notice("token", now + state.timing.notice_s), now), NONE
    if not state.connected:
        return go(state, Notice("offline", now + state.timing.notice_s), now), NONE
    old, label = state.unsettled, f"check-in:{code}"
    if old and old.service == label and now - old.at < state.timing.unsettled_s:
        key = old.key
    else:
        key = f"{state.session}-{state.presses + 1}"
    state = replace(state, presses=state.presses + 1, card=None)
    return go(state, CheckingIn(code, key), now), (CheckInCode(code, key),)


def issued(state: KioskState, message: Issued) -> Result:
    screen = state.screen
    if not isinstance(screen, Issuing | CheckingIn) or screen.key != message.key:
        return state, NONE  # an answer to a press the screen no longer waits for
    until = message.now + (state.timing.care_ticket_s if state.care else state.timing.ticket_s)
    state = replace(state, card=None, unsettled=None)
    state = _queue_from_ticket(state, message.ticket)
    return go(state, Showing(message.ticket, "printing", until), message.now), (
        PrintTicket(message.ticket),
    )


def issue_failed(state: KioskState, message: IssueFailed) -> KioskState:
    screen = state.screen
    if not isinstance(screen, Issuing | CheckingIn) or screen.key != message.key:
        return state
    now, until = message.now, message.now + state.timing.notice_s
    if isinstance(screen, CheckingIn):
        if message.status == 0 or message.status >= 500:
            unsettled = Unsettled(f"check-in:{screen.code}", None, message.key, now)
            return go(replace(state, unsettled=unsettled), Notice("offline", until), now)
        if message.status == 429:
            return go(state, Notice("busy", until), now)
        kind = CODE_NOTICES.get(message.code, "refused")
        # Long enough to read twice in large type, and to find the lobby manager.
        return go(state, Notice(kind, now + state.timing.ticket_failed_s), now)
    if message.status == 0 or message.status >= 500:
        # Maybe committed, maybe not: the same choice again reuses the key.
        unsettled = Unsettled(screen.service, state.card, message.key, now)
        return go(replace(state, unsettled=unsettled), Notice("offline", until), now)
    if message.status == 429:
        return go(state, Notice("busy", until), now)
    if message.code == "invalid_card":
        return go(replace(state, card=None), Notice("bad_card", until), now)
    return go(state, Notice("refused", until, message.code), now)


def printed(state: KioskState, message: Printed | PrintFailed) -> Result:
    """A print ended. A failure is reported to the engine (which holds the ticket until the
    lobby manager reprints or releases it) and the customer told to remember the number and
    see the lobby manager; a reprint that printed is reported too (it releases the ticket). A
    kiosk with no printer at all reports nothing: the number on screen is the ticket, and it
    waits in line as usual."""
    screen = state.screen
    effects: tuple[Effect, ...] = NONE
    if isinstance(message, Printed):
        state = replace(state, printer_fault="")
        if message.reprint and message.ticket_id:
            effects = (ReportPrint(message.ticket_id, None),)
    else:
        state = replace(state, printer_fault=message.message_zh)
        if message.ticket_id and message.hold:
            effects = (ReportPrint(message.ticket_id, message.code),)
    if not isinstance(screen, Showing) or str(screen.ticket.get("id")) != message.ticket_id:
        return state, effects
    if isinstance(message, Printed):
        return replace(state, screen=replace(screen, printing="printed")), effects
    until = max(screen.until, message.now + state.timing.ticket_failed_s)
    printing: PrintState = "failed" if message.hold else "unprinted"
    failed = replace(screen, printing=printing, until=until, printer_message=message.message_zh)
    return replace(state, screen=failed), effects


# The card reader and the code scanner (keyboards that type and press Enter), the operator's key
def key(state: KioskState, message: Key) -> Result:
    """A key: a card reader types digits then Enter, a scanner ``BQ`` and a check-in code then
    Enter; on the code's keypad a keyboard's digits, Backspace and Escape work too."""
    if isinstance(state.screen, PinEntry | Settings) or message.key == "operator":
        return operator.key(state, message)
    now, k, screen = message.now, message.key, state.screen
    fresh = now - state.typed_at <= state.timing.card_key_gap_s
    if len(k) == 1 and k.isprintable():
        typed = ((state.typed if fresh else "") + k)[-max(CARD_DIGITS) :]
        state = replace(state, typed=typed, typed_at=now)
        if isinstance(screen, CodeEntry) and k.isdigit():
            return code_tap(state, screen, f"code:{k}", now)
        return state, NONE
    if isinstance(screen, CodeEntry) and k in ("backspace", "escape"):
        return code_tap(replace(state, typed=""), screen, "code:del" if k == "backspace"
                        else "back", now)  # fmt: skip
    if k != "enter":
        return replace(state, typed=""), NONE
    typed = state.typed
    state = replace(state, typed="")
    if isinstance(screen, Issuing | CheckingIn):
        return state, NONE
    scanned = remote.scanned_code(typed) if fresh else None
    if scanned is not None:
        return check_in(replace(state, last_touch=now), scanned, now)
    if isinstance(screen, CodeEntry):
        return code_tap(state, screen, "code:ok", now)
    if not fresh or not is_card_number(typed):
        return state, NONE
    state = replace(state, card=typed, card_at=now, last_touch=now)
    return go(state, Choose(), now), NONE


# The engine's news
def _reprint_is_mine(state: KioskState, news: wire.TicketNews) -> bool:
    """A reprint asked of this kiosk. One replayed after a short drop of the link is printed
    too (the lobby manager asked for it); a restarted kiosk gets a snapshot, no old asks."""
    return bool(state.name) and news.kiosk == state.name


def on_event(state: KioskState, news: wire.News) -> Result:
    if isinstance(news, wire.Snapshot):
        state = replace(state, services=tuple(_service(s) for s in news.data["services"]))
        return _queue(state, news.data["queue"]), NONE
    if isinstance(news, wire.TicketNews):
        state = _queue(state, news.queue)
        if news.kind == "reprint" and _reprint_is_mine(state, news):
            return state, (PrintTicket(news.ticket, reprint=True),)
        return state, NONE
    if isinstance(news, wire.CounterNews):
        return state, (RefreshServices(),)  # whether a service is open is the engine's rule
    return state, NONE


def on_branch(state: KioskState, branch: Json, now: float) -> KioskState:
    info: Json = branch.get("branch") or {}
    langs = tuple(x for x in info.get("languages") or ["zh", "en"] if x in ("zh", "en"))
    known = {s.code: s for s in state.services}
    services = tuple(
        _named(known.get(str(s["code"])) or _service(s), s)
        for s in branch.get("services") or []
        if "code" in s
    )
    state = with_kiosk_section(state, branch.get("kiosk") or {})
    check_in = branch.get("check_in") or {}
    state = replace(state, check_in=bool(check_in.get("remote") or check_in.get("appointments")))
    policy = CarePolicy.from_branch(branch)
    care = policy.on_by_default(now) if isinstance(state.screen, Attract) else state.care
    return replace(
        state,
        care_policy=policy,
        care=care,
        branch_name=str(info.get("name", "")),
        branch_name_en=str(info.get("name_en") or ""),
        languages=langs or ("zh",),
        services=services or state.services,
    )


def _named(service: Service, raw: Json) -> Service:
    name = str(raw.get("name", service.code))
    return replace(service, name=name, name_en=str(raw.get("name_en") or ""))


def _service(raw: Json) -> Service:
    wait = raw.get("estimated_wait_s")
    return Service(
        code=str(raw["code"]),
        name=str(raw.get("name", raw["code"])),
        name_en=str(raw.get("name_en") or ""),
        waiting=int(raw.get("waiting") or 0),
        estimated_wait_s=int(wait) if wait is not None else None,
        estimated_wait_range_s=wait_range_of(raw),
        open=bool(raw.get("open", False)),
    )


def _queue(state: KioskState, queue: wire.QueueSummary) -> KioskState:
    """Take each service's waiting count and estimate from an event's ``queue``."""
    services = []
    for s in state.services:
        q = queue.get(s.code)
        if q is not None:
            s = replace(
                s,
                waiting=q["waiting"],
                estimated_wait_s=q["estimated_wait_s"],
                estimated_wait_range_s=wait_range_of(q),
            )
        services.append(s)
    return replace(state, services=tuple(services))


def _queue_from_ticket(state: KioskState, ticket: Json) -> KioskState:
    """Our own ticket counts before its event arrives, so the button never lags the screen."""
    code = str(ticket.get("service", ""))
    found = state.service(code)
    if found is None or int(ticket.get("ahead") or 0) + 1 <= found.waiting:
        return state
    bumped = replace(found, waiting=int(ticket.get("ahead") or 0) + 1)
    return replace(state, services=tuple(bumped if s.code == code else s for s in state.services))


# Time
def tick(state: KioskState, now: float) -> KioskState:
    screen = state.screen
    if isinstance(screen, Showing | Notice) and now >= screen.until:
        state = go(state, Choose(), now)
    if state.card is not None and now - state.card_at >= state.timing.card_hold_s:
        state = replace(state, card=None)
    idle_s = state.timing.care_idle_reset_s if state.care else state.timing.idle_reset_s
    idle = now - max(state.last_touch, state.screen_since) >= idle_s
    if idle and isinstance(state.screen, Choose | CodeEntry | Settings | PinEntry):
        state = go(state, Attract(), now)
        state = replace(state, lang=state.local.language, card=None)
    if isinstance(state.screen, Attract):  # the next customer starts in the day's mode
        care = state.care_policy.on_by_default(now)
        state = state if care == state.care else replace(state, care=care)
    return state


def _next_lang(state: KioskState) -> Lang:
    langs = state.languages if len(state.languages) > 1 else ("zh", "en")
    i = langs.index(state.lang) if state.lang in langs else -1
    return langs[(i + 1) % len(langs)]


def new_state(
    session: str, local: LocalSettings, pin_set: bool, timing: Timing | None = None
) -> KioskState:
    """The kiosk at start: attract screen, the default language, no link yet."""
    return KioskState(session=session, timing=timing or Timing(), local=local,
                      lang=local.language, pin_set=pin_set)  # fmt: skip


def with_kiosk_section(state: KioskState, section: Json) -> KioskState:
    """Apply ``[kiosk]`` of the branch (``idle_reset_s``, ``ticket_s``, …) to the timing."""
    values: dict[str, Any] = {
        k: float(v) for k, v in section.items()
        if k in Timing.__dataclass_fields__ and isinstance(v, int | float)
        and not isinstance(v, bool) and k not in ("pin_attempts",)
    }  # fmt: skip
    return replace(state, timing=replace(state.timing, **values)) if values else state
