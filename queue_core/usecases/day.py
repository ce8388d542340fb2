"""Starting a business day: what ``domain.business_day`` says a new day does, applied.

The runner does it first in the first transaction of each day (and a read that finds the day
changed asks for such a transaction), so that nothing of earlier days is ever seen after
midnight; the engine's housekeeping asks each minute too (``StartDay``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update

from queue_core.domain import announcements, care
from queue_core.domain.events import AnnouncementChanged, CounterUpdated, TicketCancelled
from queue_core.domain.tickets import OPEN_STATES
from queue_core.store.models import AnnouncementRow, TicketRow
from queue_core.store.pending import TICKETS
from queue_core.usecases.unit import UnitOfWork


def start_day(uow: UnitOfWork) -> int:
    """Void the earlier days' open tickets, close the counters they left open, end their
    untimed announcements, erase the card hashes past their retention; returns how many
    tickets were voided."""
    live, now = uow.live, uow.now
    day = live.business_day(now)
    open_before = uow.tickets(
        select(TICKETS).where(
            TICKETS.c.status.in_([s.value for s in OPEN_STATES]),
            TICKETS.c.business_day < day.date,
        )
    )
    change = day.change(open_before, live.counters.values(), now)
    for t in change.voided:
        uow.save(t)
        uow.emit(TicketCancelled(t, reason="end_of_day"))
    for counter in change.closed:
        uow.save_counter(counter)
        uow.emit(CounterUpdated(counter))
    rows = uow.session.scalars(select(AnnouncementRow).where(AnnouncementRow.ended_at.is_(None)))
    for row in rows:
        a = row.to_domain()
        if not a.active(now, day):
            row.ended_at = now
            uow.emit(AnnouncementChanged(announcements.end(a, now)))
    # Card hashes are kept ``[privacy] card_hash_days`` (the tier a card gave stays).
    cutoff = care.card_hash_cutoff(date.fromisoformat(day.date), uow.config.privacy.card_hash_days)
    uow.session.execute(
        update(TicketRow)
        .where(TicketRow.card_hash.is_not(None), TicketRow.business_day < cutoff)
        .values(card_hash=None)
    )
    live.day = day
    uow.changed = False  # the day's start is the transaction's, not the next use case's
    uow.day_started = len(change.voided)
    return len(change.voided)


@dataclass(frozen=True, slots=True)
class StartDay:
    """Start the business day if no transaction has yet (the housekeeping's check)."""

    def run(self, uow: UnitOfWork) -> int:
        """How many tickets starting the day voided (0 when it had started already)."""
        return uow.day_started or 0
