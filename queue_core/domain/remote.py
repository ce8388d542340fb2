"""Tickets taken from a phone before arriving: the branch's limits, and the place in time a
remote ticket gets when its customer checks in. Pure: counts and times are passed in.

A remote ticket has a number from the moment it is taken but is not in the queue: nobody
counts it as ahead, no counter can call it. At check-in it joins the queue with its place in
time either at the check-in (``place = "check_in"``, the default: nobody is overtaken by
someone still on the bus) or at the taking (``place = "taking"``: the time spent coming counts
as waiting, as some branches promise). It stays valid ``valid_s`` after it was taken; after
that it is void and the customer takes a new one.

Checking in: the kiosk shows a QR code that opens the check-in page with the *door code* of
the moment, which changes every ``door_period_s`` (a photo of it taken home is stale by the
time it is used: the current and the previous code are accepted). The page sends it with the
tickets the phone holds. Or the customer types the ticket's own ``check_in_code`` at the
kiosk (or the kiosk's scanner reads it from the phone's screen).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
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
    #: How often the check-in code the kiosk shows changes.
    door_period_s: float = 120.0


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
    if not share_allows(counts.service_remote, counts.service_waiting, rules):
        raise TooMany(
            "enough tickets for this service are already on their way: please come to the "
            "branch and take one at the kiosk",
            "remote_share_full",
        )


def share_allows(on_way: int, waiting: int, rules: RemoteRules) -> bool:
    """Whether one more remote ticket keeps a service's remote share within the branch's cap
    (``on_way``: its remote tickets not yet checked in; ``waiting``: its queue)."""
    if on_way < rules.min_allowed:
        return True
    return on_way + 1 <= rules.max_share * (on_way + waiting + 1)


def is_void(taken_at: float, now: float, rules: RemoteRules) -> bool:
    """The remote ticket was not checked in within its validity."""
    return now - taken_at > rules.valid_s


def queue_time(taken_at: float, now: float, rules: RemoteRules) -> float:
    """The ``queued_at`` a remote ticket gets when its customer checks in at ``now``."""
    return taken_at if rules.place == "taking" else now


#: Digits of the check-in code a remote ticket or an appointment has (typed at the kiosk).
CODE_DIGITS = 8


def door_code(key: bytes, now: float, rules: RemoteRules) -> tuple[str, float]:
    """The check-in code the kiosk shows at ``now`` and until when it is shown."""
    window = int(now // rules.door_period_s)
    return _door(key, window), (window + 1) * rules.door_period_s


def door_code_ok(key: bytes, code: str, now: float, rules: RemoteRules) -> bool:
    """Whether a check-in page's code is the kiosk's current or previous one."""
    window = int(now // rules.door_period_s)
    given = code.encode()  # as bytes: any text may come in, not only ASCII
    return any(hmac.compare_digest(given, _door(key, w).encode()) for w in (window, window - 1))


def _door(key: bytes, window: int) -> str:
    digest = hmac.new(key, b"door" + struct.pack(">q", window), hashlib.sha256).digest()
    return digest[:10].hex()


def is_check_in_code(text: str) -> bool:
    """What a ticket's or an appointment's code looks like (what the kiosk accepts as one)."""
    return len(text) == CODE_DIGITS and text.isdigit()


#: What the QR code of a check-in code says before its digits (``BQ12345678``): a scanner
#: that types like a keyboard types it too, which tells the code from a card number.
SCAN_PREFIX = "BQ"


def typed_code(text: str) -> str | None:
    """The check-in code in what was typed or scanned (spaces and dashes dropped, the scan's
    ``BQ`` prefix taken off), or None when it is not one."""
    code = text.strip().replace(" ", "").replace("-", "")
    if code[: len(SCAN_PREFIX)].upper() == SCAN_PREFIX:
        code = code[len(SCAN_PREFIX) :].lstrip(":")
    return code if is_check_in_code(code) else None


def scanned_code(text: str) -> str | None:
    """The check-in code a scanner typed (it starts with ``BQ``), or None: digits alone are
    a card reader's."""
    return typed_code(text) if text.strip()[: len(SCAN_PREFIX)].upper() == SCAN_PREFIX else None
