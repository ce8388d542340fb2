"""The lobby manager's use cases beyond tickets and counters: the hall's announcements."""

from __future__ import annotations

from dataclasses import dataclass

from queue_core.domain import announcements
from queue_core.domain.announcements import Announcement
from queue_core.domain.errors import NotFound
from queue_core.domain.events import AnnouncementChanged
from queue_core.store.models import AnnouncementRow
from queue_core.usecases.unit import UnitOfWork


@dataclass(frozen=True, slots=True)
class Announce:
    """Put a text on the hall display's marquee, until ``until`` (or the end of the day)."""

    text: str
    by: str
    until: float | None = None

    def run(self, uow: UnitOfWork) -> Announcement:
        row = AnnouncementRow(
            text=self.text, until=self.until, created_at=uow.now, created_by=self.by
        )
        uow.session.add(row)
        uow.session.flush()
        uow.changed = True
        a = row.to_domain()
        uow.emit(AnnouncementChanged(a))
        return a


@dataclass(frozen=True, slots=True)
class EndAnnouncement:
    """Take an announcement off the marquee now."""

    ident: int

    def run(self, uow: UnitOfWork) -> Announcement:
        row = uow.session.get(AnnouncementRow, self.ident)
        if row is None:
            raise NotFound(f"no announcement {self.ident}", "announcement_not_found")
        a = announcements.end(row.to_domain(), uow.now)
        row.ended_at = a.ended_at
        uow.changed = True
        uow.emit(AnnouncementChanged(a))
        return a
