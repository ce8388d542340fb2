"""A branch's tickets, counters, devices and appointments rebuilt from its events (pure: no
I/O, no clock).

Every ``ticket.*`` event carries the ticket as the API shows it (``queue_core.wire.ticket``);
the newest event of a ticket (by ``seq``) holds its state. The engine's clock runs in whole
milliseconds and the wire gives times to the millisecond, so the epoch times read back here
are the very floats the branch stored: the figures the centre computes from these tickets with
``queue_core.domain.figures`` are the branch's own, digit for digit. Each ``appointment.*``
event carries the appointment without its code or note (``wire.appointment_news``); the time of
its ``appointment.arrived`` is the check-in's, so the centre's appointment figures
(``domain.appointments.day_figures``) are the branch's too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, tzinfo
from typing import Any

from queue_core.central.protocol import UpEvent
from queue_core.domain.appointments import Appointment, AppointmentStatus
from queue_core.domain.figures import CounterSpan, counter_spans
from queue_core.domain.numbering import business_day
from queue_core.domain.tickets import Status, Ticket

Json = dict[str, Any]


def epoch(value: str | None) -> float | None:
    """An ISO-8601 time with offset, as the wire gives it, back to epoch seconds."""
    return None if value is None else datetime.fromisoformat(value).timestamp()


def ticket_from_wire(body: Mapping[str, Any], tz: tzinfo, tier_ranks: Mapping[str, int]) -> Ticket:
    """The domain ticket of a wire ticket (the fields the figures read are all there)."""
    issued = epoch(body["issued_at"])
    if issued is None:
        raise ValueError("a ticket without issued_at")
    return Ticket(
        id=str(body["id"]),
        number=str(body["number"]),
        service=str(body["service"]),
        tier=str(body["tier"]),
        tier_rank=tier_ranks.get(str(body["tier"]), 0),
        green_channel=bool(body["green_channel"]),
        status=Status(body["status"]),
        issued_at=issued,
        queued_at=issued,
        business_day=business_day(issued, tz),
        origin_id=body.get("origin_id"),
        visit=int(body.get("visit") or 1),
        counter=body.get("counter"),
        target_counter=body.get("target_counter"),
        called_at=epoch(body.get("called_at")),
        started_at=epoch(body.get("started_at")),
        finished_at=epoch(body.get("finished_at")),
        call_count=int(body.get("call_count") or 0),
        teller=body.get("teller"),
        rating=body.get("rating"),
    )


@dataclass(frozen=True, slots=True)
class CounterChange:
    """A ``counter.updated`` event: what ``figures.counter_spans`` reads, and the live state."""

    seq: int
    at: float
    counter: int
    state: str
    teller: str | None
    paused_reason: str | None
    current: str | None  # the number being served, if any

    def as_change(self) -> tuple[float, int, str, str | None]:
        return (self.at, self.counter, self.state, self.teller)


@dataclass(frozen=True, slots=True)
class DeviceState:
    seq: int
    name: str
    status: str
    detail: Json
    reported_at: str | None


@dataclass(frozen=True, slots=True)
class AppointmentState:
    """An appointment as the centre keeps it: its newest event's state (by ``seq``), and the
    times of its booking, check-in and close, from the events that made them."""

    seq: int
    id: str
    service: str
    day: str
    start: float
    end: float
    status: str
    ticket_id: str | None
    booked_at: float | None = None
    checked_in_at: float | None = None
    closed_at: float | None = None

    def after(self, newer: AppointmentState) -> AppointmentState:
        """This state followed by a newer event's: the newer state, the times kept."""
        return AppointmentState(
            newer.seq, newer.id, newer.service, newer.day, newer.start, newer.end, newer.status,
            newer.ticket_id or self.ticket_id, self.booked_at or newer.booked_at,
            self.checked_in_at or newer.checked_in_at, self.closed_at or newer.closed_at,
        )  # fmt: skip

    def to_domain(self) -> Appointment:
        """The domain appointment the figures read (no code, no note: the centre has none)."""
        return Appointment(
            id=self.id, code="", service=self.service, day=self.day, start=self.start,
            end=self.end, status=AppointmentStatus(self.status),
            booked_at=self.booked_at or 0.0, booked_by="", tier="", ticket_id=self.ticket_id,
            checked_in_at=self.checked_in_at, closed_at=self.closed_at,
        )  # fmt: skip


def appointment_of(event: UpEvent, body: Mapping[str, Any]) -> AppointmentState:
    """An ``appointment.*`` event's appointment, with the time the event gives it."""
    start, end = epoch(body["start"]), epoch(body["end"])
    if start is None or end is None:
        raise ValueError("an appointment without its window")
    kind = event.type.removeprefix("appointment.")
    return AppointmentState(
        seq=event.seq, id=str(body["id"]), service=str(body["service"]), day=str(body["day"]),
        start=start, end=end, status=str(body["status"]), ticket_id=body.get("ticket_id"),
        booked_at=event.at if kind == "booked" else None,
        checked_in_at=event.at if kind == "arrived" else None,
        closed_at=event.at if kind in ("cancelled", "no_show") else None,
    )  # fmt: skip


@dataclass
class Changes:
    """What a run of consecutive events changes at the centre, newest state per key."""

    tickets: dict[str, tuple[int, Ticket]] = field(default_factory=dict)
    counters: list[CounterChange] = field(default_factory=list)
    devices: dict[str, DeviceState] = field(default_factory=dict)
    appointments: dict[str, AppointmentState] = field(default_factory=dict)


def project(
    events: Iterable[UpEvent],
    tz: tzinfo,
    tier_ranks: Mapping[str, int],
    into: Changes | None = None,
) -> Changes:
    """Fold events (in ``seq`` order) into the changes they make."""
    out = into or Changes()
    for event in events:
        data = event.data
        if event.type.startswith("ticket.") and isinstance(data.get("ticket"), dict):
            for key in ("ticket", "new_ticket"):
                body = data.get(key)
                if isinstance(body, dict):
                    t = ticket_from_wire(body, tz, tier_ranks)
                    out.tickets[t.id] = (event.seq, t)
        elif event.type == "counter.updated" and isinstance(data.get("counter"), dict):
            c = data["counter"]
            current = c.get("current")
            out.counters.append(
                CounterChange(
                    seq=event.seq,
                    at=event.at,
                    counter=int(c["number"]),
                    state=str(c["state"]),
                    teller=c.get("teller"),
                    paused_reason=c.get("paused_reason"),
                    current=current.get("number") if isinstance(current, dict) else None,
                )
            )
        elif event.type.startswith("appointment.") and isinstance(data.get("appointment"), dict):
            a = appointment_of(event, data["appointment"])
            known = out.appointments.get(a.id)
            out.appointments[a.id] = known.after(a) if known is not None else a
        elif event.type == "device.updated" and isinstance(data.get("device"), dict):
            d = data["device"]
            out.devices[str(d["name"])] = DeviceState(
                event.seq, str(d["name"]), str(d["status"]), dict(d.get("detail") or {}),
                d.get("reported_at"),
            )  # fmt: skip
    return out


def day_start(day: str, tz: tzinfo) -> float:
    """Midnight at the start of a business day, in the branch's time zone (epoch seconds)."""
    return datetime.combine(date.fromisoformat(day), time(0), tz).timestamp()


def spans_of_day(
    before: Sequence[CounterChange],
    during: Sequence[CounterChange],
    day: str,
    tz: tzinfo,
    now: float,
) -> list[CounterSpan]:
    """Each counter's open and paused stretches on a day, as the branch's ``/stats/daily``
    counts them: each counter's last change before the day, then the day's changes in ``seq``
    order, up to the end of the day or ``now`` (the branch's clock) if sooner."""
    first = day_start(day, tz)
    last = min(first + 86400, now)
    changes = [c.as_change() for c in sorted(before, key=lambda c: c.counter)]
    changes += [c.as_change() for c in sorted(during, key=lambda c: c.seq) if c.at < last]
    return counter_spans(sorted(changes, key=lambda c: c[0]), first, last)


def with_appointments(tickets: Sequence[Ticket], booked: Sequence[Appointment]) -> list[Ticket]:
    """The day's visits with each appointment's ticket marked as the branch marks it (the
    wire's ticket does not say which appointment it came from; the appointment names it)."""
    of_ticket = {a.ticket_id: a.id for a in booked if a.ticket_id is not None}
    return [replace(t, appointment=of_ticket[t.id]) if t.id in of_ticket else t for t in tickets]
