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
- ``sla`` (service-level targets): the branch sets, per class of customer, a target such as
  "90% of VIPs called within 5 minutes" (``ServiceLevel``). A ticket's claim is the share of its
  class's target it has used up (waited ÷ target): accumulating priority with each class's rate
  the inverse of its target (Stanford, Taylor & Ziedins, Queueing Systems 77, 2014). Within a
  class every ticket gains at the same rate, so a counter calls one class in arrival order
  (jumping the queue is felt as injustice: Larson, Operations Research 35(6), 1987); the
  counter's service order only breaks ties. A ticket that has waited ``longest_wait_s`` goes
  before every ticket that has not, oldest first: that bounds how long anyone is passed over.

Every call can say why it was chosen (``explain``): the front place, next in line, the care
window, the wait bound, its class over or nearest its target, the oldest, the class head
start, the counter's own service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from queue_core.domain.tickets import Ticket


class PolicyKind(StrEnum):
    FIFO = "fifo"
    STRICT = "strict"
    AGING = "aging"
    SLA = "sla"


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """A branch's target for one class of customers: ``share`` of them called within
    ``within_s`` seconds. The class is the green channel (``green_channel=True``), or the
    tickets of ``tiers`` (tier codes; empty: every tier) outside it when ``green_channel`` is
    False, or in and outside it when None."""

    name: str
    within_s: float
    share: float = 0.8
    tiers: tuple[str, ...] = ()
    green_channel: bool | None = None

    def covers(self, tier: str, green_channel: bool) -> bool:
        """Is a ticket of this tier, in or outside the green channel, in this class?"""
        if self.green_channel is not None and green_channel != self.green_channel:
            return False
        return not self.tiers or tier in self.tiers


@dataclass(frozen=True, slots=True)
class Policy:
    """A branch's routing knobs. Points are in "minutes of waiting" when ``aging_rate`` is 1.

    ``targets`` and ``longest_wait_s`` are the ``sla`` policy's: the first target that covers a
    ticket is its class's (list the green channel first); a ticket no target covers is held to
    ``longest_wait_s``."""

    kind: PolicyKind = PolicyKind.AGING
    aging_rate: float = 1.0
    tier_step: float = 8.0
    green_bonus: float = 20.0
    preference_step: float = 3.0
    targets: tuple[ServiceLevel, ...] = ()
    longest_wait_s: float = 1800.0

    def max_head_start(self, max_rank: int) -> float:
        """The largest class head start: after this many points of waiting nobody overtakes."""
        return self.green_bonus + self.tier_step * max_rank

    def level_for(self, tier: str, green_channel: bool) -> ServiceLevel | None:
        """The service-level target of a class of tickets, if the branch set one."""
        return next((lv for lv in self.targets if lv.covers(tier, green_channel)), None)

    def level_of(self, ticket: Ticket) -> ServiceLevel | None:
        """The service-level target of the ticket's class, if the branch set one."""
        return self.level_for(ticket.tier, ticket.green_channel)

    def target_s(self, ticket: Ticket) -> float:
        """Seconds within which the ticket's class should be called."""
        level = self.level_of(ticket)
        return level.within_s if level is not None else self.longest_wait_s


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


def urgency(ticket: Ticket, now: float, policy: Policy) -> float:
    """The ``sla`` policy's claim: the share of its class's target the ticket has waited."""
    return max(0.0, now - ticket.queued_at) / max(policy.target_s(ticket), 1.0)


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
    if policy.kind is PolicyKind.SLA:
        if now - ticket.queued_at >= policy.longest_wait_s:
            return (front, 0, 0.0, 0, *tail)
        return (front, 1, -urgency(ticket, now, policy), pref, *tail)
    return (front, -claim(ticket, now, policy, pref), *tail)


#: ``sort_key`` for one counter as a function of (ticket, now): see ``counter_order``.
Order = Callable[[Ticket, float], tuple[object, ...]]


def counter_order(policy: Policy, counter: CounterView) -> Order:
    """``sort_key(ticket, now, policy, counter)`` for one counter, with what does not move with
    time worked out once per ticket: what a forecast that orders the same group heads call
    after call uses. Its keys order tickets exactly as ``sort_key``'s do (the same arithmetic
    in the same order); the tickets it has seen are kept as long as the function lives."""
    seen: dict[int, tuple[Ticket, tuple[object, ...]]] = {}
    kind = policy.kind
    if kind is PolicyKind.SLA:  # its class and bound move with time: nothing to keep

        def sla(ticket: Ticket, now: float) -> tuple[object, ...]:
            return sort_key(ticket, now, policy, counter)

        return sla
    if kind is not PolicyKind.AGING:  # fifo, strict: the whole key stands still

        def still(ticket: Ticket, now: float) -> tuple[object, ...]:
            found = seen.get(id(ticket))
            if found is None:
                found = seen[id(ticket)] = (ticket, sort_key(ticket, now, policy, counter))
            return found[1]

        return still
    rate = policy.aging_rate
    parts: dict[int, tuple[Ticket, tuple[int, float], float, float, tuple[object, ...]]] = {}

    def aging(ticket: Ticket, now: float) -> tuple[object, ...]:
        found = parts.get(id(ticket))
        if found is None:
            front, head_start = aging_parts(policy, counter, ticket)
            # (the ticket is kept so that its id() is not reused by another while this lives)
            found = parts[id(ticket)] = (
                ticket,
                front,
                head_start,
                ticket.queued_at,
                arrival_key(ticket),
            )
        _, front, head_start, queued, rest = found
        # claim(): the same sum in the same order, so the very same float; the tail nested
        # (a tuple compares as its items would, flattened)
        return (front, -(head_start + rate * max(0.0, now - queued) / 60.0), rest)

    return aging


def aging_parts(
    policy: Policy, counter: CounterView, ticket: Ticket
) -> tuple[tuple[int, float], float]:
    """The parts of the aging key (``sort_key`` for ``counter``) that do not move with time:
    the front rank and the head start. Every ticket of one routing group (``group_key``, not at
    the front) has the same parts, so a forecast works them out once per group."""
    front = _front_rank(ticket, counter.number)
    if counter.prefers_green:
        front = (front[0], 0.0 if ticket.green_channel else 1.0) if front[0] else front
    pref = _preference(counter, ticket)
    head_start = policy.tier_step * ticket.tier_rank - policy.preference_step * pref
    if ticket.green_channel:
        head_start += policy.green_bonus
    return front, head_start


def arrival_key(ticket: Ticket) -> tuple[object, ...]:
    """What orders two tickets whose claims are equal, in every policy: the arrival."""
    return (ticket.queued_at, ticket.issued_at, ticket.number, ticket.id)


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


#: Why a call went to its ticket, by stable code (the lobby console words them per language).
REASONS: dict[str, str] = {
    "front": "reassigned to the front by the lobby manager",
    "next_in_line": "next in arrival order: no other class or service waits for this counter",
    "care_window": "green channel, first at the care window",
    "longest_wait": "waited past the longest-wait bound: oldest first",
    "over_target": "its class is past its target",
    "nearest_target": "the nearest to its class's target",
    "oldest": "the oldest ticket this counter could call",
    "higher_class": "the highest class waiting (green channel, then tier)",
    "head_start": "its class head start outweighs the others' longer waits",
    "preferred_service": "the counter's own service goes first",
}


@dataclass(frozen=True, slots=True)
class CallReason:
    """Why ``choose_next`` gave a counter this ticket: a code of ``REASONS``, how long the ticket
    had waited, and under ``sla`` its class and target."""

    code: str
    waited_s: float
    level: str | None = None
    target_s: float | None = None

    def describe(self) -> str:
        """The reason in English, with its figures ("VIP: waited 6.0 of 5.0 min")."""
        text = REASONS[self.code]
        if self.level is not None and self.target_s is not None:
            used = f"{self.waited_s / 60:.1f} of {self.target_s / 60:.1f} min"
            text += f" ({self.level}: waited {used})"
        return text


def explain(
    counter: CounterView, chosen: Ticket, candidates: Iterable[Ticket], now: float, policy: Policy
) -> CallReason:
    """Why ``chosen`` (what ``choose_next`` returned from ``candidates``) was called first."""
    waited = max(0.0, now - chosen.queued_at)
    level = policy.level_of(chosen) if policy.kind is PolicyKind.SLA else None
    target = level.within_s if level is not None else None
    name = level.name if level is not None else None

    def reason(code: str) -> CallReason:
        return CallReason(code, waited, name, target)

    others = [t for t in candidates if t.id != chosen.id and t.is_waiting and can_call(counter, t)]
    if _front_rank(chosen, counter.number)[0] == 0:
        return reason("front")
    if not others:
        return reason("next_in_line")
    if counter.prefers_green and chosen.green_channel and any(not t.green_channel for t in others):
        return reason("care_window")
    if policy.kind is PolicyKind.SLA:
        if waited >= policy.longest_wait_s:
            return reason("longest_wait")
        if target is not None and waited >= target:
            return reason("over_target")
    if all(chosen.queued_at <= t.queued_at for t in others):
        return reason("oldest")
    if policy.kind is PolicyKind.SLA:
        return reason("nearest_target")
    mine = (chosen.green_channel, chosen.tier_rank)
    older = [t for t in others if t.queued_at < chosen.queued_at]
    if any((t.green_channel, t.tier_rank) >= mine for t in older):
        return reason("preferred_service")
    return reason("higher_class" if policy.kind is PolicyKind.STRICT else "head_start")


def choose_with_reason(
    counter: CounterView, tickets: Iterable[Ticket], now: float, policy: Policy
) -> tuple[Ticket, CallReason] | None:
    """``choose_next`` and ``explain`` together: the ticket and why, or None."""
    pool = list(tickets)
    chosen = choose_next(counter, pool, now, policy)
    if chosen is None:
        return None
    return chosen, explain(counter, chosen, pool, now, policy)


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
