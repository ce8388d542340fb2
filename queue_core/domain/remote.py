"""Tickets taken from a phone before arriving: the branch's limits, and the place in time a
remote ticket gets when its customer checks in. Pure: counts and times are passed in.

A remote ticket has a number from the moment it is taken but is not in the queue: nobody
counts it as ahead, no counter can call it. At check-in it joins the queue with its place in
time either at the check-in (``place = "check_in"``, the default: nobody is overtaken by
someone still on the bus) or at the taking (``place = "taking"``: the time spent coming counts
as waiting, as some branches promise). It stays valid ``valid_s`` after it was taken; after
that it is void and the customer takes a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from queue_core.domain.errors import IllegalMove, TooMany


@dataclass(frozen=True, slots=True)
class RemoteRules:
    """The branch's ``[remote]`` settings."""

    enabled: bool = False
    place: Literal["check_in", "taking"] = "check_in"
    valid_s: float = 90 * 60
    per_browser_open: int = 1  # remote tickets one browser may hold at a time
    per_browser_per_day: int = 3
    per_hour: int = 60  # remote tickets the branch hands out per hour
    #: The most of a service's queue (waiting plus remote) that may be remote tickets.
    max_share: float = 0.3
    #: Up to this many remote tickets per service are allowed whatever the share (a quiet
    #: morning with nobody waiting must not refuse the first phone).
    min_allowed: int = 3


@dataclass(frozen=True, slots=True)
class RemoteCounts:
    """What the engine counted when a phone asks for a ticket."""

    browser_open: int
    browser_today: int
    branch_last_hour: int
    service_remote: int
    service_waiting: int


def admit(counts: RemoteCounts, rules: RemoteRules) -> None:
    """Whether one more remote ticket may be taken; ``TooMany``/``IllegalMove`` saying why."""
    if not rules.enabled:
        raise IllegalMove("this branch does not hand out tickets to phones", "remote_disabled")
    if counts.browser_open >= rules.per_browser_open:
        raise TooMany("this phone already holds a ticket: use it first", "remote_already_held")
    if counts.browser_today >= rules.per_browser_per_day:
        raise TooMany("this phone has taken enough tickets today", "remote_daily_limit")
    if counts.branch_last_hour >= rules.per_hour:
        raise TooMany("the branch hands out no more tickets to phones this hour", "remote_busy")
    total = counts.service_remote + counts.service_waiting + 1
    if counts.service_remote >= rules.min_allowed and (counts.service_remote + 1) > (
        rules.max_share * total
    ):
        raise TooMany(
            "enough tickets for this service are already on their way: please come to the "
            "branch and take one at the kiosk",
            "remote_share_full",
        )


def is_void(taken_at: float, now: float, rules: RemoteRules) -> bool:
    """The remote ticket was not checked in within its validity."""
    return now - taken_at > rules.valid_s


def queue_time(taken_at: float, now: float, rules: RemoteRules) -> float:
    """The ``queued_at`` a remote ticket gets when its customer checks in at ``now``."""
    return taken_at if rules.place == "taking" else now
