"""Care for those who need it: when the kiosk opens in care mode. Pure.

Care mode (关爱模式: large type, high contrast, fewer choices, spoken guidance) is one tap
away on every kiosk; a branch may also make it the kiosk's first screen, always or on its
pension days (the 13th and the days after, when the hall is full of elderly customers).
Nothing here asks for or keeps a customer's age: care is offered to anyone, and whoever takes
it says only that they want it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from queue_core.domain.errors import InvalidInput

#: The days of the month pensions are paid, and the busiest days after (seeds 002).
PENSION_DAYS = (13, 14, 15)


class CareDefault(StrEnum):
    """When the kiosk starts (and returns after idling) in care mode."""

    NEVER = "never"
    PENSION_DAYS = "pension_days"
    ALWAYS = "always"


def care_by_default(day: date, default: CareDefault, pension_days: Collection[int]) -> bool:
    """Whether the kiosk's first screen on ``day`` (the branch's local date) is in care mode."""
    if default is CareDefault.ALWAYS:
        return True
    if default is CareDefault.PENSION_DAYS:
        return day.day in pension_days
    return False


# Help at the kiosk ("请大堂经理帮忙")
class HelpState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"  # a call for help: the lobby manager is on the way
    GRANTED = "granted"  # a green-channel request, confirmed
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class HelpTicket:
    """The ticket a green-channel request is about: enough for the lobby manager to find it."""

    id: str
    number: str
    service: str


@dataclass(frozen=True, slots=True)
class HelpRequest:
    """A kiosk's call for the lobby manager (``kind`` help): which kiosk, when, and whether it
    was answered, nothing about the customer; or (``kind`` care, with its ``ticket``) a
    care-mode customer's request for the green channel, for the lobby manager to confirm."""

    id: str
    device: str
    state: HelpState
    at: float
    answered_at: float | None = None
    ticket: HelpTicket | None = None

    @property
    def kind(self) -> str:
        return "help" if self.ticket is None else "care"


def answer(request: HelpRequest, now: float, grant: bool | None = None) -> HelpRequest:
    """The lobby manager is on the way; a green-channel request is granted or declined
    (``grant``, which it needs). A request already answered stays as it was."""
    if request.state is not HelpState.OPEN:
        return request
    state = HelpState.ANSWERED
    if request.ticket is not None:
        if grant is None:
            raise InvalidInput("say whether the green channel is granted", "grant_missing")
        state = HelpState.GRANTED if grant else HelpState.DECLINED
    return replace(request, state=state, answered_at=now)


def latest(changes: Iterable[HelpRequest]) -> list[HelpRequest]:
    """Each request in its latest state, in the order they were made, from the day's changes
    in order (each ``help`` event carries a request's state after the change)."""
    found: dict[str, HelpRequest] = {}
    for change in changes:
        found[change.id] = change  # keeps the place of the request's first change
    return list(found.values())


def open_requests(changes: Iterable[HelpRequest]) -> list[HelpRequest]:
    """The help requests still waiting for the lobby manager, oldest first."""
    return [r for r in latest(changes) if r.state is HelpState.OPEN]


# Privacy (PIPL; JR/T 0171-2020 counts card numbers as sensitive)
def card_hash_cutoff(today: date, keep_days: int) -> str:
    """The first business day whose tickets may still hold a card hash: older ones are erased."""
    return (today - timedelta(days=keep_days)).isoformat()
