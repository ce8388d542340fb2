"""The use cases of tickets: issuing (kiosk, lobby), the kiosk's word on whether the paper
ticket printed, and the lobby manager's queue work."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass, replace

from queue_core.access import RateLimit
from queue_core.config import TierSettings
from queue_core.domain import cards
from queue_core.domain import tickets as moves
from queue_core.domain.care import HelpRequest, HelpState, HelpTicket
from queue_core.domain.errors import IllegalMove, InvalidInput
from queue_core.domain.events import (
    HelpChanged,
    ReprintRequested,
    TicketCancelled,
    TicketHeld,
    TicketIssued,
    TicketRated,
    TicketReassigned,
    TicketReleased,
    TicketTransferred,
)
from queue_core.domain.tickets import Status, Ticket
from queue_core.security import card_hash, new_id
from queue_core.usecases.unit import UnitOfWork


@dataclass(frozen=True, slots=True)
class Issued:
    """A ticket issued, or the ticket a retried request got the first time (``replayed``)."""

    ticket: Ticket
    replayed: bool


@dataclass(frozen=True, slots=True)
class IssueTicket:
    """Issue a ticket; with an ``idempotency_key`` a retry returns the first one.

    ``limited_as`` names the bucket (the kiosk) the ticket counts against when ``limit`` is
    given: only a new ticket is counted, never a retry answered from its key. With
    ``confirm_green`` (a kiosk in care mode, where the lobby manager confirms the green
    channel) a new ticket also asks the lobby manager over (``care.RequestHelp``'s kind care).
    """

    principal: str
    service: str
    tier: str | None = None
    green_channel: bool = False
    card: str | None = None
    idempotency_key: str | None = None
    limited_as: str | None = None
    limit: RateLimit | None = None
    confirm_green: bool = False

    def run(self, uow: UnitOfWork) -> Issued:
        config = uow.config
        svc = config.service(self.service)
        if svc is None:
            known = ", ".join(s.code for s in config.services)
            raise InvalidInput(
                f"unknown service {self.service!r} (known: {known})", "unknown_service"
            )
        tier = self._tier(uow)
        hashed = card_hash(self.card.strip(), uow.secret) if self.card is not None else None
        request_hash = hashlib.sha256(
            json.dumps([self.service, self.tier, self.green_channel, hashed]).encode()
        ).hexdigest()
        first = uow.replayed(self.principal, self.idempotency_key, request_hash)
        if first is not None:
            return Issued(first, replayed=True)
        if self.limit is not None and self.limited_as is not None:
            bucket = self.limit.take(uow.bucket(self.limited_as), uow.now)
            uow.save_bucket(self.limited_as, *bucket)
        now = uow.now
        t = replace(
            uow.new_ticket(svc, tier, green_channel=self.green_channel),
            card_hash=hashed,
            issued_by=self.principal,
        )
        uow.save(t, new=True)
        uow.live.arrivals.record(t)
        if self.idempotency_key:
            uow.tx.rows.save_idempotent(
                self.principal, self.idempotency_key, request_hash, t.id, now
            )
        uow.emit(TicketIssued(t))
        if self.confirm_green:
            asked = HelpTicket(t.id, t.number, t.service)
            uow.emit(
                HelpChanged(
                    HelpRequest(new_id(), self.principal, HelpState.OPEN, now, ticket=asked)
                )
            )
        return Issued(t, replayed=False)

    def _tier(self, uow: UnitOfWork) -> TierSettings:
        """The tier asked for (the default one if none), raised by a card's tier."""
        config = uow.config
        tier = config.tier(self.tier) if self.tier else config.default_tier
        if tier is None:
            raise InvalidInput(f"unknown tier {self.tier!r}", "unknown_tier")
        if self.card is not None:
            card = self.card.strip()
            if not cards.is_card_number(card):
                raise InvalidInput(cards.WHAT_A_CARD_IS, "invalid_card")
            by_card = config.tier_for_card(card)
            if by_card is not None and by_card.rank > tier.rank:
                tier = by_card
        return tier


@dataclass(frozen=True, slots=True)
class CancelTicket:
    """The lobby manager withdraws a waiting or skipped ticket."""

    ticket_id: str

    def run(self, uow: UnitOfWork) -> Ticket:
        t = moves.cancel(uow.ticket(self.ticket_id), uow.now)
        uow.save(t)
        uow.emit(TicketCancelled(t))
        return t


@dataclass(frozen=True, slots=True)
class ReassignTicket:
    """A skipped ticket waits again: at the ``front`` (for one ``counter``, if given) or back."""

    ticket_id: str
    front: bool
    counter: int | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        if self.counter is not None:
            uow.counter(self.counter)
        t = moves.reassign(uow.ticket(self.ticket_id), uow.now, self.front, self.counter)
        uow.save(t)
        uow.emit(TicketReassigned(t))
        return t


@dataclass(frozen=True, slots=True)
class MoveTicket:
    """A waiting ticket moves to another service, keeping its number and place in time;
    returns the new visit."""

    ticket_id: str
    service: str

    def run(self, uow: UnitOfWork) -> Ticket:
        if uow.config.service(self.service) is None:
            raise InvalidInput(f"unknown service {self.service!r}", "unknown_service")
        current = uow.ticket(self.ticket_id)
        if current.status is not Status.WAITING:
            raise IllegalMove(
                f"ticket {current.number} is {current.status.value}",
                f"cannot_move_{current.status.value}",
            )
        old, new = moves.transfer(current, uow.now, new_id(), self.service, None)
        uow.save(old)
        uow.save(new, new=True)
        uow.emit(TicketTransferred(old, new))
        return new


@dataclass(frozen=True, slots=True)
class RateTicket:
    """The customer's rating of a finished ticket, once (``counters``: only of a ticket served
    at one of them; None: at any)."""

    ticket_id: str
    rating: int
    counters: Collection[int] | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        t = uow.ticket(self.ticket_id)
        if self.counters is not None and t.counter not in self.counters:
            raise IllegalMove("this ticket was not served at this counter", "wrong_counter")
        if t.status is not Status.FINISHED:
            raise IllegalMove(f"ticket {t.number} is {t.status.value}", "not_finished")
        if t.rating is not None:
            raise IllegalMove(f"ticket {t.number} is already rated", "already_rated")
        t = replace(t, rating=self.rating)
        uow.save(t)
        uow.emit(TicketRated(t))
        return t


@dataclass(frozen=True, slots=True)
class ReportPrinted:
    """The kiosk printed the ticket: a held one (a reprint that came out) is back in the line;
    any other is left as it is (the report may come after a call)."""

    ticket_id: str

    def run(self, uow: UnitOfWork) -> Ticket:
        t = uow.ticket(self.ticket_id)
        if not t.is_held:
            return t
        t = moves.release(t, uow.now)
        uow.save(t)
        uow.emit(TicketReleased(t, reason="printed"))
        return t


@dataclass(frozen=True, slots=True)
class ReportPrintFailed:
    """The kiosk could not print the ticket (``reason``: the printer's error code): a waiting
    ticket is held, so no counter calls a number nobody holds. A ticket already called (the
    report came late) or closed is left as it is."""

    ticket_id: str
    reason: str

    def run(self, uow: UnitOfWork) -> Ticket:
        t = uow.ticket(self.ticket_id)
        if t.status is not Status.WAITING:
            return t
        held = moves.hold(t, uow.now, self.reason)
        if held == t:
            return t
        uow.save(held)
        uow.emit(TicketHeld(held, reason=self.reason))
        return held


@dataclass(frozen=True, slots=True)
class ReleaseTicket:
    """The lobby manager puts a held ticket back in the line (the customer has their number
    written down, or a ticket from elsewhere), at the place its issue time gives it."""

    ticket_id: str

    def run(self, uow: UnitOfWork) -> Ticket:
        t = moves.release(uow.ticket(self.ticket_id), uow.now)
        uow.save(t)
        uow.emit(TicketReleased(t, reason="lobby"))
        return t


@dataclass(frozen=True, slots=True)
class ReprintTicket:
    """The lobby manager asks a kiosk (``kiosk``, else the one that issued the ticket) to print
    a waiting ticket again; the kiosk's report then releases it or keeps it held."""

    ticket_id: str
    kiosk: str | None = None

    def run(self, uow: UnitOfWork) -> Ticket:
        t = uow.ticket(self.ticket_id)
        if t.status is not Status.WAITING:
            raise IllegalMove(
                f"ticket {t.number} is {t.status.value}: only a waiting ticket is reprinted",
                f"cannot_reprint_{t.status.value}",
            )
        kiosks = [d.name for d in uow.config.devices if d.role == "kiosk"]
        kiosk = self.kiosk or (t.issued_by if t.issued_by in kiosks else None)
        if kiosk is None:
            raise InvalidInput(
                f"ticket {t.number} was not issued at a kiosk: say which kiosk should print it"
                f" (kiosks: {', '.join(kiosks) or 'none'})",
                "kiosk_required",
            )
        if kiosk not in kiosks:
            raise InvalidInput(
                f"no kiosk {kiosk!r} (kiosks: {', '.join(kiosks) or 'none'})", "unknown_kiosk"
            )
        # The paper shows the place the customer will have once it printed (back in line).
        uow.emit(ReprintRequested(replace(t, held_reason=None, held_at=None), kiosk=kiosk))
        return t
