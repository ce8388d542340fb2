"""The unit of work: one write transaction of the branch, as a use case sees it.

A use case reads the live hall and the rows it needs through it, hands it every changed ticket
and counter, and tells it what happened (domain events). Nothing is written and nothing is sent
until the whole transaction commits; a use case refused by a rule (``DomainError``) must refuse
before it changes anything, and then leaves no trace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from queue_core.config import BranchConfig, ServiceSettings, TierSettings
from queue_core.domain.business_day import BusinessDay
from queue_core.domain.counters import Counter
from queue_core.domain.errors import InvalidInput, NotFound
from queue_core.domain.events import DomainEvent
from queue_core.domain.numbering import format_number
from queue_core.domain.tickets import Status, Ticket
from queue_core.security import new_id
from queue_core.store.db import Transaction
from queue_core.usecases.live import LiveView


class UnitOfWork:
    """What the use cases of one transaction share: the live view, the transaction's rows and
    the events emitted, each with the time its use case ran (``now``)."""

    def __init__(self, tx: Transaction, live: LiveView, now: float, secret: bytes) -> None:
        self.tx = tx
        self.live = live
        self.config: BranchConfig = live.config
        #: The branch's secret, the key of card numbers' hashes.
        self.secret = secret
        #: The time of the use case running now (set by the runner before each).
        self.now = now
        self.events: list[tuple[float, DomainEvent]] = []
        #: Whether the use case running now has changed anything (a refusal after that is a bug).
        self.changed = False
        #: Set when this transaction started the business day: how many tickets that voided.
        self.day_started: int | None = None

    # ------------------------------------------------------------------ reading
    @property
    def day(self) -> BusinessDay:
        """Today's business day (the transaction started it if it was new)."""
        assert self.live.day is not None, "the runner starts the day before any use case"
        return self.live.day

    @property
    def session(self) -> Session:
        """For the rows that are not kept in the live view (announcements, devices)."""
        return self.tx.session

    def ticket(self, ticket_id: str) -> Ticket:
        found = self.tx.rows.ticket(ticket_id)
        if found is None:
            raise NotFound(f"no ticket {ticket_id}", "ticket_not_found")
        return found

    def replayed(self, principal: str, key: str | None, request_hash: str) -> Ticket | None:
        """The ticket a request already answered under the ``Idempotency-Key`` ``key`` got
        (None for a new request); the same key for a different request is refused."""
        if not key:
            return None
        seen = self.tx.rows.idempotent(principal, key)
        if seen is None:
            return None
        if seen[0] != request_hash:
            raise InvalidInput(
                "this Idempotency-Key was used for a different request", "idempotency_key_reused"
            )
        return self.ticket(seen[1])

    def tickets(self, query: Select[Any]) -> list[Ticket]:
        """The tickets a query on the tickets table finds, with this transaction's changes."""
        return self.tx.rows.tickets(query)

    def counter(self, number: int) -> Counter:
        found = self.live.counters.get(number)
        if found is None or number not in self.live.views:
            raise NotFound(f"no counter {number}", "counter_not_found")
        return found

    def at_desk(self, number: int) -> Ticket | None:
        """The ticket called or being served at a counter."""
        return self.live.current.get(number)

    # ------------------------------------------------------------------ changing
    def save(self, t: Ticket, *, new: bool = False) -> None:
        """A ticket's new state (``new``: a visit that has no row yet)."""
        self.changed = True
        self.tx.rows.save_ticket(t, new=new)
        self.live.put(t)

    def save_counter(self, counter: Counter, at_desk: Ticket | None = None) -> None:
        """A counter's new state, with the ticket at its desk (None: the desk is free)."""
        self.changed = True
        self.tx.rows.save_counter(counter)
        self.live.seat(counter, at_desk)

    def next_number(self, prefix: str) -> int:
        """The next daily sequence of a ticket prefix today."""
        self.changed = True
        key = (self.day.date, prefix)
        last = self.live.numbers.get(key)
        if last is None:
            last = self.tx.rows.last_number(*key)
        self.live.numbers[key] = last + 1
        self.tx.rows.save_number(*key, last + 1)
        return last + 1

    def new_ticket(
        self,
        svc: ServiceSettings,
        tier: TierSettings,
        *,
        status: Status = Status.WAITING,
        green_channel: bool = False,
        queued_at: float | None = None,
    ) -> Ticket:
        """A new visit of today, numbered next in its service's daily sequence (it waits from
        now unless ``queued_at`` says otherwise); the caller adds what it knows and saves it."""
        return Ticket(
            id=new_id(),
            number=format_number(svc.ticket_prefix, self.next_number(svc.ticket_prefix)),
            service=svc.code,
            tier=tier.code,
            tier_rank=tier.rank,
            green_channel=green_channel,
            status=status,
            issued_at=self.now,
            queued_at=self.now if queued_at is None else queued_at,
            business_day=self.day.date,
        )

    def bucket(self, name: str) -> tuple[float, float] | None:
        """A rate-limit bucket's (tokens, stamp)."""
        if name not in self.live.buckets:
            found = self.tx.rows.bucket(name)
            if found is None:
                return None
            self.live.buckets[name] = found
        return self.live.buckets[name]

    def save_bucket(self, name: str, tokens: float, stamp: float) -> None:
        self.changed = True
        self.live.buckets[name] = (tokens, stamp)
        self.tx.rows.save_bucket(name, tokens, stamp)

    def emit(self, *events: DomainEvent) -> None:
        """What happened: rendered and appended to the log when the transaction commits."""
        self.events.extend((self.now, e) for e in events)

    # ------------------------------------------------------------ the runner's
    def begin_use_case(self, now: float) -> int:
        """Start the next use case at ``now``; returns the mark to drop back to."""
        self.now, self.changed = now, False
        return len(self.events)

    def drop_since(self, mark: int) -> None:
        """Forget the events of a refused use case."""
        del self.events[mark:]
