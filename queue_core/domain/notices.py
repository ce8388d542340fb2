"""When a customer who opted in is told their turn is near: pure, from the ticket's state.

Three notices: ``near`` once when at most ``ahead`` people are before a waiting ticket (again
after a missed call that the lobby put back in the queue), and ``called`` at each call of the
ticket (a recall means the customer has not come yet); and for an appointment, ``reminder``
once before its window (``reminder_due``). Nothing is sent for a ticket that is closed or
expired, nor for an appointment no longer booked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Notice(StrEnum):
    NEAR = "near"
    CALLED = "called"
    REMINDER = "reminder"


@dataclass(frozen=True, slots=True)
class Seen:
    """What a ticket's customer has been told so far."""

    near_at_calls: int | None = None  # the ticket's call count when ``near`` was sent
    calls_told: int = 0


def due(
    seen: Seen, status: str, ahead: int | None, call_count: int, expired: bool, threshold: int
) -> tuple[Seen, list[Notice]]:
    """The notices to send now and what will then have been told."""
    if expired:
        return seen, []
    out: list[Notice] = []
    if status == "called" and call_count > seen.calls_told:
        out.append(Notice.CALLED)
        seen = replace(seen, calls_told=call_count)
    elif (
        status == "waiting"
        and ahead is not None
        and ahead <= threshold
        and (seen.near_at_calls is None or call_count > seen.near_at_calls)
    ):
        out.append(Notice.NEAR)
        seen = replace(seen, near_at_calls=call_count)
    return seen, out


def reminder_due(start: float, booked_at: float, now: float, before_s: float) -> bool:
    """Whether an appointment still booked and not yet reminded is reminded at ``now``: from
    ``before_s`` ahead of its window's start until the start; one booked within that time
    was made with the window in mind and gets none."""
    begins = start - before_s
    return booked_at < begins <= now < start


def reminder_ahead(start: float, booked_at: float, now: float, before_s: float) -> bool:
    """Whether an appointment's reminder is still to come at ``now`` (``reminder_due`` has not
    begun): what the appointment's page offers the opt-in by."""
    begins = start - before_s
    return booked_at < begins and now < begins
