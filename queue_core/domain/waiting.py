"""The waiting tickets, kept by routing group so that each question costs little.

Routing rule 3 (``routing.group_key``): within a group, tickets are always called first come,
first served. So the next ticket for a counter is among the *heads* of the groups it may call
(plus the tickets reassigned to the front), and the tickets ahead of a given one are, in each
group, a prefix found by bisection. Answers are the same as sorting every waiting ticket
(the tests check it), at a cost that grows with the number of groups, not of tickets.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from queue_core.domain.routing import CounterView, Policy, can_call, group_key, sort_key
from queue_core.domain.tickets import Ticket

GroupKey = tuple[str, int, bool, int | None]


def _fifo(ticket: Ticket) -> tuple[float, float, str, str]:
    return (ticket.queued_at, ticket.issued_at, ticket.number, ticket.id)


@dataclass
class WaitingIndex:
    """All waiting tickets of the branch, grouped; fronted tickets kept aside."""

    groups: dict[GroupKey, list[Ticket]] = field(default_factory=dict)
    _keys: dict[GroupKey, list[tuple[float, float, str, str]]] = field(default_factory=dict)
    fronted: dict[str, Ticket] = field(default_factory=dict)
    by_id: dict[str, Ticket] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, tickets: Iterable[Ticket]) -> WaitingIndex:
        index = cls()
        for ticket in tickets:
            index.put(ticket)
        return index

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Iterator[Ticket]:
        return iter(self.by_id.values())

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self.by_id

    def get(self, ticket_id: str) -> Ticket | None:
        return self.by_id.get(ticket_id)

    def put(self, ticket: Ticket) -> None:
        """Add or replace a ticket; one that is no longer waiting is dropped."""
        self.discard(ticket.id)
        if not ticket.is_waiting:
            return
        self.by_id[ticket.id] = ticket
        self.counts[ticket.service] = self.counts.get(ticket.service, 0) + 1
        if ticket.front_at is not None:
            self.fronted[ticket.id] = ticket
            return
        key = group_key(ticket)
        tickets = self.groups.setdefault(key, [])
        keys = self._keys.setdefault(key, [])
        at = bisect.bisect(keys, _fifo(ticket))
        keys.insert(at, _fifo(ticket))
        tickets.insert(at, ticket)

    def discard(self, ticket_id: str) -> None:
        old = self.by_id.pop(ticket_id, None)
        if old is None:
            return
        self.counts[old.service] -= 1
        if self.fronted.pop(ticket_id, None) is not None:
            return
        key = group_key(old)
        keys, tickets = self._keys[key], self.groups[key]
        at = bisect.bisect_left(keys, _fifo(old))
        del keys[at], tickets[at]
        if not tickets:
            del self.groups[key], self._keys[key]

    def heads(self, counter: CounterView) -> list[Ticket]:
        """The only tickets that can be next for ``counter``: group heads and fronted ones."""
        out = [g[0] for g in self.groups.values() if can_call(counter, g[0])]
        out.extend(t for t in self.fronted.values() if can_call(counter, t))
        return out

    def count_for(self, counter: CounterView) -> int:
        """How many waiting tickets this counter may call."""
        grouped = sum(len(g) for g in self.groups.values() if can_call(counter, g[0]))
        return grouped + sum(1 for t in self.fronted.values() if can_call(counter, t))

    def count_by_service(self) -> dict[str, int]:
        return {service: n for service, n in self.counts.items() if n}

    def first(self, service: str, n: int, now: float, policy: Policy) -> list[Ticket]:
        """The first ``n`` waiting tickets of a service in the hall's call order."""
        pool = [t for t in self.fronted.values() if t.service == service]
        for key, tickets in self.groups.items():
            if key[0] == service:
                pool.extend(tickets[:n])
        pool.sort(key=lambda t: sort_key(t, now, policy))
        return pool[:n]

    def ahead_of(
        self, ticket: Ticket, services: set[str], now: float, policy: Policy
    ) -> list[Ticket]:
        """The waiting tickets of ``services`` that the hall would call before ``ticket``."""
        out = [t for t in self.fronted.values() if self._before(t, ticket, services, now, policy)]
        for key, tickets in self.groups.items():
            if key[0] in services:
                out.extend(tickets[: self._prefix(tickets, ticket, now, policy)])
        return out

    def ahead_counts(
        self, ticket: Ticket, services: set[str], now: float, policy: Policy
    ) -> dict[str, int]:
        """How many of ``ahead_of`` there are per service, without listing them."""
        counts: dict[str, int] = {}
        for t in self.fronted.values():
            if self._before(t, ticket, services, now, policy):
                counts[t.service] = counts.get(t.service, 0) + 1
        for key, tickets in self.groups.items():
            if key[0] in services and (n := self._prefix(tickets, ticket, now, policy)):
                counts[key[0]] = counts.get(key[0], 0) + n
        return counts

    @staticmethod
    def _before(
        other: Ticket, ticket: Ticket, services: set[str], now: float, policy: Policy
    ) -> bool:
        return (
            other.service in services
            and other.id != ticket.id
            and sort_key(other, now, policy) < sort_key(ticket, now, policy)
        )

    @staticmethod
    def _prefix(group: list[Ticket], ticket: Ticket, now: float, policy: Policy) -> int:
        """How many of a group come before ``ticket``: they form a prefix (rule 3)."""
        mine = sort_key(ticket, now, policy)
        lo, hi = 0, len(group)
        while lo < hi:
            mid = (lo + hi) // 2
            if group[mid].id != ticket.id and sort_key(group[mid], now, policy) < mine:
                lo = mid + 1
            else:
                hi = mid
        return lo
