"""The hall's marquee announcements: in force until ended, until their ``until`` passes, or,
given without one, until their business day ends (a new day starts with a clean marquee)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from queue_core.domain.business_day import BusinessDay


@dataclass(frozen=True, slots=True)
class Announcement:
    id: int
    text: str
    created_at: float
    created_by: str
    until: float | None = None
    ended_at: float | None = None

    def active(self, now: float, today: BusinessDay) -> bool:
        """In force now, on the business day ``today``."""
        if self.ended_at is not None:
            return False
        if self.until is not None:
            return self.until > now
        return today.contains(self.created_at)


def end(announcement: Announcement, now: float) -> Announcement:
    """End an announcement now (ending one already ended keeps its end)."""
    if announcement.ended_at is not None:
        return announcement
    return replace(announcement, ended_at=now)
