"""The business day: what belongs to today, and what a day change does to the hall.

A branch's day runs from midnight to midnight in its own time zone. Nothing of an earlier day
carries over into a new one:

- tickets still open (waiting, called, serving, skipped) are void: ``expire`` → ``cancelled``;
- counters start the day closed, held by nobody;
- the hall's recent calls are today's calls only;
- an announcement given without an end time ends with its day.

``DayChange`` lists those consequences for the engine to apply in one transaction, before
anything else is done on the new day, so that no use case ever sees yesterday's hall.
Times are epoch seconds passed in; this module never reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from queue_core.domain import counters as counter_moves
from queue_core.domain import tickets as ticket_moves
from queue_core.domain.counters import Counter
from queue_core.domain.tickets import OPEN_STATES, Ticket


def _at(day: date, hhmm: str, tz: tzinfo) -> float:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tz).timestamp()


@dataclass(frozen=True, slots=True)
class BusinessDay:
    """One business day of a branch: its date and its bounds (epoch seconds).

    ``opening`` and ``closing`` are the branch's hours that day (``[branch] opening, closing``).
    """

    date: str
    start: float
    end: float
    opening: float
    closing: float

    @classmethod
    def of(
        cls, now: float, tz: tzinfo, opening: str = "09:00", closing: str = "17:00"
    ) -> BusinessDay:
        """The business day that ``now`` falls in."""
        day = datetime.fromtimestamp(now, tz).date()
        return cls(
            date=day.isoformat(),
            start=datetime.combine(day, time(0), tz).timestamp(),
            end=datetime.combine(day + timedelta(days=1), time(0), tz).timestamp(),
            opening=_at(day, opening, tz),
            closing=_at(day, closing, tz),
        )

    def contains(self, ts: float) -> bool:
        """Whether an epoch time falls on this day."""
        return self.start <= ts < self.end

    def is_earlier(self, business_day: str) -> bool:
        """Whether a ticket's ``business_day`` (``YYYY-MM-DD``) is before this day."""
        return business_day < self.date

    def offers(
        self, service: str, counters: Sequence[tuple[Counter, tuple[str, ...]]], now: float
    ) -> bool:
        """Whether the kiosk offers a service now.

        Yes when a counter serving it is open or paused (a counter paused for lunch comes
        back); and, while no counter of the branch works, until the day's closing time: before
        opening every service is offered, so that the first customers can take their number.
        """
        if counter_moves.serves_today(service, counters):
            return True
        idle = all(c.state not in counter_moves.SERVING_STATES for c, _ in counters)
        return idle and now < self.closing

    def announcement_active(
        self, created_at: float, until: float | None, ended_at: float | None, now: float
    ) -> bool:
        """An announcement is in force until it is ended, its ``until`` passes, or — given
        without ``until`` — its business day ends."""
        if ended_at is not None:
            return False
        if until is not None:
            return until > now
        return self.contains(created_at)

    def change(
        self, open_tickets: Iterable[Ticket], counters: Iterable[Counter], now: float
    ) -> DayChange:
        """What starting this day does to the hall left by earlier days: the earlier days'
        open tickets (``open_tickets`` may hold today's too: they are kept) and the counters
        not yet closed."""
        voided = tuple(
            ticket_moves.expire(t, now)
            for t in open_tickets
            if t.status in OPEN_STATES and self.is_earlier(t.business_day)
        )
        gone = {t.id for t in voided}
        closed = []
        for c in counters:
            if c.since < self.start or c.current_id in gone:
                after = counter_moves.end_of_day(c, now)
                if after != c:
                    closed.append(after)
        return DayChange(self, voided, tuple(closed))


@dataclass(frozen=True, slots=True)
class DayChange:
    """The consequences of a new business day: tickets voided, counters closed."""

    day: BusinessDay
    voided: tuple[Ticket, ...]
    closed: tuple[Counter, ...]

    def __bool__(self) -> bool:
        return bool(self.voided or self.closed)
