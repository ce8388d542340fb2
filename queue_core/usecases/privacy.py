"""Privacy (PIPL; JR/T 0171-2020 counts card numbers as sensitive): erasing a customer's card
on request. The card hashes past the branch's retention go when a business day starts
(``usecases.day``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select, update

from queue_core.domain import cards
from queue_core.domain.errors import InvalidInput, NotFound
from queue_core.security import card_hash
from queue_core.store.models import TicketRow
from queue_core.usecases.unit import UnitOfWork


@dataclass(frozen=True, slots=True)
class Erased:
    """How many tickets held the card."""

    erased: int


@dataclass(frozen=True, slots=True)
class EraseCard:
    """Erase a customer's card from every ticket that holds it (``card``), or one ticket's
    card (``ticket_id``): the keyed hash goes; the visit stays in the figures without it."""

    card: str | None = None
    ticket_id: str | None = None

    def run(self, uow: UnitOfWork) -> Erased:
        if (self.card is None) == (self.ticket_id is None):
            raise InvalidInput("give a card number or a ticket id", "invalid_input")
        uow.tx.rows.write()  # this transaction's tickets are erased too
        session = uow.session
        if self.card is not None:
            card = self.card.strip()
            if not cards.is_card_number(card):
                raise InvalidInput(cards.WHAT_A_CARD_IS, "invalid_card")
            where = TicketRow.card_hash == card_hash(card, uow.secret)
        else:
            if session.get(TicketRow, self.ticket_id) is None:
                raise NotFound(f"no ticket {self.ticket_id}", "ticket_not_found")
            where = (TicketRow.id == self.ticket_id) & TicketRow.card_hash.is_not(None)
        held = {str(i) for i in session.scalars(select(TicketRow.id).where(where))}
        if held:
            uow.changed = True
            session.execute(update(TicketRow).where(where).values(card_hash=None))
            live = uow.live
            for ident in held:  # the open ones the engine holds in memory too (held or not)
                t = live.get(ident)
                if t is not None:
                    live.put(replace(t, card_hash=None))
            for number, t in list(live.current.items()):
                if t.id in held:
                    live.current[number] = replace(t, card_hash=None)
        return Erased(len(held))
