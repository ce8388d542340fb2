"""What the branch answers without changing anything: tickets, the queue, counters, services,
announcements, devices, the snapshot of the hall, and the day's history for the figures.

Reads work from the live view when it is as of the log's last ``seq`` (reloading it first when
another engine process wrote), and from the database for history. On the first read of a new
business day they first have the day started (a write: see ``usecases.day``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from datetime import time as dtime
from typing import Literal

from sqlalchemy import func, select

from queue_core import wire
from queue_core.domain import appointments as appointment_rules
from queue_core.domain import care, figures, hall, remote
from queue_core.domain.appointments import Appointment
from queue_core.domain.errors import InvalidInput, NotFound
from queue_core.domain.tickets import Status, Ticket
from queue_core.security import door_key
from queue_core.store import Event, Store
from queue_core.store.models import (
    AnnouncementRow,
    AppointmentRow,
    DeviceRow,
    EventRow,
    TicketRow,
    ticket_from_row,
)
from queue_core.store.pending import TICKETS
from queue_core.usecases import appointments as booking
from queue_core.usecases.care import changes_since
from queue_core.usecases.day import StartDay
from queue_core.usecases.live import LiveView
from queue_core.usecases.runner import Runner

#: Calls the snapshot carries (the hall display's recent calls).
LAST_CALLS = 10
CALL_TYPES = ("ticket.called", "ticket.recalled")


def _change(at: float, data: dict[str, object]) -> tuple[float, int, str, str | None]:
    counter = data["counter"]
    assert isinstance(counter, dict)
    return (at, int(counter["number"]), str(counter["state"]), counter.get("teller"))


class Reads:
    """The branch's queries."""

    def __init__(
        self, store: Store, live: LiveView, runner: Runner, clock: Callable[[], float]
    ) -> None:
        self.store = store
        self.live = live
        self.runner = runner
        self.clock = clock
        self.config = live.config
        self.tz = live.config.zone

    @contextmanager
    def _view(self) -> Iterator[LiveView]:
        """The live view as of the log's last seq, and of today."""
        live = self.live
        with live.lock:
            last = self.store.last_seq()
            if live.version != last:
                with self.store.read() as session:
                    live.reload(session, last)
            today = live.is_today(self.clock())
        if not today:
            self.runner.execute_sync(StartDay())
        with live.lock:
            yield live

    def view(self) -> AbstractContextManager[LiveView]:
        """The live view as of the log's last seq and of today, held for the block: for the
        reads kept with their area (``usecases.staffing``)."""
        return self._view()

    def today(self) -> str:
        return self.live.business_day(self.clock()).date

    # ------------------------------------------------------------------ tickets
    def ticket(self, ticket_id: str) -> wire.TicketBody:
        with self._view() as live, self.store.read() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise NotFound(f"no ticket {ticket_id}", "ticket_not_found")
            t = live.get(ticket_id) or row.to_domain()
            return wire.ticket(t, self.config, live.position(t, self.clock()))

    def list_tickets(
        self, day: str | None, status: Status | None, service: str | None
    ) -> list[wire.TicketBody]:
        """The visits of a business day (today by default), optionally filtered."""
        found = [
            t
            for t in self.store.tickets_of_day(day or self.today())
            if (status is None or t.status is status) and (service is None or t.service == service)
        ]
        with self._view() as live:
            now = self.clock()
            current = [live.get(t.id) or t for t in found]
            positions = live.positions([t for t in current if t.is_waiting], now)
            return [wire.ticket(t, self.config, positions.get(t.id)) for t in current]

    def latest_visit(self, ticket_id: str) -> Ticket:
        """The newest visit of the ticket a QR code points at (it follows transfers)."""
        with self.store.read() as session:
            row = session.get(TicketRow, ticket_id)
            if row is None:
                raise NotFound("no such ticket", "ticket_not_found")
            root = row.origin_id or row.id
            last = session.scalars(
                select(TicketRow)
                .where(TicketRow.origin_id == root)
                .order_by(TicketRow.visit.desc())
                .limit(1)
            ).first()
            return (last or row).to_domain()

    def public(self, ticket_id: str) -> wire.PublicTicket:
        t = self.latest_visit(ticket_id)
        today = self.today()
        with self._view() as live:
            now = self.clock()
            t = live.waiting.get(t.id) or t
            queue = (
                wire.queue(live.summary(now)).get(t.service) if t.status is Status.REMOTE else None
            )
            return wire.public_ticket(t, self.config, live.position(t, now), today, queue)

    def public_many(self, ticket_ids: Collection[str]) -> dict[str, wire.PublicTicket]:
        """The public state of many tickets at once, by the id their QR code holds (the phone
        pages' live feed). Tickets in the hall (waiting, at a counter) come from the live view
        (a transferred one by its first visit's id); only the others cost a query, one for
        all; the positions are one pass per service."""
        ids = set(ticket_ids)
        if not ids:
            return {}
        with self._view() as live:
            newest = {
                root: t
                for t in (*live.waiting, *live.current.values())
                if (root := t.origin_id or t.id) in ids
            }
        rest = [i for i in ids if i not in newest]
        if rest:
            with self.store.read() as session:
                rows = session.execute(
                    select(TICKETS).where(TICKETS.c.id.in_(rest) | TICKETS.c.origin_id.in_(rest))
                ).mappings()
                for t in (ticket_from_row(r) for r in rows):
                    root = t.origin_id or t.id
                    if root not in newest or t.visit > newest[root].visit:
                        newest[root] = t
        today = self.today()
        with self._view() as live:
            now = self.clock()
            current = {root: live.waiting.get(t.id) or t for root, t in newest.items()}
            remote = any(t.status is Status.REMOTE for t in current.values())
            summary = wire.queue(live.summary(now)) if remote else {}
            # The play for many tickets runs on a copy, outside the lock: a call-next never
            # waits for the phone pages' feed.
            copy = live.copy()
        places = copy.positions({t.service for t in current.values() if t.is_waiting}, now)
        return {
            root: wire.public_ticket(
                t, self.config, places.get(t.id), today, summary.get(t.service)
            )
            for root, t in current.items()
        }

    def queue(self) -> wire.QueueBody:
        with self._view() as live:
            states = live.counter_states()
            now = self.clock()
            out: list[wire.QueuedService] = []
            for s in self.config.services:
                pos = hall.positions_for_service(
                    s.code, live.waiting, states, now, live.policy, live.times, live.arrivals
                )
                by_id = {t.id: t for t in live.waiting if t.service == s.code}
                mine = [by_id[ident] for ident in pos]  # in the order the hall calls them
                held = sorted(
                    (t for t in live.held.values() if t.service == s.code),
                    key=lambda t: (t.held_at or 0.0, t.number),
                )
                out.append(
                    {
                        "code": s.code,
                        "waiting": [
                            wire.ticket(t, self.config, live.ranged(pos[t.id])) for t in mine
                        ],
                        "held": [wire.ticket(t, self.config) for t in held],
                    }
                )
            return {"services": out}

    def services(self) -> list[wire.ServiceBody]:
        with self._view() as live:
            now = self.clock()
            summary = live.summary(now)
            day = live.day or live.business_day(now)
            served = live.served_by()
            return [
                {
                    "code": s.code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "waiting": summary[s.code].waiting,
                    "estimated_wait_s": summary[s.code].estimated_wait_s,
                    "estimated_wait_range_s": wire.wait_range(summary[s.code].wait_range),
                    "open": day.offers(s.code, served, now),
                }
                for s in self.config.services
            ]

    # ------------------------------------------------------------------ phones
    def phone_branch(self) -> wire.PhoneBranch:
        """The branch as its phone page shows it: each service's queue, whether a number can
        be taken from a phone now (and why not), and what the branch offers phones."""
        config = self.config
        rules = config.remote.rules()
        with self._view() as live:
            now = self.clock()
            summary = live.summary(now)
            day = live.day or live.business_day(now)
            served = live.served_by()
            offered = {s.code: day.offers(s.code, served, now) for s in config.services}
        with self.store.read() as session:
            rows = session.execute(
                select(TICKETS.c.service, func.count())
                .where(TICKETS.c.status == Status.REMOTE.value)
                .group_by(TICKETS.c.service)
            ).all()
        on_way = {str(code): int(n) for code, n in rows}
        services: list[wire.PhoneService] = []
        for s in config.services:
            q = summary[s.code]
            why: Literal["closed", "full"] | None = None
            if not offered[s.code]:
                why = "closed"
            elif not remote.share_allows(on_way.get(s.code, 0), q.waiting, rules):
                why = "full"
            services.append(
                {
                    "code": s.code,
                    "name": s.name,
                    "name_en": s.name_en,
                    "waiting": q.waiting,
                    "estimated_wait_s": q.estimated_wait_s,
                    "remote": why is None,
                    "remote_reason": why,
                }
            )
        info = config.branch
        return {
            "branch": wire.branch_name(config),
            "today": day.date,
            "open": any(offered.values()),
            "opening": info.opening,
            "closing": info.closing,
            "remote": {
                "enabled": rules.enabled,
                "place": rules.place,
                "valid_s": int(rules.valid_s),
            },
            "appointments": {
                "phone": config.appointments.phone,
                "services": [s.code for s in config.services if config.takes_appointments(s.code)],
                "days": booking.bookable_days(config, now) if config.appointments.phone else [],
            },
            # No channel without the notifier, which answers its own (api/phone.py).
            "notify": {
                "ahead": config.notify.ahead,
                "push_key": None,
                "sms": False,
                "sms_reminder": False,
            },
            "services": services,
        }

    def door(self) -> wire.DoorBody:
        """The check-in code the kiosk and the door show now, the page its QR code opens, and
        until when it is shown."""
        rules = self.config.remote.rules()
        code, until = remote.door_code(door_key(self.runner.secret), self.clock(), rules)
        return {
            "code": code,
            "url": f"{self.config.branch.public_url}/c/{code}",
            "until": wire.iso(until, self.tz) or "",
            "enabled": rules.enabled,
        }

    def remote_tickets(self) -> list[wire.TicketBody]:
        """The tickets taken from phones and not yet checked in (the lobby's "on the way")."""
        with self.store.read() as session:
            rows = session.execute(
                select(TICKETS)
                .where(TICKETS.c.status == Status.REMOTE.value)
                .order_by(TICKETS.c.issued_at)
            ).mappings()
            found = [ticket_from_row(r) for r in rows]
        return [wire.ticket(t, self.config) for t in found]

    # ------------------------------------------------------------------ counters
    def _counter(self, live: LiveView, number: int) -> wire.CounterBody:
        found = live.counters.get(number)
        if found is None or number not in live.views:
            raise NotFound(f"no counter {number}", "counter_not_found")
        return wire.counter(found, live.current.get(number), live.waiting_at(number), self.config)

    def counters(self) -> list[wire.CounterBody]:
        with self._view() as live:
            return [self._counter(live, c.number) for c in self.config.counters]

    def counter(self, number: int) -> wire.CounterBody:
        with self._view() as live:
            return self._counter(live, number)

    # ------------------------------------------------------------------ the hall
    def announcements(self) -> list[wire.AnnouncementBody]:
        now = self.clock()
        day = self.live.business_day(now)
        with self.store.read() as session:
            rows = session.scalars(
                select(AnnouncementRow).where(AnnouncementRow.ended_at.is_(None))
            )
            found = [r.to_domain() for r in rows]
        return [wire.announcement(a, True, self.tz) for a in found if a.active(now, day)]

    def devices(self, connected: dict[str, int]) -> list[wire.DeviceBody]:
        with self.store.read() as session:
            reports = {r.name: r.to_domain() for r in session.scalars(select(DeviceRow))}
        out: list[wire.DeviceBody] = []
        for d in self.config.devices:
            r = reports.get(d.name)
            out.append(
                {
                    "name": d.name,
                    "role": d.role,
                    "counter": d.counter,
                    "status": r.status if r else "unknown",
                    "detail": r.detail if r else {},
                    "reported_at": wire.iso(r.reported_at, self.tz) if r else None,
                    "connected": d.name in connected,
                    "last_seq_sent": connected.get(d.name),
                }
            )
        return out

    def help_requests(self) -> list[wire.HelpBody]:
        """The day's help requests nobody has answered yet, oldest first."""
        start = self.live.business_day(self.clock()).start
        with self.store.read() as session:
            changes = changes_since(session, start)
        return [wire.help_request(r, self.tz) for r in care.open_requests(changes)]

    def last_calls(self, limit: int = LAST_CALLS) -> list[wire.CallBody]:
        """Today's calls, newest first."""
        start = self.live.business_day(self.clock()).start
        with self.store.read() as session:
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.type.in_(CALL_TYPES), EventRow.at >= start)
                .order_by(EventRow.seq.desc())
                .limit(limit)
            )
            return [
                {
                    "ticket": r.data["ticket"],
                    "counter": r.data.get("counter"),
                    "at": wire.iso(r.at, self.tz) or "",
                }
                for r in rows
            ]

    def snapshot(self) -> Event:
        """The whole hall as one event, for a subscriber that cannot be replayed to."""
        with self._view() as live:
            seq = live.version
            counters = [self._counter(live, c.number) for c in self.config.counters]
            queue = wire.queue(live.summary(self.clock()))
        branch = self.config.branch
        data: wire.SnapshotData = {
            "branch": {"code": branch.code, "name": branch.name, "name_en": branch.name_en},
            "counters": counters,
            "queue": queue,
            "services": self.services(),
            "last_calls": self.last_calls(),
            "announcements": self.announcements(),
            "help": self.help_requests(),
        }
        return Event(seq, "snapshot", self.clock(), dict(data))

    # ------------------------------------------------------------------ history
    def tickets_of_day(self, day: str) -> list[Ticket]:
        return self.store.tickets_of_day(day)

    def counter_spans(self, day: str) -> list[figures.CounterSpan]:
        """Each counter's open and paused stretches on a business day, from the event log."""
        first = datetime.combine(date.fromisoformat(day), dtime(0), self.tz).timestamp()
        last = min(first + 86400, self.clock())
        changes: list[tuple[float, int, str, str | None]] = []
        with self.store.read() as session:
            for c in self.config.counters:
                before = session.scalars(
                    select(EventRow)
                    .where(EventRow.type == "counter.updated", EventRow.at < first)
                    .where(EventRow.data["counter"]["number"].as_integer() == c.number)
                    .order_by(EventRow.seq.desc())
                    .limit(1)
                ).first()
                if before is not None:
                    changes.append(_change(before.at, before.data))
            rows = session.scalars(
                select(EventRow)
                .where(EventRow.type == "counter.updated", EventRow.at >= first)
                .where(EventRow.at < last)
                .order_by(EventRow.seq)
            )
            changes.extend(_change(r.at, r.data) for r in rows)
        return figures.counter_spans(sorted(changes, key=lambda c: c[0]), first, last)

    # ------------------------------------------------------------------ appointments
    def appointments(self, day: str) -> list[wire.AppointmentBody]:
        """A day's appointments in the order of their windows (the lobby's list), each with
        its ticket's number once checked in."""
        with self.store.read() as session:
            rows = session.scalars(
                select(AppointmentRow)
                .where(AppointmentRow.day == day)
                .order_by(AppointmentRow.start, AppointmentRow.booked_at)
            ).all()
            found = [r.to_domain() for r in rows]
            ids = [a.ticket_id for a in found if a.ticket_id]
            numbers = dict(
                session.execute(
                    select(TICKETS.c.id, TICKETS.c.number).where(TICKETS.c.id.in_(ids))
                ).all()
            )
        return [wire.appointment(a, self.config, numbers.get(a.ticket_id)) for a in found]

    def appointments_of_day(self, day: str) -> list[Appointment]:
        return self.store.appointments_of_day(day)

    def appointment(self, appointment_id: str) -> Appointment:
        with self.store.read() as session:
            row = session.get(AppointmentRow, appointment_id)
            if row is None:
                raise NotFound("no such appointment", "appointment_not_found")
            return row.to_domain()

    def public_appointment(self, appointment_id: str) -> wire.PublicAppointment:
        """A booking as its phone page shows it (the id is the only key, as for tickets)."""
        return wire.public_appointment(self.appointment(appointment_id), self.config, self.clock())

    def appointment_slots(self, service: str, day: str) -> wire.AppointmentSlots:
        """A day's windows of a service that still take bookings, with their free places."""
        config = self.config
        if not config.takes_appointments(service):
            raise InvalidInput(
                f"service {service!r} takes no appointments", "no_appointments_for_service"
            )
        rules = config.appointments.rules()
        bday = booking.day_of(config, day)
        now = self.clock()
        with self.store.read() as session:
            taken = booking.window_counts(session, service, bday.date)
        windows: list[wire.AppointmentSlot] = [
            {
                "start": wire.iso(start, self.tz) or "",
                "end": wire.iso(end, self.tz) or "",
                "free": max(0, rules.per_slot - taken.get(start, 0)),
            }
            for start, end in appointment_rules.windows(bday.opening, bday.closing, rules)
            if booking.bookable((start, end), now, rules)
        ]
        return {"service": service, "day": bday.date, "windows": windows}
