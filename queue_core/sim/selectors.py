"""Who a counter calls next in the simulator.

``EnginePolicy`` is the engine's own rule (``queue_core.domain.routing.choose_next``) with one of
its policies. The other two are ordering rules used by other queue systems, kept here only so
the simulator can compare them with the engine's; the engine never uses them:

- ``RatioInterleave``: "N priority customers, then one normal", per counter; priority means
  green channel or a tier above normal (highest class first, then first come).
- ``WeightedWait``: call the largest ``(weight + 1) × wait``, where the weight is the tier rank,
  and the green channel weighs ``green_weight``.

Every rule keeps the engine's care-window rule (``care_first``): a counter with
``prefers_green`` calls the green channel before anyone else, so the comparison is about the
ordering rule alone.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from queue_core.domain.routing import (
    CallReason,
    CounterView,
    Policy,
    PolicyKind,
    can_call,
    choose_next,
    explain,
)
from queue_core.domain.tickets import Ticket


class Selector(Protocol):
    """Chooses the ticket a counter calls; ``name`` labels it in the tables."""

    @property
    def name(self) -> str: ...

    def choose(
        self, counter: CounterView, waiting: Sequence[Ticket], now: float
    ) -> Ticket | None: ...


def rank(ticket: Ticket) -> tuple[bool, int]:
    """The class order every table uses: green channel first, then tier rank."""
    return (ticket.green_channel, ticket.tier_rank)


def care_first(counter: CounterView, eligible: list[Ticket]) -> list[Ticket]:
    """The engine's care-window rule: at a ``prefers_green`` counter, the green channel only
    while any green-channel ticket waits."""
    if counter.prefers_green:
        green = [t for t in eligible if t.green_channel]
        if green:
            return green
    return eligible


@dataclass
class EnginePolicy:
    """The engine's routing with one of its policies."""

    policy: Policy

    @property
    def name(self) -> str:
        if self.policy.kind is PolicyKind.AGING:
            return f"aging {self.policy.aging_rate:g}"
        return self.policy.kind.value

    def choose(self, counter: CounterView, waiting: Sequence[Ticket], now: float) -> Ticket | None:
        return choose_next(counter, waiting, now, self.policy)

    def reason(
        self, counter: CounterView, chosen: Ticket, waiting: Sequence[Ticket], now: float
    ) -> CallReason:
        """Why the engine's rule chose ``chosen`` (``routing.explain``)."""
        return explain(counter, chosen, waiting, now, self.policy)


@dataclass
class RatioInterleave:
    """After ``n`` priority calls in a row a counter calls one normal customer (if any waits)."""

    n: int = 3
    streak: dict[int, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"ratio {self.n}:1"

    def choose(self, counter: CounterView, waiting: Sequence[Ticket], now: float) -> Ticket | None:
        eligible = care_first(
            counter, [t for t in waiting if t.is_waiting and can_call(counter, t)]
        )
        priority = [t for t in eligible if rank(t) > (False, 0)]
        normal = [t for t in eligible if rank(t) == (False, 0)]
        streak = self.streak.get(counter.number, 0)
        if priority and (streak < self.n or not normal):
            self.streak[counter.number] = streak + 1
            return min(priority, key=lambda t: (tuple(-x for x in rank(t)), t.queued_at))
        if normal:
            self.streak[counter.number] = 0
            return min(normal, key=lambda t: t.queued_at)
        return None


@dataclass
class WeightedWait:
    """Call the largest ``(weight + 1) × seconds waited``."""

    green_weight: float = 3.0

    @property
    def name(self) -> str:
        return "(w+1)×wait"

    def weight(self, ticket: Ticket) -> float:
        return ticket.tier_rank + (self.green_weight if ticket.green_channel else 0.0)

    def choose(self, counter: CounterView, waiting: Sequence[Ticket], now: float) -> Ticket | None:
        eligible = care_first(
            counter, [t for t in waiting if t.is_waiting and can_call(counter, t)]
        )
        if not eligible:
            return None
        return max(
            eligible,
            key=lambda t: ((self.weight(t) + 1.0) * max(0.0, now - t.queued_at), -t.queued_at),
        )


def by_name(name: str, base: Policy | None = None) -> Selector:
    """``fifo``, ``strict``, ``aging`` or ``aging:RATE``, ``sla``, ``ratio:N``, ``weighted``.

    ``base`` gives the engine policies their other knobs (the ``sla`` targets); by default the
    demo branch's."""
    kind, _, arg = name.partition(":")
    if kind == "sla":
        return EnginePolicy(replace(base or branch_policy(), kind=PolicyKind.SLA))
    if kind in ("fifo", "strict"):
        return EnginePolicy(Policy(kind=PolicyKind(kind)))
    if kind == "aging":
        return EnginePolicy(Policy(kind=PolicyKind.AGING, aging_rate=float(arg or 1.0)))
    if kind == "ratio":
        return RatioInterleave(n=int(arg or 3))
    if kind == "weighted":
        return WeightedWait()
    raise ValueError(
        f"unknown policy {name!r}: fifo, strict, aging[:RATE], sla, ratio[:N], weighted"
    )


@functools.cache
def branch_policy() -> Policy:
    """The demo branch's routing (its ``[routing]`` and service-level targets)."""
    from queue_core.config import load_config

    return load_config().routing.policy_object()


#: The policies ``branchq compare`` puts side by side.
COMPARED = ("fifo", "strict", "aging:0.5", "aging:1", "aging:2", "sla", "ratio:3", "weighted")
