"""The use cases of appointments (``domain.appointments``, docs/appointments.md): booking a
window (the lobby, or the phone page where the branch allows it), cancelling it, checking in
at the branch, and releasing the no-shows once their window is over.

Checking in makes the appointment's ticket: it joins the queue with the place in time the
domain's rule gives it (``queue_time``: a bounded head start over walk-ins of its class), so
every routing policy calls it ahead of the walk-ins who arrived less than the head start
before it, and behind everyone who waited longer. Its code (``remote.CODE_DIGITS`` digits, as
a remote ticket's) is what the customer shows or types; a phone that booked is known only by
the keyed hash of the browser's id (``security.browser_hash``), as with remote tickets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from queue_core.config import BranchConfig
from queue_core.domain import appointments as rules_of
from queue_core.domain import remote
from queue_core.domain.appointments import Appointment, AppointmentStatus
from queue_core.domain.business_day import BusinessDay
from queue_core.domain.errors import IllegalMove, InvalidInput, NotFound
from queue_core.domain.events import (
    AppointmentArrived,
    AppointmentBooked,
    AppointmentCancelled,
    AppointmentMissed,
    TicketIssued,
)
from queue_core.domain.tickets import Ticket
from queue_core.security import browser_hash, door_key, new_id
from queue_core.store.models import AppointmentRow, NotifyRow
from queue_core.usecases.remote import BROWSER_ID, free_check_in_code
from queue_core.usecases.unit import UnitOfWork

#: Appointment states that hold a place in their window.
HOLDING = (AppointmentStatus.BOOKED.value, AppointmentStatus.ARRIVED.value)


def day_of(config: BranchConfig, day: str) -> BusinessDay:
    """The business day ``day`` (YYYY-MM-DD) with the branch's hours that day."""
    try:
        when = date.fromisoformat(day)
    except ValueError as exc:
        raise InvalidInput("a day is YYYY-MM-DD", "invalid_day") from exc
    noon = datetime.combine(when, time(12), config.zone).timestamp()
    return BusinessDay.of(noon, config.zone, config.branch.opening, config.branch.closing)


def bookable_days(config: BranchConfig, now: float) -> list[str]:
    """The days a window can still be booked on, today first (up to ``book_ahead_days``)."""
    rules = config.appointments.rules()
    today = datetime.fromtimestamp(now, config.zone).date()
    days = []
    for offset in range(rules.book_ahead_days + 1):
        day = day_of(config, (today + timedelta(days=offset)).isoformat())
        if any(bookable(w, now, rules) for w in rules_of.windows(day.opening, day.closing, rules)):
            days.append(day.date)
    return days


def bookable(window: tuple[float, float], now: float, rules: rules_of.AppointmentRules) -> bool:
    """Whether a window still takes bookings at ``now`` (``book_until``)."""
    return window[0] - now >= rules.book_until_s


def window_counts(session: Session, service: str, day: str) -> dict[float, int]:
    """How many appointments hold a place in each window of a service's day."""
    rows = session.execute(
        select(AppointmentRow.start, func.count())
        .where(
            AppointmentRow.service == service,
            AppointmentRow.day == day,
            AppointmentRow.status.in_(HOLDING),
        )
        .group_by(AppointmentRow.start)
    ).all()
    return {float(start): int(n) for start, n in rows}


def _row(uow: UnitOfWork, appointment_id: str) -> AppointmentRow:
    row = uow.session.get(AppointmentRow, appointment_id)
    if row is None:
        raise NotFound("no such appointment", "appointment_not_found")
    return row


@dataclass(frozen=True, slots=True)
class BookAppointment:
    """Book the window of ``service`` on ``day`` that starts at ``start`` (epoch seconds).

    ``booked_by`` is ``lobby:<login>`` or ``phone``; a phone booking names its ``browser``
    (the limit ``per_browser`` counts by it) and gets the branch's default tier. The lobby may
    set the tier, the green channel and a note of what to prepare."""

    service: str
    day: str
    start: float
    booked_by: str
    tier: str | None = None
    green_channel: bool = False
    note: str = ""
    browser: str | None = None

    def run(self, uow: UnitOfWork) -> Appointment:
        config, now = uow.config, uow.now
        settings = config.appointments
        rules = settings.rules()
        if not config.takes_appointments(self.service):
            raise InvalidInput(
                f"service {self.service!r} takes no appointments", "no_appointments_for_service"
            )
        tier = config.tier(self.tier) if self.tier else config.default_tier
        if tier is None:
            raise InvalidInput(f"unknown tier {self.tier!r}", "unknown_tier")
        day = day_of(config, self.day)
        window = next(
            (
                w
                for w in rules_of.windows(day.opening, day.closing, rules)
                if abs(w[0] - self.start) < 1
            ),
            None,
        )
        if window is None:
            raise InvalidInput("no booking window starts at that time", "invalid_window")
        taken = window_counts(uow.session, self.service, day.date).get(window[0], 0)
        rules_of.check_booking(window[0], window[1], now, taken, rules, day.opening, day.closing)
        holder = None
        if self.browser is not None:
            if not settings.phone:
                raise IllegalMove(
                    "this branch books appointments at the lobby", "phone_booking_off"
                )
            if not BROWSER_ID.match(self.browser):
                raise InvalidInput("browser must be 32 hex digits", "invalid_browser")
            holder = browser_hash(self.browser, uow.secret)
            held = uow.session.execute(
                select(func.count())
                .select_from(AppointmentRow)
                .where(
                    AppointmentRow.holder == holder,
                    AppointmentRow.status == AppointmentStatus.BOOKED.value,
                )
            ).scalar_one()
            if held >= settings.per_browser:
                raise IllegalMove(
                    "this phone holds as many appointments as it may: cancel one first",
                    "appointment_limit",
                )
        a = Appointment(
            id=new_id(),
            code=free_check_in_code(uow),
            service=self.service,
            day=day.date,
            start=window[0],
            end=window[1],
            status=AppointmentStatus.BOOKED,
            booked_at=now,
            booked_by=self.booked_by,
            tier=tier.code,
            green_channel=self.green_channel,
            note=self.note.strip(),
        )
        uow.session.add(AppointmentRow.of(a, holder))
        uow.changed = True
        uow.emit(AppointmentBooked(a))
        return a


@dataclass(frozen=True, slots=True)
class CancelAppointment:
    """Cancel a booked appointment (the lobby, or the phone that holds its page)."""

    appointment_id: str

    def run(self, uow: UnitOfWork) -> Appointment:
        row = _row(uow, self.appointment_id)
        a = rules_of.cancel(row.to_domain(), uow.now)
        row.update(a)
        # Its reminder's number or subscription is kept no longer than the booking.
        uow.session.execute(delete(NotifyRow).where(NotifyRow.ticket_id == a.id))
        uow.changed = True
        uow.emit(AppointmentCancelled(a))
        return a


@dataclass(frozen=True, slots=True)
class CheckedInAppointments:
    """What a check-in of appointments did: each appointment as it is now, and the tickets
    it made."""

    appointments: list[Appointment]
    tickets: list[Ticket]


@dataclass(frozen=True, slots=True)
class CheckInAppointments:
    """The customers are at the branch: each booked appointment checked in within its
    window gets its ticket in the queue (``domain.appointments.queue_time``).

    By ``appointment_ids`` with the code the door shows now (the phone's check-in page), by
    ``appointment_ids`` alone (the lobby, who sees the customer), or by the appointment's own
    ``code`` (typed at the lobby or the kiosk). An appointment already checked in is answered
    as it is; one outside its window is refused with the reason (``too_early``,
    ``appointment_missed``), and so is, for the lobby, a cancelled or missed one."""

    appointment_ids: tuple[str, ...] = ()
    code: str | None = None
    door_code: str | None = None
    by_lobby: bool = False

    def run(self, uow: UnitOfWork) -> CheckedInAppointments:
        rules = uow.config.appointments.rules()
        now = uow.now
        rows = self._rows(uow)
        checked: list[tuple[AppointmentRow, Appointment]] = []
        for row in rows:
            a = row.to_domain()
            # The lobby is told why a cancelled or missed one cannot check in; a phone's list
            # may hold such an old booking beside the one it came for: answered as it is.
            if a.status is AppointmentStatus.BOOKED or (
                self.by_lobby and a.status is not AppointmentStatus.ARRIVED
            ):
                a = rules_of.check_in(a, now, rules)  # refuses before anything changed
                if a.day != uow.day.date:
                    raise IllegalMove(
                        f"this appointment is for {a.day}",
                        "too_early" if a.start > now else "appointment_missed",
                    )
            checked.append((row, a))
        tickets: list[Ticket] = []
        out: list[Appointment] = []
        for row, a in checked:
            if a.status is AppointmentStatus.ARRIVED and a.ticket_id is None:
                t = self._ticket(uow, a, rules)
                a = rules_of.attach_ticket(a, t.id)
                row.update(a)
                uow.changed = True
                tickets.append(t)
                uow.emit(TicketIssued(t), AppointmentArrived(a))
            out.append(a)
        return CheckedInAppointments(out, tickets)

    def _rows(self, uow: UnitOfWork) -> list[AppointmentRow]:
        if self.code is not None:
            code = self.code.strip().replace(" ", "")
            if not remote.is_check_in_code(code):
                raise InvalidInput(
                    f"a check-in code is {remote.CODE_DIGITS} digits", "invalid_check_in_code"
                )
            found = uow.session.scalars(
                select(AppointmentRow).where(
                    AppointmentRow.code == code,
                    AppointmentRow.status == AppointmentStatus.BOOKED.value,
                )
            ).first()
            if found is None:
                raise NotFound(
                    "no appointment waits for check-in with this code", "appointment_not_found"
                )
            return [found]
        if not self.by_lobby:
            rules = uow.config.remote.rules()
            if self.door_code is None or not remote.door_code_ok(
                door_key(uow.secret), self.door_code, uow.now, rules
            ):
                raise InvalidInput(
                    "this check-in code has changed: scan the code the kiosk shows now",
                    "check_in_code_stale",
                )
        if not self.appointment_ids:
            raise InvalidInput("no appointment to check in", "nothing_to_check_in")
        rows = []
        for ident in dict.fromkeys(self.appointment_ids):
            row = uow.session.get(AppointmentRow, ident)
            if row is None:
                if self.by_lobby:
                    raise NotFound("no such appointment", "appointment_not_found")
                continue  # a phone's list may hold an old id: answer the others
            rows.append(row)
        return rows

    def _ticket(self, uow: UnitOfWork, a: Appointment, rules: rules_of.AppointmentRules) -> Ticket:
        config, now = uow.config, uow.now
        svc = config.service(a.service)
        tier = config.tier(a.tier) or config.default_tier
        assert svc is not None, "a booked service stays in the branch file"
        t = replace(
            uow.new_ticket(
                svc,
                tier,
                green_channel=a.green_channel,
                queued_at=rules_of.queue_time(a, now, rules),
            ),
            appointment=a.id,
        )
        uow.save(t, new=True)
        uow.live.arrivals.record(t)
        return t


@dataclass(frozen=True, slots=True)
class ReleaseNoShows:
    """Release the appointments whose window (and its grace) passed without a check-in (the
    housekeeping's, each minute): no-shows, their places free again."""

    def run(self, uow: UnitOfWork) -> int:
        rules = uow.config.appointments.rules()
        now = uow.now
        rows = uow.session.scalars(
            select(AppointmentRow).where(
                AppointmentRow.status == AppointmentStatus.BOOKED.value,
                AppointmentRow.end < now - rules.late_s,
            )
        ).all()
        for row in rows:
            a = row.to_domain()
            if rules_of.is_overdue(a, now, rules):
                a = rules_of.release(a, now)
                row.update(a)
                uow.changed = True
                uow.emit(AppointmentMissed(a))
        return len(rows)
