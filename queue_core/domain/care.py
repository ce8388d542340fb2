"""Care for those who need it: when the kiosk opens in care mode. Pure.

Care mode (关爱模式: large type, high contrast, fewer choices, spoken guidance) is one tap
away on every kiosk; a branch may also make it the kiosk's first screen, always or on its
pension days (the 13th and the days after, when the hall is full of elderly customers).
Nothing here asks for or keeps a customer's age: care is offered to anyone, and whoever takes
it says only that they want it.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from enum import StrEnum

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
