"""What happened in the hall, as the use cases say it: one frozen dataclass per event.

A use case emits these during its transaction; at commit ``queue_core.wire`` renders each once
into the event stream's ``{"type", "data"}`` (its ``type`` is the name on the stream), with the
queue as of that commit. Nothing here knows JSON or the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from queue_core.domain.announcements import Announcement
from queue_core.domain.appointments import Appointment
from queue_core.domain.care import HelpRequest
from queue_core.domain.counters import Counter
from queue_core.domain.devices import DeviceReport
from queue_core.domain.staffing import AdviceRecord, Forecast
from queue_core.domain.tickets import Ticket


@dataclass(frozen=True, slots=True)
class TicketEvent:
    """A ticket's visit changed (``ticket`` is its state right after)."""

    type: ClassVar[str] = "ticket"
    ticket: Ticket


@dataclass(frozen=True, slots=True)
class TicketIssued(TicketEvent):
    type: ClassVar[str] = "ticket.issued"


@dataclass(frozen=True, slots=True)
class TicketCalled(TicketEvent):
    type: ClassVar[str] = "ticket.called"
    counter: int


@dataclass(frozen=True, slots=True)
class TicketRecalled(TicketEvent):
    type: ClassVar[str] = "ticket.recalled"
    counter: int


@dataclass(frozen=True, slots=True)
class TicketStarted(TicketEvent):
    type: ClassVar[str] = "ticket.started"


@dataclass(frozen=True, slots=True)
class TicketSkipped(TicketEvent):
    type: ClassVar[str] = "ticket.skipped"


@dataclass(frozen=True, slots=True)
class TicketFinished(TicketEvent):
    type: ClassVar[str] = "ticket.finished"


@dataclass(frozen=True, slots=True)
class TicketReassigned(TicketEvent):
    type: ClassVar[str] = "ticket.reassigned"


@dataclass(frozen=True, slots=True)
class TicketTransferred(TicketEvent):
    """The visit closed (``ticket``) and the customer waits again (``new_ticket``)."""

    type: ClassVar[str] = "ticket.transferred"
    new_ticket: Ticket


@dataclass(frozen=True, slots=True)
class TicketCancelled(TicketEvent):
    """Withdrawn by the lobby manager, or voided at the end of its day (``reason``)."""

    type: ClassVar[str] = "ticket.cancelled"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TicketGreenChannel(TicketEvent):
    """The lobby manager granted a waiting ticket the green channel (asked for in care mode)."""

    type: ClassVar[str] = "ticket.green_channel"


@dataclass(frozen=True, slots=True)
class TicketTaken(TicketEvent):
    """A phone took a ticket: it waits for its check-in (``remote``)."""

    type: ClassVar[str] = "ticket.taken"


@dataclass(frozen=True, slots=True)
class TicketCheckedIn(TicketEvent):
    """A ticket taken from a phone was checked in at the branch: it waits in the hall now."""

    type: ClassVar[str] = "ticket.checked_in"


@dataclass(frozen=True, slots=True)
class TicketHeld(TicketEvent):
    """Its paper ticket did not print (``reason``: the printer's code): out of the line."""

    type: ClassVar[str] = "ticket.held"
    reason: str


@dataclass(frozen=True, slots=True)
class TicketReleased(TicketEvent):
    """Back in the line: a reprint printed (``reason`` ``printed``) or the lobby let it go
    (``lobby``)."""

    type: ClassVar[str] = "ticket.released"
    reason: str


@dataclass(frozen=True, slots=True)
class ReprintRequested(TicketEvent):
    """The lobby manager asks ``kiosk`` to print the ticket again; ``ticket`` is as it will
    print: with the place it has once back in the line."""

    type: ClassVar[str] = "ticket.reprint"
    kiosk: str


@dataclass(frozen=True, slots=True)
class TicketRated(TicketEvent):
    type: ClassVar[str] = "ticket.rated"


@dataclass(frozen=True, slots=True)
class RatingRequested(TicketEvent):
    """The teller asks the customer at (or just gone from) the desk to rate."""

    type: ClassVar[str] = "ticket.rating_requested"
    counter: int


@dataclass(frozen=True, slots=True)
class CounterUpdated:
    """A counter changed: its state, who holds it, or who is at its desk (``current``)."""

    type: ClassVar[str] = "counter.updated"
    counter: Counter
    current: Ticket | None = None


@dataclass(frozen=True, slots=True)
class AnnouncementChanged:
    """An announcement was made or ended."""

    type: ClassVar[str] = "announcement"
    announcement: Announcement


@dataclass(frozen=True, slots=True)
class DeviceUpdated:
    """A device's health report changed."""

    type: ClassVar[str] = "device.updated"
    device: DeviceReport


@dataclass(frozen=True, slots=True)
class HelpChanged:
    """A kiosk asked for the lobby manager, or the lobby manager answered."""

    type: ClassVar[str] = "help"
    request: HelpRequest


@dataclass(frozen=True, slots=True)
class AppointmentEvent:
    """An appointment changed (``domain.appointments``); the stream carries it without its
    check-in code or the lobby's note."""

    type: ClassVar[str] = "appointment"
    appointment: Appointment


@dataclass(frozen=True, slots=True)
class AppointmentBooked(AppointmentEvent):
    type: ClassVar[str] = "appointment.booked"


@dataclass(frozen=True, slots=True)
class AppointmentCancelled(AppointmentEvent):
    type: ClassVar[str] = "appointment.cancelled"


@dataclass(frozen=True, slots=True)
class AppointmentArrived(AppointmentEvent):
    """The customer checked in within the window: its ticket joined the queue."""

    type: ClassVar[str] = "appointment.arrived"


@dataclass(frozen=True, slots=True)
class AppointmentMissed(AppointmentEvent):
    """The window passed without a check-in: a no-show, its place released."""

    type: ClassVar[str] = "appointment.no_show"


@dataclass(frozen=True, slots=True)
class StaffingAdvised:
    """A staffing advice was given, or what became of it changed (followed, dismissed,
    expired, its hour observed)."""

    type: ClassVar[str] = "staffing.advice"
    advice: AdviceRecord


@dataclass(frozen=True, slots=True)
class StaffingAlert:
    """The forecast for the coming hour passed the branch's target, or came back within it."""

    type: ClassVar[str] = "staffing.alert"
    forecast: Forecast


DomainEvent = (
    TicketEvent
    | CounterUpdated
    | AnnouncementChanged
    | DeviceUpdated
    | HelpChanged
    | AppointmentEvent
    | StaffingAdvised
    | StaffingAlert
)
