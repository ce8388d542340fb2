"""A check-in code typed at the branch: by the lobby manager into the console, or by the
customer on the kiosk's touch screen (or read there by a scanner that types like a keyboard).

One code names a ticket taken from a phone or a booked appointment (``free_check_in_code``
keeps them apart), so one command checks in either, by the rules of ``remote.CheckIn`` and
``appointments.CheckInAppointments``; a code that names nothing waiting says why, with a
stable code for what the customer must do next: ``check_in_code_unknown`` (mistyped),
``check_in_code_used`` (already checked in: the number is in the queue),
``check_in_expired`` (a phone's ticket not checked in within its validity), ``check_in_cancelled``
(given back or withdrawn), and the appointment's own ``too_early``, ``appointment_missed``,
``cannot_check_in_cancelled``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from queue_core.domain import remote
from queue_core.domain import tickets as moves
from queue_core.domain.appointments import AppointmentStatus
from queue_core.domain.errors import DomainError, IllegalMove, InvalidInput, NotFound
from queue_core.domain.tickets import Status, Ticket
from queue_core.store.models import AppointmentRow
from queue_core.store.pending import TICKETS
from queue_core.usecases.appointments import CheckInAppointments
from queue_core.usecases.remote import CheckIn
from queue_core.usecases.unit import UnitOfWork


def typed_code(text: str) -> str:
    """The code in what was typed (``remote.typed_code``), or a refusal."""
    code = remote.typed_code(text)
    if code is None:
        raise InvalidInput(
            f"a check-in code is {remote.CODE_DIGITS} digits", "invalid_check_in_code"
        )
    return code


@dataclass(frozen=True, slots=True)
class CheckInByCode:
    """Check in the remote ticket or the appointment whose code was typed; answers its ticket
    in the queue (with its people ahead and wait, as an issued ticket's).

    A kiosk gives ``idempotency_key`` (and its name, ``principal``): a retry after a lost
    answer gets the same ticket instead of "already used"."""

    code: str
    principal: str = ""
    idempotency_key: str | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        code = typed_code(self.code)
        request_hash = hashlib.sha256(f"check-in:{code}".encode()).hexdigest()
        first = uow.replayed(self.principal, self.idempotency_key, request_hash)
        if first is not None:
            return first
        ticket = self._check_in(uow, code)
        if self.idempotency_key:
            uow.tx.rows.save_idempotent(
                self.principal, self.idempotency_key, request_hash, ticket.id, uow.now
            )
        return ticket

    def _check_in(self, uow: UnitOfWork, code: str) -> Ticket:
        waiting = uow.tickets(
            select(TICKETS).where(
                TICKETS.c.check_in_code == code, TICKETS.c.status == Status.REMOTE.value
            )
        )
        if waiting:
            t = waiting[0]
            if t.remote_until is not None and uow.now >= t.remote_until:
                # The housekeeping lapses it within the minute; refused before any change.
                raise IllegalMove(
                    f"this ticket from the phone was valid until {_hhmm(uow, t.remote_until)}: "
                    "take a new ticket",
                    "check_in_expired",
                )
            CheckIn(ticket_code=code).run(uow)
            return uow.ticket(t.id)
        booked = uow.session.scalars(
            select(AppointmentRow).where(
                AppointmentRow.code == code,
                AppointmentRow.status == AppointmentStatus.BOOKED.value,
            )
        ).first()
        if booked is not None:
            done = CheckInAppointments(code=code).run(uow)
            return done.tickets[0]
        raise self._why_not(uow, code)

    def _why_not(self, uow: UnitOfWork, code: str) -> DomainError:
        """Why a code names nothing waiting for its check-in: the latest ticket or appointment
        that had it (a code is free again once used, so the latest is the customer's)."""
        used = uow.tickets(
            select(TICKETS).where(
                TICKETS.c.check_in_code == code, TICKETS.c.business_day == uow.day.date
            )
        )
        ticket = max(used, key=lambda t: t.issued_at, default=None)
        row = uow.session.scalars(
            select(AppointmentRow)
            .where(AppointmentRow.code == code, AppointmentRow.day == uow.day.date)
            .order_by(AppointmentRow.booked_at.desc())
        ).first()
        if row is not None and (ticket is None or row.booked_at > ticket.issued_at):
            return _appointment_refusal(uow, row)
        if ticket is None:
            return NotFound(
                "no ticket or appointment waits with this code: check its 8 digits",
                "check_in_code_unknown",
            )
        if moves.lapsed(ticket):
            return IllegalMove(
                "this ticket from the phone was not checked in in time: take a new ticket",
                "check_in_expired",
            )
        if ticket.status is Status.CANCELLED:
            return IllegalMove("this ticket was given back or cancelled", "check_in_cancelled")
        return IllegalMove(
            f"this code was used already: number {ticket.number} is in the queue",
            "check_in_code_used",
        )


def _appointment_refusal(uow: UnitOfWork, row: AppointmentRow) -> DomainError:
    status = AppointmentStatus(row.status)
    if status is AppointmentStatus.ARRIVED:
        number = uow.ticket(row.ticket_id).number if row.ticket_id else ""
        return IllegalMove(
            f"this appointment was checked in already: number {number} is in the queue",
            "check_in_code_used",
        )
    if status is AppointmentStatus.NO_SHOW:
        return IllegalMove("the appointment's window has passed", "appointment_missed")
    return IllegalMove("the appointment is cancelled", "cannot_check_in_cancelled")


def _hhmm(uow: UnitOfWork, at: float) -> str:
    return datetime.fromtimestamp(at, uow.config.zone).strftime("%H:%M")
