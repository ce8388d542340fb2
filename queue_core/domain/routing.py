"""Who is called next: the routing policy.

Every policy orders the waiting tickets a counter may call. Three rules hold in all of them:

1. A counter sees the waiting tickets of the services it serves, plus those transferred to it;
   a ticket transferred to another counter is not its to call.
2. Tickets the lobby manager reassigned to the *front* come first (those reserved for this
   counter, or for any counter), oldest reassignment first.
3. Within one *group* (same service, tier rank, green channel, target counter) the order is
   first come, first served. The store relies on this: it only loads each group's head.

A care window (``prefers_green``) then takes green-channel tickets before any other.

Then the policies differ:

- ``fifo``: arrival order, nothing else (a baseline).
- ``strict``: green channel, then tier rank, then the counter's service preference, then arrival.
  A steady stream of VIPs can starve a normal ticket.
- ``aging`` (accumulating priority, the default): each ticket's claim is a head start for its
  class plus ``aging_rate`` points per minute waited. Green channel gets ``green_bonus`` points,
  each tier rank ``tier_step`` points, and each step down the counter's service order costs
  ``preference_step`` points. Since every claim grows at the same rate and head starts are
  bounded, a ticket that has waited ``(max head start) / aging_rate`` minutes longer than a
  newcomer always goes first: nobody starves. With ``aging_rate = 0`` it is ``strict`` in
  effect; as the rate grows it tends to ``fifo``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from queue_core.domain.tickets import Ticket


class PolicyKind(StrEnum):
    FIFO = "fifo"
    STRICT = "strict"
    AGING = "aging"


@dataclass(frozen=True, slots=True)
class Policy:
    """A branch's routing knobs. Points are in "minutes of waiting" when ``aging_rate`` is 1."""

    kind: PolicyKind = PolicyKind.AGING
    aging_rate: float = 1.0
    tier_step: float = 8.0
    green_bonus: float = 20.0
    preference_step: float = 3.0

    def max_head_start(self, max_rank: int) -> float:
        """The largest class head start: after this many points of waiting nobody overtakes."""
        return self.green_bonus + self.tier_step * max_rank


@dataclass(frozen=True, slots=True)
class CounterView:
    """What routing needs to know of a counter: its number, services in preference order, and
    whether it is a care ("love") window that takes green-channel tickets before all others."""

    number: int
    services: tuple[str, ...]
    prefers_green: bool = False


def can_call(counter: CounterView, ticket: Ticket) -> bool:
    """Rule 1: may this counter call this waiting ticket at all?"""
    if ticket.target_counter is not None:
        return ticket.target_counter == counter.number
    return ticket.service in counter.services


def _front_rank(ticket: Ticket, counter: int | None) -> tuple[int, float]:
    """Rule 2: (0, when) for a ticket at the front for this counter, (1, 0) otherwise."""
    if ticket.front_at is not None and ticket.front_counter in (None, counter):
        return (0, ticket.front_at)
    return (1, 0.0)


def _preference(counter: CounterView | None, ticket: Ticket) -> int:
    if counter is None or ticket.service not in counter.services:
        return 0
    return counter.services.index(ticket.service)


def claim(ticket: Ticket, now: float, policy: Policy, preference: int = 0) -> float:
    """The aging policy's claim of a waiting ticket at ``now`` (higher is called first)."""
    head_start = policy.tier_step * ticket.tier_rank - policy.preference_step * preference
    if ticket.green_channel:
        head_start += policy.green_bonus
    return head_start + policy.aging_rate * max(0.0, now - ticket.queued_at) / 60.0


def sort_key(
    ticket: Ticket, now: float, policy: Policy, counter: CounterView | None = None
) -> tuple[object, ...]:
    """The key that orders tickets for ``counter`` (or for the hall when ``counter`` is None)."""
    front = _front_rank(ticket, counter.number if counter else None)
    if counter is not None and counter.prefers_green:
        front = (front[0], 0.0 if ticket.green_channel else 1.0) if front[0] else front
    pref = _preference(counter, ticket)
    tail = (ticket.queued_at, ticket.issued_at, ticket.number, ticket.id)
    if policy.kind is PolicyKind.FIFO:
        return (front, *tail)
    if policy.kind is PolicyKind.STRICT:
        return (front, not ticket.green_channel, -ticket.tier_rank, pref, *tail)
    return (front, -claim(ticket, now, policy, pref), *tail)


def order_for_counter(
    counter: CounterView, tickets: Iterable[Ticket], now: float, policy: Policy
) -> list[Ticket]:
    """The waiting tickets this counter may call, in the order it would call them."""
    eligible = [t for t in tickets if t.is_waiting and can_call(counter, t)]
    return sorted(eligible, key=lambda t: sort_key(t, now, policy, counter))


def choose_next(
    counter: CounterView, tickets: Iterable[Ticket], now: float, policy: Policy
) -> Ticket | None:
    """The ticket ``call_next`` gives this counter, or None when nobody waits for it."""
    eligible = [t for t in tickets if t.is_waiting and can_call(counter, t)]
    if not eligible:
        return None
    return min(eligible, key=lambda t: sort_key(t, now, policy, counter))


def order_for_hall(tickets: Iterable[Ticket], now: float, policy: Policy) -> list[Ticket]:
    """All waiting tickets in the hall's call order (no counter preference applied)."""
    return sorted((t for t in tickets if t.is_waiting), key=lambda t: sort_key(t, now, policy))


def group_key(ticket: Ticket) -> tuple[str, int, bool, int | None]:
    """Rule 3's group: within it, tickets are always called first come, first served."""
    return (ticket.service, ticket.tier_rank, ticket.green_channel, ticket.target_counter)


def overtakes(
    first: Ticket, second: Ticket, now: float, policy: Policy, counter: CounterView | None = None
) -> bool:
    """True when ``first`` is called before ``second`` although ``second`` ranks higher.

    "Higher" means green channel, then tier rank; used to count overtakes in figures.
    """
    rank_first = (first.green_channel, first.tier_rank)
    rank_second = (second.green_channel, second.tier_rank)
    return rank_first < rank_second and sort_key(first, now, policy, counter) < sort_key(
        second, now, policy, counter
    )


def competing_services(service: str, counters: Sequence[CounterView]) -> set[str]:
    """Services that share a counter with ``service``: their tickets compete for its counters."""
    found = {service}
    for counter in counters:
        if service in counter.services:
            found.update(counter.services)
    return found
