"""The ticket: its states and the moves allowed between them.

A ticket row is one *visit*: a transfer closes the visit (``transferred``) and opens a new one
with the same number and the original issue time. Times are epoch seconds passed in by the
caller; this module never reads a clock.

A ticket counts only once printed: when the kiosk reports that its paper ticket did not print,
the ticket is *held* (``hold``). It keeps the status ``waiting`` and its number, but it is not
in the line: no counter calls it and nobody counts it ahead of them, until the lobby manager
releases it (``release``, or a reprint that printed) or cancels it. Otherwise the counter would
call a number nobody holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from queue_core.domain.errors import IllegalMove


class Status(StrEnum):
    #: Taken from a phone before arriving: it has a number but is not in the queue until its
    #: customer checks in at the branch (``check_in``); nobody counts it as ahead.
    REMOTE = "remote"
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"


#: The moves a ticket may make, by action, as (from states) -> to state.
MOVES: dict[str, tuple[frozenset[Status], Status]] = {
    "check_in": (frozenset({Status.REMOTE}), Status.WAITING),
    "call": (frozenset({Status.WAITING}), Status.CALLED),
    "recall": (frozenset({Status.CALLED, Status.SERVING}), Status.CALLED),
    "start": (frozenset({Status.CALLED}), Status.SERVING),
    "skip": (frozenset({Status.CALLED}), Status.SKIPPED),
    "finish": (frozenset({Status.CALLED, Status.SERVING}), Status.FINISHED),
    "transfer": (frozenset({Status.CALLED, Status.SERVING, Status.WAITING}), Status.TRANSFERRED),
    "cancel": (frozenset({Status.REMOTE, Status.WAITING, Status.SKIPPED}), Status.CANCELLED),
    "reassign": (frozenset({Status.SKIPPED}), Status.WAITING),
    # Out of the line while its ticket is not printed, and back in it.
    "hold": (frozenset({Status.WAITING}), Status.WAITING),
    "release": (frozenset({Status.WAITING}), Status.WAITING),
    # At the end of the business day whatever is still open is void: numbers restart tomorrow.
    "expire": (
        frozenset({Status.REMOTE, Status.WAITING, Status.CALLED, Status.SERVING, Status.SKIPPED}),
        Status.CANCELLED,
    ),
    # A remote ticket not checked in within its validity lapses.
    "lapse": (frozenset({Status.REMOTE}), Status.CANCELLED),
}

#: What a move may change on a visit; everything else is fixed when the visit opens (a change
#: of service or counter opens a new visit). The store updates only these columns.
VISIT_STATE_FIELDS = (
    "status",
    "queued_at",
    "checked_in_at",
    "counter",
    "front_at",
    "front_counter",
    "called_at",
    "started_at",
    "finished_at",
    "call_count",
    "teller",
    "rating",
    "held_reason",
    "held_at",
)

#: States in which a ticket is still in the hall's hands (not closed).
OPEN_STATES = frozenset(
    {Status.REMOTE, Status.WAITING, Status.CALLED, Status.SERVING, Status.SKIPPED}
)

#: What a held ticket may do: fail to print again, come back into the line, or be closed.
HELD_MOVES = frozenset({"hold", "release", "cancel", "expire"})


@dataclass(frozen=True, slots=True)
class Ticket:
    """One visit of a customer's ticket.

    ``queued_at`` is what routing ages from: the issue time, kept across transfers, and reset
    only by a reassign to the back of the queue. ``front_at`` is set by a reassign to the front;
    ``front_counter`` limits that front place to one counter. ``target_counter`` reserves a
    transferred ticket for one counter. ``held_reason`` (why, e.g. the printer's ``paper_out``)
    and ``held_at`` are set while the ticket is held; ``issued_by`` names the kiosk or staff
    member that issued it (where a reprint goes by default).

    A ticket taken from a phone (``remote_until`` set) is ``remote`` until its customer checks
    in (``checked_in_at``) with its ``check_in_code``; ``holder`` is the keyed hash of the
    browser that took it (the branch's limits count by it; never shown). An appointment's
    ticket names it (``appointment``).
    """

    id: str
    number: str
    service: str
    tier: str
    tier_rank: int
    green_channel: bool
    status: Status
    issued_at: float
    queued_at: float
    business_day: str
    origin_id: str | None = None
    visit: int = 1
    counter: int | None = None
    target_counter: int | None = None
    front_at: float | None = None
    front_counter: int | None = None
    called_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    call_count: int = 0
    teller: str | None = None
    rating: int | None = None
    appointment: str | None = None
    remote_until: float | None = None
    checked_in_at: float | None = None
    check_in_code: str | None = field(default=None, repr=False)
    holder: str | None = field(default=None, repr=False)
    card_hash: str | None = field(default=None, repr=False)
    held_reason: str | None = None
    held_at: float | None = None
    issued_by: str | None = None

    @property
    def is_waiting(self) -> bool:
        """Waits in the line: may be called, and counts ahead of those behind it."""
        return self.status is Status.WAITING and self.held_reason is None

    @property
    def is_held(self) -> bool:
        """Waiting, but out of the line until its ticket is printed (see the module)."""
        return self.status is Status.WAITING and self.held_reason is not None

    @property
    def is_vip(self) -> bool:
        """A customer of a tier ranked above the base one (the hall sets them apart)."""
        return is_vip(self.tier_rank)


def is_vip(tier_rank: int) -> bool:
    """VIPs are the tiers ranked above the base tier (rank 0)."""
    return tier_rank > 0


def check_move(ticket: Ticket, action: str) -> Status:
    """The state ``action`` leads to from the ticket's state, or ``IllegalMove``."""
    sources, target = MOVES[action]
    if ticket.status not in sources:
        raise IllegalMove(
            f"ticket {ticket.number} is {ticket.status.value}: cannot {action}",
            code=f"cannot_{action}_{ticket.status.value}",
        )
    if ticket.is_held and action not in HELD_MOVES:
        raise IllegalMove(
            f"ticket {ticket.number} is held (its ticket did not print): release it first",
            code=f"cannot_{action}_held",
        )
    return target


def call(ticket: Ticket, counter: int, now: float, teller: str | None = None) -> Ticket:
    """A counter calls a waiting ticket."""
    status = check_move(ticket, "call")
    return replace(
        ticket,
        status=status,
        counter=counter,
        called_at=now,
        call_count=ticket.call_count + 1,
        teller=teller,
        front_at=None,
        front_counter=None,
    )


def recall(ticket: Ticket, now: float) -> Ticket:
    """Announce the current ticket again; a serving ticket stays serving."""
    check_move(ticket, "recall")
    return replace(ticket, call_count=ticket.call_count + 1)


def start(ticket: Ticket, now: float) -> Ticket:
    """The called customer arrived at the counter."""
    return replace(ticket, status=check_move(ticket, "start"), started_at=now)


def skip(ticket: Ticket, now: float) -> Ticket:
    """The called customer did not come (a no-show)."""
    return replace(ticket, status=check_move(ticket, "skip"), finished_at=now)


def finish(ticket: Ticket, now: float, rating: int | None = None) -> Ticket:
    """Service done; ``started_at`` defaults to the call when the teller never pressed start."""
    status = check_move(ticket, "finish")
    return replace(
        ticket,
        status=status,
        finished_at=now,
        started_at=ticket.started_at if ticket.started_at is not None else ticket.called_at,
        rating=rating,
    )


def cancel(ticket: Ticket, now: float) -> Ticket:
    """The lobby manager withdraws a waiting (held or not) or skipped ticket (or its holder
    gives back a remote or waiting one)."""
    status = check_move(ticket, "cancel")
    return replace(ticket, status=status, finished_at=now, held_reason=None, held_at=None)


def check_in(ticket: Ticket, now: float, queued_at: float) -> Ticket:
    """The customer of a remote ticket arrived: it joins the queue with the place in time
    ``queued_at`` (``domain.remote.queue_time``: the check-in or the taking)."""
    return replace(
        ticket, status=check_move(ticket, "check_in"), checked_in_at=now, queued_at=queued_at
    )


def lapse(ticket: Ticket, now: float) -> Ticket:
    """A remote ticket not checked in within its validity is void."""
    return replace(ticket, status=check_move(ticket, "lapse"), finished_at=now)


def lapsed(ticket: Ticket) -> bool:
    """Whether a closed ticket is a remote one that was never checked in (for the phone page:
    "it was not checked in in time", not "cancelled")."""
    return (
        ticket.status is Status.CANCELLED
        and ticket.remote_until is not None
        and ticket.checked_in_at is None
        and ticket.finished_at is not None
        and ticket.finished_at >= ticket.remote_until
    )


def expire(ticket: Ticket, now: float) -> Ticket:
    """The business day ended with this ticket still open: it is void (cancelled)."""
    status = check_move(ticket, "expire")
    return replace(ticket, status=status, finished_at=now, held_reason=None, held_at=None)


def hold(ticket: Ticket, now: float, reason: str) -> Ticket:
    """Its paper ticket did not print (``reason``: why): out of the line until released.
    Holding a held ticket again keeps the first time and takes the newest reason."""
    check_move(ticket, "hold")
    if not reason:
        raise IllegalMove("a hold needs a reason", code="hold_reason_missing")
    since = ticket.held_at if ticket.held_at is not None else now
    return replace(ticket, held_reason=reason, held_at=since)


def release(ticket: Ticket, now: float) -> Ticket:
    """Back into the line at its own place: its ``queued_at`` is the issue time, so the
    customer does not lose the time they waited while it was held."""
    check_move(ticket, "release")
    if not ticket.is_held:
        raise IllegalMove(f"ticket {ticket.number} is not held", code="not_held")
    return replace(ticket, held_reason=None, held_at=None)


def reassign(ticket: Ticket, now: float, front: bool, counter: int | None = None) -> Ticket:
    """A skipped ticket waits again: at the front (optionally for one counter) or at the back."""
    status = check_move(ticket, "reassign")
    return replace(
        ticket,
        status=status,
        counter=None,
        teller=None,
        finished_at=None,
        called_at=None,
        started_at=None,
        queued_at=ticket.queued_at if front else now,
        front_at=now if front else None,
        front_counter=counter if front else None,
    )


def transfer(
    ticket: Ticket,
    now: float,
    new_id: str,
    service: str | None = None,
    counter: int | None = None,
) -> tuple[Ticket, Ticket]:
    """Close this visit and open the next: same number and issue time, new service or counter.

    Returns ``(closed_visit, new_visit)``.
    """
    status = check_move(ticket, "transfer")
    if service is None and counter is None:
        raise IllegalMove("a transfer needs a service or a counter", code="transfer_target_missing")
    if service == ticket.service and counter is None and ticket.status is Status.WAITING:
        raise IllegalMove(
            f"ticket {ticket.number} already waits for {service}", code="transfer_same_service"
        )
    closed = replace(
        ticket,
        status=status,
        finished_at=now,
        started_at=ticket.started_at,
    )
    opened = replace(
        ticket,
        id=new_id,
        status=Status.WAITING,
        service=service if service is not None else ticket.service,
        target_counter=counter,
        origin_id=ticket.origin_id or ticket.id,
        visit=ticket.visit + 1,
        counter=None,
        called_at=None,
        started_at=None,
        finished_at=None,
        call_count=0,
        teller=None,
        rating=None,
        front_at=None,
        front_counter=None,
    )
    return closed, opened
