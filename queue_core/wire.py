"""The JSON the engine speaks, in one place: the types every program shares, and how the
engine renders its domain objects and events into them.

The types are ``TypedDict``s: the engine builds plain dicts (nothing to convert on the hot
path), FastAPI documents and checks its answers with them (``response_model``), and the
devices read the event stream through ``parse_event`` into the same types, so no program
works an engine fact out again from raw dicts: names, ``tier_rank``, ``is_vip`` and the public
URL all come from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Literal, NotRequired, Protocol, cast

from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict

from queue_core.config import BranchConfig
from queue_core.domain import events as ev
from queue_core.domain import notices
from queue_core.domain.announcements import Announcement
from queue_core.domain.appointments import Appointment, AppointmentStatus
from queue_core.domain.business_day import BusinessDay
from queue_core.domain.care import HelpRequest
from queue_core.domain.counters import Counter, default_name, default_name_en
from queue_core.domain.devices import DeviceReport
from queue_core.domain.hall import Position, ServiceSummary
from queue_core.domain.staffing import AdviceRecord, Forecast, Outcome
from queue_core.domain.tickets import OPEN_STATES, Status, Ticket, lapsed
from queue_core.domain.wait_range import WaitRange

if TYPE_CHECKING:  # the simulator's plan, not imported by the devices that read the wire
    from queue_core.sim.plan import DayPlan

Json = dict[str, Any]
API = "/api/v1"


# ------------------------------------------------------------------------ the types
class TicketBody(TypedDict):
    """A ticket (one visit) as API.md describes it, with this engine's additions."""

    id: str
    number: str
    service: str
    service_name: str
    service_name_en: str
    tier: str
    tier_name: str
    tier_name_en: str
    tier_rank: int
    is_vip: bool
    green_channel: bool
    status: str
    counter: int | None
    issued_at: str
    called_at: str | None
    started_at: str | None
    finished_at: str | None
    ahead: int | None
    estimated_wait_s: int | None
    #: The wait as the range shown ("约 8–12 分钟"): [low, high] seconds, whole minutes.
    estimated_wait_range_s: NotRequired[list[int] | None]
    origin_id: str | None
    visit: int
    teller: str | None
    rating: int | None
    call_count: int
    target_counter: int | None
    public_url: str
    #: A ticket taken from a phone: until when it can be checked in, and when it was.
    remote_until: NotRequired[str | None]
    checked_in_at: NotRequired[str | None]
    #: Waiting but out of the line: its paper ticket did not print (docs/api.md).
    held: bool
    held_reason: str | None
    held_at: str | None
    #: The kiosk (device name) or staff login that issued it.
    issued_by: str | None


class BranchName(TypedDict):
    name: str
    name_en: str
    bank: str
    bank_en: str


class RemoteQueue(TypedDict):
    waiting: int
    estimated_wait_s: int | None


class PublicTicket(TypedDict):
    """What anyone holding the ticket's QR code may see: nothing that identifies anyone."""

    number: str
    service: str
    status: str
    ahead: int | None
    estimated_wait_s: int | None
    estimated_wait_range_s: NotRequired[list[int] | None]
    counter: int | None
    service_name: str
    service_name_en: str
    counter_name: str | None
    counter_name_en: str | None
    call_count: int
    business_day: str
    #: Its business day is over: it can no longer be served.
    expired: bool
    #: Its state can change no more.
    final: bool
    branch: BranchName
    #: Taken from a phone and never checked in in time.
    lapsed: bool
    remote_until: NotRequired[str | None]
    remote_place: NotRequired[str]
    check_in_code: NotRequired[str]
    queue: NotRequired[RemoteQueue]
    #: Its paper ticket did not print: the customer should see the lobby manager.
    held: bool


class AppointmentBody(TypedDict):
    """An appointment as the lobby sees it (``GET /appointments``)."""

    id: str
    code: str
    service: str
    service_name: str
    service_name_en: str
    day: str
    start: str
    end: str
    status: str
    tier: str
    green_channel: bool
    booked_by: str
    booked_at: str
    note: str
    ticket_id: str | None
    ticket_number: str | None
    checked_in_at: str | None
    closed_at: str | None


class AppointmentNews(TypedDict):
    """An ``appointment.*`` event's appointment: no check-in code, no note."""

    id: str
    service: str
    day: str
    start: str
    end: str
    status: str
    ticket_id: str | None


class PublicAppointment(TypedDict):
    """``GET /appointments/{id}/public``: what the customer's phone shows of a booking."""

    id: str
    service: str
    service_name: str
    service_name_en: str
    day: str
    start: str
    end: str
    status: str
    code: str
    public_url: str
    ticket_url: str | None
    #: When the reminder goes (``[notify] remind_minutes`` before the window), while that is
    #: still ahead for a booked appointment; else None (booked within that time, or past it).
    remind_at: str | None
    branch: BranchName


class AppointmentSlot(TypedDict):
    start: str
    end: str
    free: int


class AppointmentSlots(TypedDict):
    """``GET /phone/appointments/slots``: a day's windows for one service, with free places."""

    service: str
    day: str
    windows: list[AppointmentSlot]


class HeldTicket(PublicTicket):
    """A ticket a phone holds (``POST /phone/tickets``, ``/phone/check-in``): its public state,
    its id (the key to it) and its page."""

    id: str
    public_url: str


class CheckedInBody(TypedDict):
    """What a check-in did: each ticket asked about as it is now (remote ones, and those the
    appointments got), and each appointment."""

    tickets: list[HeldTicket]
    appointments: list[PublicAppointment]


class CounterRef(TypedDict):
    """Which counter, as a call names it."""

    number: int
    name: str
    name_en: str


class CounterBody(TypedDict):
    number: int
    name: str
    name_en: str
    services: list[str]
    prefers_green: bool
    state: Literal["open", "paused", "closed"]
    teller: str | None
    paused_reason: str | None
    current: TicketBody | None
    #: Waiting tickets this counter may call now.
    waiting: int


class ServiceQueue(TypedDict):
    waiting: int
    estimated_wait_s: int | None
    estimated_wait_range_s: NotRequired[list[int] | None]
    #: The next numbers in call order ("please get ready").
    next: list[str]


#: Per service code: the queue as of the commit that carried it.
QueueSummary = dict[str, ServiceQueue]


class ServiceBody(TypedDict):
    code: str
    name: str
    name_en: str
    waiting: int
    estimated_wait_s: int | None
    estimated_wait_range_s: NotRequired[list[int] | None]
    #: Whether the kiosk offers the service now (see docs/api.md).
    open: bool


class QueuedService(TypedDict):
    code: str
    waiting: list[TicketBody]
    #: Waiting tickets out of the line (print failed), oldest hold first.
    held: list[TicketBody]


class QueueBody(TypedDict):
    services: list[QueuedService]


class AnnouncementBody(TypedDict):
    id: int
    text: str
    until: str | None
    active: bool


class DeviceReportBody(TypedDict):
    name: str
    status: str
    detail: dict[str, Any]
    reported_at: str


class AdviceBody(TypedDict):
    """A staffing advice with its figure, and what became of it (docs/staffing.md)."""

    id: int
    given_at: str
    #: open: a teller can open the counter (with ``services``); take: an open counter also
    #: takes ``services``; close: the counter can close after its customer.
    kind: Literal["open", "take", "close"]
    counter: int
    counter_name: str
    counter_name_en: str
    services: list[str]
    #: When the change takes effect in the forecast (the branch's reaction time after).
    effective_at: str
    #: The share of the coming hour's customers waiting over the line, now and with it.
    over_share_before: float
    over_share_after: float
    mean_wait_s_before: int
    mean_wait_s_after: int
    text: str
    state: Literal["open", "followed", "dismissed", "expired"]
    resolved_at: str | None
    resolved_by: str | None
    #: The hour after the advice as it turned out: share over the line, and of how many.
    observed_over_share: float | None
    observed_customers: int | None


class ForecastBody(TypedDict):
    """The coming hour as things stand, against the branch's target."""

    at: str
    over_share: float
    mean_wait_s: int
    customers: int
    #: Share within target per service-level class, when the branch sets targets.
    attained: dict[str, float]
    alert: bool
    #: The target: at most ``max_over_share`` of customers waiting over ``over_s``.
    max_over_share: float
    over_s: int


class PlanHour(TypedDict):
    start: str
    end: str
    #: The counters to staff in this hour.
    counters: list[int]
    #: The share of this hour's customers expected to wait over the line with them.
    over_share: float
    #: Their mean wait, and the hour's longest wait (seconds) expected with them.
    mean_wait_s: float
    longest_wait_s: float


class PlanBody(TypedDict):
    """A day's staffing planned before opening from its type's arrival profile."""

    date: str
    day_type: str
    #: ``planning`` while the plan is being made (no hours yet: ask again), then ``ready``.
    state: Literal["planning", "ready"]
    #: Empty when the branch's services are not all in the day type's profile.
    hours: list[PlanHour]
    counter_hours: float
    #: The day's booked appointments the plan counts (booked or checked in).
    appointments: int


OutcomeState = Literal["followed", "dismissed", "expired"]


class OutcomeBody(TypedDict):
    """Today's advice that ended one way (followed, dismissed, expired), and how the hours
    after them turned out, pooled over their customers (``domain.staffing.outcomes``)."""

    state: OutcomeState
    advice: int
    #: Of them, those whose hour after is over and counted, and its customers.
    observed_advice: int
    customers: int
    #: The forecast's share over the line as things stood, and with the change; null until
    #: an hour after is counted.
    forecast_over_share_before: float | None
    forecast_over_share_after: float | None
    #: The share over the line that came about.
    observed_over_share: float | None


class StaffingBody(TypedDict):
    forecast: ForecastBody | None
    #: Today's advice, newest first.
    advice: list[AdviceBody]
    #: Today's advice by what was done after it: did following it help?
    outcomes: list[OutcomeBody]


class DeviceBody(TypedDict):
    name: str
    role: str
    counter: int | None
    status: str
    detail: dict[str, Any]
    reported_at: str | None
    connected: bool
    last_seq_sent: int | None


class HelpTicketBody(TypedDict):
    id: str
    number: str
    service: str


class HelpBody(TypedDict):
    """A kiosk's call for the lobby manager (``POST /help``, kind ``help``): which kiosk and
    when, nothing about the customer; or (kind ``care``) a care-mode customer's request for
    the green channel, with its ticket, for the lobby manager to confirm."""

    id: str
    #: The engine always sends it; an older engine's request without it is a call for help.
    kind: NotRequired[Literal["help", "care"]]
    device: str
    #: "open"; "answered" once the lobby manager is on the way; a green-channel request
    #: "granted" or "declined".
    state: str
    at: str
    answered_at: NotRequired[str]
    ticket: NotRequired[HelpTicketBody]


class CallBody(TypedDict):
    """One of the hall's recent calls (the snapshot's ``last_calls``)."""

    ticket: TicketBody
    counter: CounterRef | None
    at: str


class BranchRef(TypedDict):
    code: str
    name: str
    name_en: str


class TicketEventData(TypedDict):
    ticket: TicketBody
    queue: QueueSummary
    counter: NotRequired[CounterRef]
    new_ticket: NotRequired[TicketBody]
    reason: NotRequired[str]
    #: ``ticket.reprint``: the kiosk asked to print it again.
    kiosk: NotRequired[str]


class CounterEventData(TypedDict):
    counter: CounterBody


class DeviceEventData(TypedDict):
    device: DeviceReportBody


class SnapshotData(TypedDict):
    branch: BranchRef
    counters: list[CounterBody]
    queue: QueueSummary
    services: list[ServiceBody]
    last_calls: list[CallBody]
    announcements: list[AnnouncementBody]
    #: The kiosks' calls for the lobby manager not answered yet, oldest first.
    help: list[HelpBody]


class PhoneService(TypedDict):
    code: str
    name: str
    name_en: str
    waiting: int
    estimated_wait_s: int | None
    #: Whether a phone may take a ticket for it now; if not, why ("closed", "full").
    remote: bool
    remote_reason: Literal["closed", "full"] | None


class PhoneRemote(TypedDict):
    enabled: bool
    place: str
    valid_s: int


class PhoneAppointments(TypedDict):
    phone: bool
    services: list[str]
    days: list[str]


class PhoneNotify(TypedDict):
    ahead: int
    push_key: str | None
    sms: bool
    #: Whether an appointment's reminder can go by SMS (``[notify.sms] template_reminder``).
    sms_reminder: bool


class PhoneBranch(TypedDict):
    """The branch as its phone page shows it (``GET /phone/branch``)."""

    branch: BranchName
    today: str
    open: bool
    opening: str
    closing: str
    remote: PhoneRemote
    appointments: PhoneAppointments
    notify: PhoneNotify
    services: list[PhoneService]


class DoorBody(TypedDict):
    """The check-in code of the moment (``GET /phone/door``), for the kiosk and the door."""

    code: str
    url: str
    until: str
    enabled: bool


class ErasedBody(TypedDict):
    """How many tickets held the card erased (``POST /privacy/erase``)."""

    erased: int


class LoginAnswer(TypedDict):
    token: str
    role: str
    counter: int | None
    login: str


class WhoAmI(TypedDict):
    role: str
    login: str
    #: The staff member's name from the branch file, or the device's name.
    name: str
    counter: int | None
    kind: Literal["staff", "device"]


class BranchBody(TypedDict):
    """The branch as configured (``GET /branch``), without staff, tokens or card rules; the
    free-form sections belong to the programs that read them."""

    branch: dict[str, Any]
    routing: dict[str, Any]
    services: list[dict[str, Any]]
    tiers: list[dict[str, Any]]
    counters: list[dict[str, Any]]
    kiosk: dict[str, Any]
    care: dict[str, Any]
    display: dict[str, Any]
    voice: dict[str, Any]
    printer: dict[str, Any]
    signs: dict[str, Any]
    rating: dict[str, Any]
    #: Whether customers bring a code to check in with: ``remote`` (tickets taken from a
    #: phone), ``appointments`` (a service takes them); the kiosk then offers its keypad.
    check_in: dict[str, bool]


class ErrorDetail(TypedDict):
    code: str
    message: str


class ErrorBody(TypedDict):
    """Every 4xx/5xx answer: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


def error_body(code: str, message: str) -> ErrorBody:
    return {"error": {"code": code, "message": message}}


# ------------------------------------------------------------------------ rendering
def iso(ts: float | None, tz: tzinfo) -> str | None:
    """Epoch seconds as ISO-8601 with the branch's offset (millisecond precision)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="milliseconds")


def _iso(ts: float, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="milliseconds")


def wait_range(r: WaitRange | None) -> list[int] | None:
    """A wait range as ``[low, high]`` seconds (whole minutes, as shown)."""
    return None if r is None else [r.low_s, r.high_s]


def public_url(t: Ticket, config: BranchConfig) -> str:
    """The live page the ticket's QR code opens: under the branch's public base address when
    it is set, else a path the kiosk joins to its own engine address."""
    return f"{config.branch.public_url}/t/{t.origin_id or t.id}"


def ticket(t: Ticket, config: BranchConfig, position: Position | None = None) -> TicketBody:
    """A ticket as docs/api-v1.md describes it, plus this engine's extra fields (docs/api.md)."""
    tz = config.zone
    service = config.service(t.service)
    tier = config.tier(t.tier)
    body: TicketBody = {
        "id": t.id,
        "number": t.number,
        "service": t.service,
        "service_name": service.name if service else t.service,
        "service_name_en": service.name_en if service else "",
        "tier": t.tier,
        "tier_name": (tier.name or tier.code) if tier else t.tier,
        "tier_name_en": (tier.name_en or tier.code) if tier else t.tier,
        "tier_rank": t.tier_rank,
        "is_vip": t.is_vip,
        "green_channel": t.green_channel,
        "status": t.status.value,
        "counter": t.counter,
        "issued_at": _iso(t.issued_at, tz),
        "called_at": iso(t.called_at, tz),
        "started_at": iso(t.started_at, tz),
        "finished_at": iso(t.finished_at, tz),
        "ahead": position.ahead if position else None,
        "estimated_wait_s": position.estimated_wait_s if position else None,
        "estimated_wait_range_s": wait_range(position.wait_range) if position else None,
        "origin_id": t.origin_id,
        "visit": t.visit,
        "teller": t.teller,
        "rating": t.rating,
        "call_count": t.call_count,
        "target_counter": t.target_counter,
        "public_url": public_url(t, config),
        "held": t.is_held,
        "held_reason": t.held_reason,
        "held_at": iso(t.held_at, tz),
        "issued_by": t.issued_by,
    }
    if t.remote_until is not None:  # taken from a phone
        body["remote_until"] = iso(t.remote_until, tz)
        body["checked_in_at"] = iso(t.checked_in_at, tz)
    return body


def branch_name(config: BranchConfig) -> BranchName:
    info = config.branch
    return {"name": info.name, "name_en": info.name_en, "bank": info.bank, "bank_en": info.bank_en}


def public_ticket(
    t: Ticket,
    config: BranchConfig,
    position: Position | None,
    today: str,
    queue: ServiceQueue | None = None,
) -> PublicTicket:
    """What anyone holding the QR code may see: nothing that identifies the customer (no
    tier, card, teller or name). ``expired``: the ticket belongs to a business day that is
    over, so it can no longer be served; ``final``: its state can change no more; ``lapsed``:
    taken from a phone and never checked in in time. A remote ticket also shows until when it
    can be checked in, where its place in time will be, its check-in code (holding the id is
    holding the ticket) and, given ``queue``, its service's queue now."""
    service = config.service(t.service)
    expired = t.business_day < today
    counter = counter_ref(t.counter, config) if t.counter is not None else None
    out: PublicTicket = {
        "number": t.number,
        "service": t.service,
        "status": t.status.value,
        "ahead": position.ahead if position else None,
        "estimated_wait_s": position.estimated_wait_s if position else None,
        "estimated_wait_range_s": wait_range(position.wait_range) if position else None,
        "counter": t.counter,
        "service_name": service.name if service else t.service,
        "service_name_en": service.name_en if service else "",
        "counter_name": counter["name"] if counter else None,
        "counter_name_en": counter["name_en"] if counter else None,
        "call_count": t.call_count,
        "business_day": t.business_day,
        "expired": expired,
        "final": expired or t.status not in OPEN_STATES,
        "branch": branch_name(config),
        "lapsed": lapsed(t),
        "held": t.is_held,
    }
    if t.status is Status.REMOTE:
        out["remote_until"] = iso(t.remote_until, config.zone)
        out["remote_place"] = config.remote.place
        out["check_in_code"] = t.check_in_code or ""
        if queue is not None:
            out["queue"] = {
                "waiting": queue["waiting"],
                "estimated_wait_s": queue["estimated_wait_s"],
            }
    return out


def counter_ref(number: int, config: BranchConfig) -> CounterRef:
    found = config.counter(number)
    if found is None:
        return counter_ref_of(number)
    return {"number": number, "name": found.display_name, "name_en": found.display_name_en}


def counter_ref_of(number: int) -> CounterRef:
    """A counter known only by its number, with the default names (``CounterSettings``)."""
    return {"number": number, "name": default_name(number), "name_en": default_name_en(number)}


def counter(c: Counter, current: Ticket | None, waiting: int, config: BranchConfig) -> CounterBody:
    settings = config.counter(c.number)
    ref = counter_ref(c.number, config)
    return {
        "number": c.number,
        "name": ref["name"],
        "name_en": ref["name_en"],
        "services": list(settings.services) if settings else [],
        "prefers_green": settings.prefers_green if settings else False,
        "state": c.state.value,
        "teller": c.teller,
        "paused_reason": c.paused_reason,
        "current": ticket(current, config) if current is not None else None,
        "waiting": waiting,
    }


def queue(summary: Mapping[str, ServiceSummary]) -> QueueSummary:
    return {
        code: {
            "waiting": s.waiting,
            "estimated_wait_s": s.estimated_wait_s,
            "estimated_wait_range_s": wait_range(s.wait_range),
            "next": list(s.next),
        }
        for code, s in summary.items()
    }


def announcement(a: Announcement, active: bool, tz: tzinfo) -> AnnouncementBody:
    return {"id": a.id, "text": a.text, "until": iso(a.until, tz), "active": active}


def help_request(r: HelpRequest, tz: tzinfo) -> HelpBody:
    body: HelpBody = {
        "id": r.id,
        "kind": "care" if r.ticket is not None else "help",
        "device": r.device,
        "state": r.state.value,
        "at": _iso(r.at, tz),
    }
    if r.ticket is not None:
        body["ticket"] = {"id": r.ticket.id, "number": r.ticket.number, "service": r.ticket.service}
    if r.answered_at is not None:
        body["answered_at"] = _iso(r.answered_at, tz)
    return body


def device_report(r: DeviceReport, tz: tzinfo) -> DeviceReportBody:
    return {
        "name": r.name,
        "status": r.status,
        "detail": r.detail,
        "reported_at": _iso(r.reported_at, tz),
    }


def advice(a: AdviceRecord, config: BranchConfig) -> AdviceBody:
    tz = config.zone
    names = {c.number: c for c in config.counters}
    found = names.get(a.change.counter)
    kind: Literal["open", "take", "close"] = (
        "open" if a.change.kind == "open" else "take" if a.change.kind == "take" else "close"
    )
    state: Literal["open", "followed", "dismissed", "expired"] = (
        "followed" if a.state == "followed" else "dismissed" if a.state == "dismissed"
        else "expired" if a.state == "expired" else "open"
    )  # fmt: skip
    return {
        "id": a.id,
        "given_at": _iso(a.given_at, tz),
        "kind": kind,
        "counter": a.change.counter,
        "counter_name": found.display_name if found else default_name(a.change.counter),
        "counter_name_en": found.display_name_en if found else default_name_en(a.change.counter),
        "services": list(a.change.services),
        "effective_at": _iso(a.change.at, tz),
        "over_share_before": round(a.before_over, 3),
        "over_share_after": round(a.after_over, 3),
        "mean_wait_s_before": round(a.before_mean_s),
        "mean_wait_s_after": round(a.after_mean_s),
        "text": a.text,
        "state": state,
        "resolved_at": iso(a.resolved_at, tz),
        "resolved_by": a.resolved_by,
        "observed_over_share": None if a.observed_over is None else round(a.observed_over, 3),
        "observed_customers": a.observed_n,
    }


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def outcome(o: Outcome) -> OutcomeBody:
    return {
        "state": cast(OutcomeState, o.state),
        "advice": o.advice,
        "observed_advice": o.observed_advice,
        "customers": o.customers,
        "forecast_over_share_before": _share(o.forecast_before),
        "forecast_over_share_after": _share(o.forecast_after),
        "observed_over_share": _share(o.observed),
    }


def forecast(f: Forecast, config: BranchConfig) -> ForecastBody:
    rules = config.staffing
    return {
        "at": _iso(f.at, config.zone),
        "over_share": round(f.outlook.over_share, 3),
        "mean_wait_s": round(f.outlook.mean_s),
        "customers": f.outlook.customers,
        "attained": {k: round(v, 3) for k, v in f.outlook.attained.items()},
        "alert": f.alert,
        "max_over_share": rules.max_over_share,
        "over_s": round(rules.over_min * 60),
    }


def plan(
    day: str, kind: str, found: DayPlan | None, config: BranchConfig, appointments: int = 0
) -> PlanBody:
    """A day plan, its hours at the branch's opening time of that day."""
    opening = BusinessDay.of(
        datetime.fromisoformat(f"{day}T12:00").replace(tzinfo=config.zone).timestamp(),
        config.zone,
        config.branch.opening,
        config.branch.closing,
    ).opening
    hours: list[PlanHour] = [
        {
            "start": _iso(opening + h.start_s, config.zone),
            "end": _iso(opening + h.end_s, config.zone),
            "counters": list(h.counters),
            "over_share": round(h.over_share, 3),
            "mean_wait_s": round(h.mean_s, 1),
            "longest_wait_s": round(h.longest_s, 1),
        }
        for h in (found.hours if found else ())
    ]
    return {
        "date": day,
        "day_type": kind,
        "state": "ready",
        "hours": hours,
        "counter_hours": round(found.counter_hours, 1) if found else 0.0,
        "appointments": appointments,
    }


def planning(day: str, kind: str, appointments: int = 0) -> PlanBody:
    """A day plan still being made."""
    return {
        "date": day, "day_type": kind, "state": "planning", "hours": [], "counter_hours": 0.0,
        "appointments": appointments,
    }  # fmt: skip


class HallAtCommit(Protocol):
    """What rendering an event needs to know of the hall as of the commit."""

    config: BranchConfig
    queue: QueueSummary

    def position(self, t: Ticket) -> Position | None: ...
    def ticket(self, t: Ticket) -> TicketBody: ...
    def waiting_at(self, counter: int) -> int: ...
    def announcement_active(self, a: Announcement) -> bool: ...


def event_data(event: ev.DomainEvent, hall: HallAtCommit) -> Json:
    """An event's ``data`` as the stream carries it (docs/api.md, *Events*)."""
    config = hall.config
    if isinstance(event, ev.TicketEvent):
        data: Json = {"ticket": hall.ticket(event.ticket), "queue": hall.queue}
        if isinstance(event, ev.TicketCalled | ev.TicketRecalled | ev.RatingRequested):
            data["counter"] = counter_ref(event.counter, config)
        elif isinstance(event, ev.TicketTransferred):
            data["new_ticket"] = hall.ticket(event.new_ticket)
        elif isinstance(event, ev.TicketCancelled | ev.TicketHeld | ev.TicketReleased):
            if event.reason is not None:
                data["reason"] = event.reason
        elif isinstance(event, ev.ReprintRequested):
            data["kiosk"] = event.kiosk
        return data
    if isinstance(event, ev.CounterUpdated):
        waiting = hall.waiting_at(event.counter.number)
        return {"counter": counter(event.counter, event.current, waiting, config)}
    if isinstance(event, ev.AnnouncementChanged):
        a = event.announcement
        return dict(announcement(a, hall.announcement_active(a), config.zone))
    if isinstance(event, ev.HelpChanged):
        return dict(help_request(event.request, config.zone))
    if isinstance(event, ev.AppointmentEvent):
        return {"appointment": appointment_news(event.appointment, config.zone)}
    if isinstance(event, ev.StaffingAdvised):
        return {"advice": advice(event.advice, config)}
    if isinstance(event, ev.StaffingAlert):
        return {"forecast": forecast(event.forecast, config)}
    return {"device": device_report(event.device, config.zone)}


def appointment(
    a: Appointment, config: BranchConfig, ticket_number: str | None = None
) -> AppointmentBody:
    """An appointment for the lobby, with the number of its ticket once checked in."""
    tz = config.zone
    service = config.service(a.service)
    return {
        "id": a.id,
        "code": a.code,
        "service": a.service,
        "service_name": service.name if service else a.service,
        "service_name_en": service.name_en if service else a.service,
        "day": a.day,
        "start": _iso(a.start, tz),
        "end": _iso(a.end, tz),
        "status": a.status.value,
        "tier": a.tier,
        "green_channel": a.green_channel,
        "booked_by": a.booked_by.split(":", 1)[0],
        "booked_at": _iso(a.booked_at, tz),
        "note": a.note,
        "ticket_id": a.ticket_id,
        "ticket_number": ticket_number,
        "checked_in_at": iso(a.checked_in_at, tz),
        "closed_at": iso(a.closed_at, tz),
    }


def appointment_news(a: Appointment, tz: tzinfo) -> AppointmentNews:
    return {
        "id": a.id,
        "service": a.service,
        "day": a.day,
        "start": _iso(a.start, tz),
        "end": _iso(a.end, tz),
        "status": a.status.value,
        "ticket_id": a.ticket_id,
    }


def public_appointment(a: Appointment, config: BranchConfig, now: float) -> PublicAppointment:
    """A booking as the customer's phone shows it at ``now``: the code only while it can check
    in, the reminder's time only while it is ahead."""
    base = config.branch.public_url
    service = config.service(a.service)
    before_s = config.notify.remind_minutes * 60
    booked = a.status is AppointmentStatus.BOOKED
    remind = booked and notices.reminder_ahead(a.start, a.booked_at, now, before_s)
    return {
        "id": a.id,
        "service": a.service,
        "service_name": service.name if service else a.service,
        "service_name_en": service.name_en if service else a.service,
        "day": a.day,
        "start": _iso(a.start, config.zone),
        "end": _iso(a.end, config.zone),
        "status": a.status.value,
        "code": a.code if a.status is AppointmentStatus.BOOKED else "",
        "public_url": f"{base}/a/{a.id}",
        "ticket_url": f"{base}/t/{a.ticket_id}" if a.ticket_id else None,
        "remind_at": _iso(a.start - before_s, config.zone) if remind else None,
        "branch": branch_name(config),
    }


# ------------------------------------------------------------------------ reading
class EventMessage(TypedDict):
    seq: int
    type: str
    at: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TicketNews:
    """A ``ticket.*`` event: ``kind`` is what happened (``called``, ``finished``…)."""

    seq: int
    at: str
    kind: str
    ticket: TicketBody
    queue: QueueSummary
    counter: CounterRef | None = None
    new_ticket: TicketBody | None = None
    reason: str | None = None
    kiosk: str | None = None


@dataclass(frozen=True, slots=True)
class CounterNews:
    seq: int
    at: str
    counter: CounterBody


@dataclass(frozen=True, slots=True)
class AnnouncementNews:
    seq: int
    at: str
    announcement: AnnouncementBody


@dataclass(frozen=True, slots=True)
class DeviceNews:
    seq: int
    at: str
    device: DeviceReportBody


@dataclass(frozen=True, slots=True)
class HelpNews:
    """A kiosk asked for the lobby manager, or the lobby manager answered."""

    seq: int
    at: str
    request: HelpBody


@dataclass(frozen=True, slots=True)
class Snapshot:
    seq: int
    at: str
    data: SnapshotData


@dataclass(frozen=True, slots=True)
class OtherNews:
    """An event type this program does not know (a newer engine): to be passed over."""

    seq: int
    at: str
    type: str
    data: dict[str, Any]


News = TicketNews | CounterNews | AnnouncementNews | DeviceNews | HelpNews | Snapshot | OtherNews


class WireError(ValueError):
    """An event that does not have the shape docs/api.md gives its type."""


_MESSAGE = TypeAdapter(EventMessage)
_TICKET_DATA = TypeAdapter(TicketEventData)
_COUNTER_DATA = TypeAdapter(CounterEventData)
_ANNOUNCEMENT = TypeAdapter(AnnouncementBody)
_DEVICE_DATA = TypeAdapter(DeviceEventData)
_HELP = TypeAdapter(HelpBody)
_SNAPSHOT = TypeAdapter(SnapshotData)


def parse_event(raw: str | bytes | Mapping[str, Any]) -> News:
    """One message of the event stream, checked against its type's shape."""
    try:
        if isinstance(raw, str | bytes):
            message = _MESSAGE.validate_json(raw)
        else:
            message = _MESSAGE.validate_python(raw)
        seq, kind, at, data = message["seq"], message["type"], message["at"], message["data"]
        if kind.startswith("ticket."):
            t = _TICKET_DATA.validate_python(data)
            return TicketNews(
                seq,
                at,
                kind.removeprefix("ticket."),
                t["ticket"],
                t["queue"],
                t.get("counter"),
                t.get("new_ticket"),
                t.get("reason"),
                t.get("kiosk"),
            )
        if kind == "counter.updated":
            return CounterNews(seq, at, _COUNTER_DATA.validate_python(data)["counter"])
        if kind == "announcement":
            return AnnouncementNews(seq, at, _ANNOUNCEMENT.validate_python(data))
        if kind == "device.updated":
            return DeviceNews(seq, at, _DEVICE_DATA.validate_python(data)["device"])
        if kind == "help":
            return HelpNews(seq, at, _HELP.validate_python(data))
        if kind == "snapshot":
            return Snapshot(seq, at, _SNAPSHOT.validate_python(data))
        return OtherNews(seq, at, kind, data)
    except ValidationError as exc:
        raise WireError(str(exc)) from exc
