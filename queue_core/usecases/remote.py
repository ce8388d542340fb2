"""The use cases of tickets taken from a phone before arriving (``domain.remote``): taking one
within the branch's limits, checking in at the branch, giving one back, and the lapse of those
never checked in.

The browser that takes a ticket is known only by the keyed hash of the random id it keeps
(``holder``): the limits count by it, nothing shows it. A remote ticket is ``remote`` until
its customer checks in: with the code the kiosk or the door shows now (the check-in page sends
it with the tickets the phone holds) or with the ticket's own code typed in by the lobby.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, func, select

from queue_core.domain import remote
from queue_core.domain import tickets as moves
from queue_core.domain.appointments import AppointmentStatus
from queue_core.domain.errors import IllegalMove, InvalidInput, NotFound
from queue_core.domain.events import TicketCancelled, TicketCheckedIn, TicketTaken
from queue_core.domain.tickets import Status, Ticket
from queue_core.security import browser_hash, door_key
from queue_core.store.models import AppointmentRow
from queue_core.store.pending import TICKETS
from queue_core.usecases.unit import UnitOfWork

#: What a phone page's browser id looks like (128 random bits, in hex).
BROWSER_ID = re.compile(r"^[0-9a-f]{32}$")
#: The most tickets one check-in may carry (what one phone holds).
MAX_CHECK_IN = 8


@dataclass(frozen=True, slots=True)
class TakeRemote:
    """A phone takes a ticket for ``service`` within the branch's ``[remote]`` limits: it is
    ``remote`` until checked in."""

    service: str
    browser: str

    def run(self, uow: UnitOfWork) -> Ticket:
        config, now = uow.config, uow.now
        svc = config.service(self.service)
        if svc is None:
            raise InvalidInput(f"unknown service {self.service!r}", "unknown_service")
        if not BROWSER_ID.match(self.browser):
            raise InvalidInput("browser must be 32 hex digits", "invalid_browser")
        rules = config.remote.rules()
        holder = browser_hash(self.browser, uow.secret)
        day = uow.day
        if rules.enabled and not day.offers(svc.code, uow.live.served_by(), now):
            raise IllegalMove(
                "this service takes no new tickets now: see the opening hours", "branch_closed"
            )
        remote.admit(self._counts(uow, holder), rules)
        t = replace(
            uow.new_ticket(svc, config.default_tier, status=Status.REMOTE),
            remote_until=now + rules.valid_s,
            check_in_code=free_check_in_code(uow),
            holder=holder,
        )
        uow.save(t, new=True)
        uow.emit(TicketTaken(t))
        return t

    def _counts(self, uow: UnitOfWork, holder: str) -> remote.RemoteCounts:
        today, now = uow.day.date, uow.now
        uow.tx.rows.write()  # this transaction's tickets are counted too

        def count(*where: ColumnElement[bool]) -> int:
            found = uow.session.execute(select(func.count()).select_from(TICKETS).where(*where))
            return int(found.scalar_one())

        mine = (TICKETS.c.holder == holder, TICKETS.c.business_day == today)
        on_way = TICKETS.c.status == Status.REMOTE.value
        return remote.RemoteCounts(
            browser_open=count(*mine, on_way),
            browser_today=count(*mine),
            branch_last_hour=count(
                TICKETS.c.remote_until.is_not(None), TICKETS.c.issued_at > now - 3600
            ),
            service_remote=count(on_way, TICKETS.c.service == self.service),
            service_waiting=sum(1 for t in uow.live.waiting if t.service == self.service),
        )


#: An appointment still waiting for its check-in (``domain.appointments``).
BOOKED = AppointmentStatus.BOOKED.value


def free_check_in_code(uow: UnitOfWork) -> str:
    """A check-in code that no ticket waiting for its check-in and no booked appointment has:
    the lobby types either kind into one box, so a code names one of them only."""
    while True:
        code = f"{secrets.randbelow(10**remote.CODE_DIGITS):0{remote.CODE_DIGITS}d}"
        taken = uow.tickets(
            select(TICKETS).where(
                TICKETS.c.check_in_code == code, TICKETS.c.status == Status.REMOTE.value
            )
        )
        booked = uow.session.execute(
            select(func.count())
            .select_from(AppointmentRow)
            .where(AppointmentRow.code == code, AppointmentRow.status == BOOKED)
        ).scalar_one()
        if not taken and not booked:
            return code


@dataclass(frozen=True, slots=True)
class CheckIn:
    """The customer is at the branch: the check-in page sends the code the kiosk or the door
    shows now (``door_code``) with the tickets the phone holds; or the lobby types the ticket's
    own code (``ticket_code``). A ticket past its validity lapses instead; one already checked
    in stays as it is. Returns the ids of the tickets it was asked about."""

    ticket_ids: tuple[str, ...] = ()
    door_code: str | None = None
    ticket_code: str | None = None

    def run(self, uow: UnitOfWork) -> list[str]:
        rules = uow.config.remote.rules()
        found = self._tickets(uow, rules)
        now = uow.now
        for t in found:
            if t.status is not Status.REMOTE:
                continue
            if t.remote_until is not None and now >= t.remote_until:
                t = moves.lapse(t, now)
                uow.save(t)
                uow.emit(TicketCancelled(t, reason="lapsed"))
            else:
                t = moves.check_in(t, now, remote.queue_time(t.issued_at, now, rules))
                uow.save(t)
                uow.live.arrivals.record(t)
                uow.emit(TicketCheckedIn(t))
        return [t.id for t in found]

    def _tickets(self, uow: UnitOfWork, rules: remote.RemoteRules) -> list[Ticket]:
        if self.ticket_code is not None:
            code = self.ticket_code.strip().replace(" ", "")
            if not remote.is_check_in_code(code):
                raise InvalidInput(
                    f"a check-in code is {remote.CODE_DIGITS} digits", "invalid_check_in_code"
                )
            found = uow.tickets(
                select(TICKETS).where(
                    TICKETS.c.check_in_code == code, TICKETS.c.status == Status.REMOTE.value
                )
            )
            if not found:
                raise NotFound("no ticket waits for check-in with this code", "ticket_not_found")
            return found[:1]
        if self.door_code is None or not remote.door_code_ok(
            door_key(uow.secret), self.door_code, uow.now, rules
        ):
            raise InvalidInput(
                "this check-in code has changed: scan the code the kiosk shows now",
                "check_in_code_stale",
            )
        if not self.ticket_ids:
            raise InvalidInput("no ticket to check in", "nothing_to_check_in")
        if len(self.ticket_ids) > MAX_CHECK_IN:
            raise InvalidInput(f"at most {MAX_CHECK_IN} tickets at once", "too_many_tickets")
        out = []
        for ticket_id in dict.fromkeys(self.ticket_ids):
            t = uow.tx.rows.ticket(ticket_id)
            if t is not None and t.remote_until is not None:
                out.append(t)
        return out


@dataclass(frozen=True, slots=True)
class GiveBack:
    """The holder gives the ticket back from the phone (remote, or waiting)."""

    ticket_id: str

    def run(self, uow: UnitOfWork) -> Ticket:
        t = uow.ticket(self.ticket_id)
        if t.status not in (Status.REMOTE, Status.WAITING):
            raise IllegalMove(
                "this ticket can no longer be given back from the phone", "illegal_move"
            )
        t = moves.cancel(t, uow.now)
        uow.save(t)
        uow.emit(TicketCancelled(t, reason="given_back"))
        return t


@dataclass(frozen=True, slots=True)
class LapseRemote:
    """Void the remote tickets not checked in within their validity (the housekeeping's)."""

    def run(self, uow: UnitOfWork) -> int:
        now = uow.now
        due = uow.tickets(
            select(TICKETS).where(
                TICKETS.c.status == Status.REMOTE.value, TICKETS.c.remote_until <= now
            )
        )
        for t in due:
            t = moves.lapse(t, now)
            uow.save(t)
            uow.emit(TicketCancelled(t, reason="lapsed"))
        return len(due)
