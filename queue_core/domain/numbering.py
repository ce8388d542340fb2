"""Daily ticket numbers: the service prefix and a sequence that restarts each business day.

The sequence is at least three digits (``A001``…``A999``); after 999 it simply goes on with
four (``A1000``), so a number never repeats within a day and nothing is refused at a peak.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

MIN_DIGITS = 3


def business_day(now: float, tz: tzinfo) -> str:
    """The branch's business day (``YYYY-MM-DD``) of an epoch time, in the branch's time zone."""
    return datetime.fromtimestamp(now, tz).date().isoformat()


def format_number(prefix: str, seq: int) -> str:
    """``format_number("A", 12) == "A012"``; sequences past 999 widen instead of wrapping."""
    if seq < 1:
        raise ValueError("ticket sequences start at 1")
    return f"{prefix}{seq:0{MIN_DIGITS}d}"


def parse_number(number: str) -> tuple[str, int] | None:
    """Split ``"VA012"`` into ``("VA", 12)``; None when it is not a ticket number."""
    digits = len(number) - len(number.rstrip("0123456789"))
    if digits < MIN_DIGITS or digits == len(number):
        return None
    return number[:-digits], int(number[-digits:])
