"""Care for those who need it: when the kiosk opens in care mode. Pure.

Care mode (关爱模式: large type, high contrast, fewer choices, spoken guidance) is one tap
away on every kiosk; a branch may also make it the kiosk's first screen, always or on its
pension days (the 13th and the days after, when the hall is full of elderly customers).
Nothing here asks for or keeps a customer's age: care is offered to anyone, and whoever takes
it says only that they want it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

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


def open_requests(changes: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The help requests still waiting for the lobby manager, oldest first, from the day's
    ``help`` events in order (each carries a request's id and its state after the change)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for change in changes:
        latest[str(change["id"])] = change  # keeps the place of the request's first event
    return [c for c in latest.values() if c.get("state") == HelpState.OPEN]


# Privacy (PIPL; JR/T 0171-2020 counts card numbers as sensitive)
def card_hash_cutoff(today: date, keep_days: int) -> str:
    """The first business day whose tickets may still hold a card hash: older ones are erased."""
    return (today - timedelta(days=keep_days)).isoformat()
