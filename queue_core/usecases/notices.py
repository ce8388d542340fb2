"""The use cases of "you're next" (``domain.notices``): a customer opts in on the ticket's page
(Web Push, or SMS to a number), what was told is recorded, and the day's requests are erased;
and the appointment's reminder: opted in on the appointment's page, taken once when due.

A request is kept only for its business day: the phone number as a keyed hash (to count the
day's messages per number) and sealed with the ticket as associated data (``notify.phones``),
a push subscription sealed the same way. ``EraseNotices`` deletes every request of an earlier
day: the engine's housekeeping runs it each minute, so a number outlives its day by a minute
at most. An appointment's request is kept for the appointment's day (it is the day it is
for), and deleted with the appointment's cancellation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, delete, func, or_, select
from sqlalchemy.orm import Session

from queue_core.domain import notices
from queue_core.domain.appointments import AppointmentStatus
from queue_core.domain.errors import IllegalMove, InvalidInput, NotFound, TooMany
from queue_core.domain.notices import Seen
from queue_core.domain.tickets import Status
from queue_core.store.models import AppointmentRow, NotifyRow
from queue_core.store.pending import TICKETS
from queue_core.usecases.unit import UnitOfWork

CHANNELS = ("push", "sms")
#: A ticket in these states may still be told something.
FOLLOWED = (Status.REMOTE, Status.WAITING, Status.CALLED, Status.SKIPPED)


@dataclass(frozen=True, slots=True)
class OptIn:
    """Ask to be told when ``[notify] ahead`` are before the ticket and when it is called, on
    one channel; asking again on the same channel replaces the request."""

    ticket_id: str
    channel: str
    sealed: str
    lang: str = "zh"
    number_hash: str | None = None
    #: The most messages one number may get in a day (``[notify.sms] per_number_per_day``).
    per_number: int | None = None

    def run(self, uow: UnitOfWork) -> str:
        if self.channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {self.channel!r}", "unknown_channel")
        visits = uow.tickets(
            select(TICKETS).where(
                or_(TICKETS.c.id == self.ticket_id, TICKETS.c.origin_id == self.ticket_id)
            )
        )
        if not visits:
            raise NotFound("no such ticket", "ticket_not_found")
        t = max(visits, key=lambda v: v.visit)  # a transferred ticket's newest visit
        if t.status not in FOLLOWED or t.business_day != uow.day.date:
            raise IllegalMove("this ticket has nothing more to be told", "ticket_closed")
        if self.number_hash is not None and self.per_number is not None:
            sent = uow.session.execute(
                select(func.coalesce(func.sum(NotifyRow.sent), 0)).where(
                    NotifyRow.number_hash == self.number_hash,
                    NotifyRow.business_day == uow.day.date,
                )
            ).scalar_one()
            if int(sent) >= self.per_number:
                raise TooMany("this number has had today's messages", "sms_daily_limit")
        row = uow.session.scalars(
            select(NotifyRow).where(
                NotifyRow.ticket_id == self.ticket_id, NotifyRow.channel == self.channel
            )
        ).first()
        if row is None:
            row = NotifyRow(ticket_id=self.ticket_id, channel=self.channel, calls_told=0, sent=0)
            uow.session.add(row)
        row.business_day = uow.day.date
        row.sealed = self.sealed
        row.number_hash = self.number_hash
        row.lang = "en" if self.lang == "en" else "zh"
        row.created_at = uow.now
        # Told nothing yet on this channel: a number one ahead is told at once.
        row.near_at_calls, row.calls_told = None, t.call_count
        uow.changed = True
        return self.ticket_id


@dataclass(frozen=True, slots=True)
class OptInAppointment:
    """Ask to be reminded of a booked appointment before its window, on one channel (kept
    under the appointment's id, for its day); asking again replaces the request."""

    appointment_id: str
    channel: str
    sealed: str
    lang: str = "zh"
    number_hash: str | None = None

    def run(self, uow: UnitOfWork) -> str:
        if self.channel not in CHANNELS:
            raise InvalidInput(f"unknown channel {self.channel!r}", "unknown_channel")
        a = uow.session.get(AppointmentRow, self.appointment_id)
        if a is None:
            raise NotFound("no such appointment", "appointment_not_found")
        if a.status != AppointmentStatus.BOOKED.value or a.start <= uow.now:
            raise IllegalMove("this appointment has nothing more to be told", "ticket_closed")
        row = uow.session.scalars(
            select(NotifyRow).where(
                NotifyRow.ticket_id == self.appointment_id, NotifyRow.channel == self.channel
            )
        ).first()
        if row is None:
            row = NotifyRow(ticket_id=self.appointment_id, channel=self.channel, sent=0)
            uow.session.add(row)
        row.business_day = a.day
        row.sealed = self.sealed
        row.number_hash = self.number_hash
        row.lang = "en" if self.lang == "en" else "zh"
        row.created_at = uow.now
        row.near_at_calls, row.calls_told = None, 0  # not reminded yet
        uow.changed = True
        return self.appointment_id


@dataclass(frozen=True, slots=True)
class Reminder:
    """An appointment's reminder to send now, on one channel."""

    request: Request
    service: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class TakeDueReminders:
    """The reminders due now (``notices.reminder_due``), each marked as told before it is
    sent: a restarted engine repeats none (a reminder lost to a crash in between is a
    courtesy lost, never a second message)."""

    before_s: float
    #: The channels that can send a reminder now (SMS needs its template).
    channels: tuple[str, ...] = CHANNELS

    def run(self, uow: UnitOfWork) -> list[Reminder]:
        now = uow.now
        rows = uow.session.execute(
            select(NotifyRow, AppointmentRow)
            .join(AppointmentRow, AppointmentRow.id == NotifyRow.ticket_id)
            .where(
                NotifyRow.channel.in_(self.channels),
                NotifyRow.near_at_calls.is_(None),
                AppointmentRow.status == AppointmentStatus.BOOKED.value,
                AppointmentRow.start > now,
                AppointmentRow.start - self.before_s <= now,
            )
        ).all()
        out = []
        for row, a in rows:
            if not notices.reminder_due(a.start, a.booked_at, now, self.before_s):
                continue
            row.near_at_calls, row.sent = 0, (row.sent or 0) + 1
            uow.changed = True
            seen = Seen(row.near_at_calls, row.calls_told)
            out.append(
                Reminder(Request(row.ticket_id, row.channel, row.sealed, row.lang, seen),
                         a.service, a.start, a.end)
            )  # fmt: skip
        return out


@dataclass(frozen=True, slots=True)
class OptOut:
    """Stop telling (all channels, or one): the request and its sealed data are deleted."""

    ticket_id: str
    channel: str | None = None

    def run(self, uow: UnitOfWork) -> int:
        query = delete(NotifyRow).where(NotifyRow.ticket_id == self.ticket_id)
        if self.channel is not None:
            query = query.where(NotifyRow.channel == self.channel)
        gone = _count(uow.session.execute(query))
        uow.changed = bool(gone)
        return gone


@dataclass(frozen=True, slots=True)
class Request:
    """One channel's request as the notifier works with it."""

    ticket_id: str
    channel: str
    sealed: str
    lang: str
    seen: Seen


@dataclass(frozen=True, slots=True)
class RecordTold:
    """What a channel has now been told (``seen``), and how many messages went."""

    ticket_id: str
    channel: str
    seen: Seen
    sent: int

    def run(self, uow: UnitOfWork) -> None:
        row = uow.session.scalars(
            select(NotifyRow).where(
                NotifyRow.ticket_id == self.ticket_id, NotifyRow.channel == self.channel
            )
        ).first()
        if row is None:  # opted out meanwhile
            return
        row.near_at_calls, row.calls_told = self.seen.near_at_calls, self.seen.calls_told
        row.sent = (row.sent or 0) + self.sent
        uow.changed = True


@dataclass(frozen=True, slots=True)
class EraseNotices:
    """Delete every request of an earlier business day (numbers and subscriptions alike)."""

    def run(self, uow: UnitOfWork) -> int:
        gone = _count(
            uow.session.execute(delete(NotifyRow).where(NotifyRow.business_day < uow.day.date))
        )
        uow.changed = bool(gone)
        return gone


def _count(result: Result[Any]) -> int:
    """How many rows a DELETE removed."""
    return int(getattr(result, "rowcount", 0) or 0)


def requests_of(session: Session, ticket_ids: list[str] | None = None) -> list[Request]:
    """The requests kept (of some tickets), for the notifier."""
    query = select(NotifyRow)
    if ticket_ids is not None:
        query = query.where(NotifyRow.ticket_id.in_(ticket_ids))
    return [
        Request(r.ticket_id, r.channel, r.sealed, r.lang, Seen(r.near_at_calls, r.calls_told))
        for r in session.scalars(query)
    ]
