"""Appointments: the lobby books, lists, cancels and checks them in; where the branch allows
it (``[appointments] phone``), the phone page books one and shows it at ``/a/{id}``.

The lobby sees the whole booking (its check-in code, its note); the phone, which knows the
appointment only by its opaque id, sees its window, its state and its code
(``wire.public_appointment``).
"""

from __future__ import annotations

from datetime import date as Date
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from starlette.concurrency import run_in_threadpool
from typing_extensions import TypedDict

from queue_core import wire
from queue_core.api.deps import BranchDep, Lobby
from queue_core.api.errors import ERRORS
from queue_core.api.schemas import BookBody, PhoneBookBody
from queue_core.usecases import Branch
from queue_core.usecases import appointments as uc

router = APIRouter(tags=["appointments"], responses=ERRORS)

AppointmentId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ServiceCode = Annotated[str, Query(min_length=1, max_length=16)]


class CheckedIn(TypedDict):
    """An appointment checked in: it as it is now, and its ticket in the queue."""

    appointment: wire.AppointmentBody
    ticket: wire.TicketBody


def _one(branch: Branch, appointment_id: str) -> wire.AppointmentBody:
    a = branch.reads.appointment(appointment_id)
    number = branch.reads.ticket(a.ticket_id)["number"] if a.ticket_id else None
    return wire.appointment(a, branch.config, number)


def _checked_in(branch: Branch, done: uc.CheckedInAppointments) -> CheckedIn:
    a = done.appointments[0]
    assert a.ticket_id is not None, "a checked-in appointment has its ticket"
    ticket = branch.reads.ticket(a.ticket_id)
    return {"appointment": wire.appointment(a, branch.config, ticket["number"]), "ticket": ticket}


# ---------------------------------------------------------------------- the lobby's
@router.get("/appointments", response_model=list[wire.AppointmentBody])
def appointments(
    caller: Lobby, branch: BranchDep, day: Date | None = None
) -> list[wire.AppointmentBody]:
    """A day's appointments (today's when no ``day`` is given), in the order of their
    windows: what to prepare for tomorrow's, who is still expected today."""
    return branch.reads.appointments(day.isoformat() if day else branch.reads.today())


@router.get("/appointments/slots", response_model=wire.AppointmentSlots)
def lobby_slots(
    caller: Lobby, branch: BranchDep, service: ServiceCode, day: Date
) -> wire.AppointmentSlots:
    """A day's windows of a service that still take bookings, with their free places."""
    return branch.reads.appointment_slots(service, day.isoformat())


@router.post(
    "/appointments", status_code=status.HTTP_201_CREATED, response_model=wire.AppointmentBody
)
async def book(body: BookBody, caller: Lobby, branch: BranchDep) -> wire.AppointmentBody:
    """Book a window for a customer at the lobby (a tier, the green channel and a note of what
    to prepare may be given); the answer has the check-in code to hand the customer."""
    command = uc.BookAppointment(
        service=body.service,
        day=body.day.isoformat(),
        start=body.start.timestamp(),
        booked_by=f"lobby:{caller.name}",
        tier=body.tier,
        green_channel=body.green_channel,
        note=body.note,
    )
    done = await branch.execute(command)
    return wire.appointment(done.value, branch.config)


@router.post("/appointments/{appointment_id}/cancel", response_model=wire.AppointmentBody)
async def cancel(
    appointment_id: AppointmentId, caller: Lobby, branch: BranchDep
) -> wire.AppointmentBody:
    """Cancel a booked appointment; its place is free again."""
    done = await branch.execute(uc.CancelAppointment(appointment_id))
    return wire.appointment(done.value, branch.config)


@router.post("/appointments/{appointment_id}/check-in", response_model=CheckedIn)
async def check_in(appointment_id: AppointmentId, caller: Lobby, branch: BranchDep) -> CheckedIn:
    """The customer is here: their ticket joins the queue, ahead of the walk-ins of their
    class by the head start (docs/appointments.md); refused outside the window."""
    done = await branch.execute(uc.CheckInAppointments((appointment_id,), by_lobby=True))
    return await run_in_threadpool(_checked_in, branch, done.value)


# ---------------------------------------------------------------------- the phone's
@router.get("/phone/appointments/slots", response_model=wire.AppointmentSlots)
def phone_slots(branch: BranchDep, service: ServiceCode, day: Date) -> wire.AppointmentSlots:
    """The windows the phone page offers (only where the branch books from phones)."""
    if not branch.config.appointments.phone:
        return {"service": service, "day": day.isoformat(), "windows": []}
    today = Date.fromisoformat(branch.reads.today())
    if not today <= day <= today + timedelta(days=branch.config.appointments.book_ahead_days):
        return {"service": service, "day": day.isoformat(), "windows": []}
    return branch.reads.appointment_slots(service, day.isoformat())


@router.post(
    "/phone/appointments",
    status_code=status.HTTP_201_CREATED,
    response_model=wire.PublicAppointment,
)
async def phone_book(body: PhoneBookBody, branch: BranchDep) -> wire.PublicAppointment:
    """Book a window from the phone page; the answer's ``public_url`` is its page (``/a/…``),
    with the code to check in with."""
    command = uc.BookAppointment(
        service=body.service,
        day=body.day.isoformat(),
        start=body.start.timestamp(),
        booked_by="phone",
        browser=body.browser,
    )
    done = await branch.execute(command)
    return wire.public_appointment(done.value, branch.config, branch.clock())


@router.get("/appointments/{appointment_id}/public", response_model=wire.PublicAppointment)
def public(appointment_id: AppointmentId, branch: BranchDep) -> wire.PublicAppointment:
    """An appointment as its phone page shows it; the opaque id is the only key."""
    return branch.reads.public_appointment(appointment_id)


@router.post("/appointments/{appointment_id}/public/cancel", response_model=wire.PublicAppointment)
async def public_cancel(appointment_id: AppointmentId, branch: BranchDep) -> wire.PublicAppointment:
    """The customer cancels from the appointment's page."""
    done = await branch.execute(uc.CancelAppointment(appointment_id))
    return wire.public_appointment(done.value, branch.config, branch.clock())
