"""Appointments: a booked time window for one service, and where it puts the customer in the
queue when they check in. Pure: times are epoch seconds passed in.

The rule of place (documented in docs/appointments.md, simulated by
``queue_core.sim.appointments``): a customer who checks in within their window joins the queue
as if they had arrived ``head_start_s`` before ``max(check-in, window start)``. Every policy
(``fifo``, ``strict``, ``aging``) orders a class (same tier and green channel) by that time, so
they go ahead of the walk-ins of their class who arrived less than ``head_start_s`` before
them, and behind everyone who has waited longer than that. Walk-ins do not starve: each is
overtaken only by appointment holders who check in within ``head_start_s`` after them, and the
windows' capacity (``per_slot``) bounds how many those can be. Checking in early earns nothing
beyond the window's start; checking in late earns nothing for the lateness. A window that ends
without a check-in makes the appointment a no-show and frees its place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from queue_core.domain.errors import IllegalMove, InvalidInput
from queue_core.domain.figures import duration_block
from queue_core.domain.tickets import Ticket


class AppointmentStatus(StrEnum):
    BOOKED = "booked"
    ARRIVED = "arrived"  # checked in: its ticket is in the queue
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class AppointmentRules:
    """The branch's appointment settings (``[appointments]``)."""

    slot_s: float = 30 * 60  # the length of a booking window
    per_slot: int = 4  # bookings per window and service
    early_s: float = 15 * 60  # how long before its window a customer may check in
    late_s: float = 0.0  # how long after its window's end they still may
    head_start_s: float = 15 * 60  # the bounded head start over walk-ins of the same class
    book_ahead_days: int = 7  # how far ahead a window may be booked
    book_until_s: float = 60 * 60  # a window can be booked until this long before it starts


@dataclass(frozen=True, slots=True)
class Appointment:
    id: str
    code: str  # what the customer shows or types at check-in (short, digits)
    service: str
    day: str  # business day, YYYY-MM-DD
    start: float
    end: float
    status: AppointmentStatus
    booked_at: float
    booked_by: str  # "lobby:<login>" or "phone"
    tier: str
    green_channel: bool = False
    note: str = ""  # for the lobby: what to prepare (never shown to the hall)
    ticket_id: str | None = None
    checked_in_at: float | None = None
    closed_at: float | None = None


def check_booking(
    start: float,
    end: float,
    now: float,
    booked_in_window: int,
    rules: AppointmentRules,
    opening: float,
    closing: float,
) -> None:
    """Whether a window may be booked now; ``InvalidInput``/``IllegalMove`` saying why not.
    ``opening``/``closing`` are the branch's hours on the window's day."""
    if end <= start or end - start > rules.slot_s + 1:
        raise InvalidInput("a window is one booking slot", "invalid_window")
    if start < opening or end > closing:
        raise InvalidInput("the window is outside opening hours", "outside_opening_hours")
    if start - now < rules.book_until_s:
        raise IllegalMove("this window can no longer be booked", "too_late_to_book")
    if start - now > rules.book_ahead_days * 86400:
        raise IllegalMove("this window cannot be booked yet", "too_early_to_book")
    if booked_in_window >= rules.per_slot:
        raise IllegalMove("this window is fully booked", "window_full")


def queue_time(appointment: Appointment, now: float, rules: AppointmentRules) -> float:
    """The ``queued_at`` an appointment's ticket gets when it checks in at ``now``."""
    return max(now, appointment.start) - rules.head_start_s


def check_in(appointment: Appointment, now: float, rules: AppointmentRules) -> Appointment:
    """The customer arrived: the appointment becomes ``arrived`` (its ticket is the caller's
    to make, with ``queue_time``); refused outside the window, with a stable code."""
    if appointment.status is not AppointmentStatus.BOOKED:
        raise IllegalMove(
            f"the appointment is {appointment.status.value}",
            f"cannot_check_in_{appointment.status.value}",
        )
    if now < appointment.start - rules.early_s:
        raise IllegalMove("too early for this appointment: come back nearer its time", "too_early")
    if now > appointment.end + rules.late_s:
        raise IllegalMove("the appointment's window has passed", "appointment_missed")
    return replace(appointment, status=AppointmentStatus.ARRIVED, checked_in_at=now)


def attach_ticket(appointment: Appointment, ticket_id: str) -> Appointment:
    return replace(appointment, ticket_id=ticket_id)


def cancel(appointment: Appointment, now: float) -> Appointment:
    if appointment.status is not AppointmentStatus.BOOKED:
        raise IllegalMove(
            f"the appointment is {appointment.status.value}",
            f"cannot_cancel_{appointment.status.value}",
        )
    return replace(appointment, status=AppointmentStatus.CANCELLED, closed_at=now)


def is_overdue(appointment: Appointment, now: float, rules: AppointmentRules) -> bool:
    """Booked, and its window (with the grace after it) is over: a no-show to release."""
    return appointment.status is AppointmentStatus.BOOKED and now > appointment.end + rules.late_s


def release(appointment: Appointment, now: float) -> Appointment:
    """A no-show: the window passed without a check-in; its place is free again."""
    return replace(appointment, status=AppointmentStatus.NO_SHOW, closed_at=now)


def windows(opening: float, closing: float, rules: AppointmentRules) -> list[tuple[float, float]]:
    """A day's booking windows from opening to closing, ``slot_s`` long."""
    out = []
    start = opening
    while start + rules.slot_s <= closing + 1:
        out.append((start, start + rules.slot_s))
        start += rules.slot_s
    return out


def day_figures(appointments: Sequence[Appointment], tickets: Sequence[Ticket]) -> dict[str, Any]:
    """A day's appointments in figures: ``booked`` (made for the day and not cancelled),
    ``arrived``, ``no_show``, ``cancelled``, ``expected`` (booked, window still to come), and
    of those who arrived, ``waits`` (check-in to first call) and ``past_start`` (window start
    to the call; 0 when called before it). ``tickets`` are the day's visits."""
    first_call: dict[str, float] = {}
    for t in tickets:
        if t.appointment is not None and t.called_at is not None and t.visit == 1:
            first_call[t.appointment] = t.called_at
    counts = {s: 0 for s in AppointmentStatus}
    waits: list[float] = []
    past_start: list[float] = []
    for a in appointments:
        counts[a.status] += 1
        called = first_call.get(a.id)
        if a.status is AppointmentStatus.ARRIVED and called is not None:
            waits.append(max(0.0, called - (a.checked_in_at or called)))
            past_start.append(max(0.0, called - a.start))
    return {
        "booked": len(appointments) - counts[AppointmentStatus.CANCELLED],
        "arrived": counts[AppointmentStatus.ARRIVED],
        "no_show": counts[AppointmentStatus.NO_SHOW],
        "cancelled": counts[AppointmentStatus.CANCELLED],
        "expected": counts[AppointmentStatus.BOOKED],
        "waits": duration_block(waits, 180.0),
        "past_start": duration_block(past_start),
    }
