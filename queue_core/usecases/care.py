"""Help at the kiosk ("请大堂经理帮忙"): a kiosk calls the lobby manager without taking a
ticket; the lobby manager's answer clears it on the console and the hall display.

A request lives in the event log only (its ``help`` events, each carrying its state after the
change): nothing about the customer is kept, and a new business day starts with none.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from queue_core.domain import care
from queue_core.domain.care import HelpRequest, HelpState, HelpTicket
from queue_core.domain.errors import NotFound
from queue_core.domain.events import HelpChanged, TicketGreenChannel
from queue_core.domain.tickets import Status
from queue_core.security import new_id
from queue_core.store.models import EventRow
from queue_core.usecases.unit import UnitOfWork


@dataclass(frozen=True, slots=True)
class RequestHelp:
    """Kiosk ``device`` asks the lobby manager over."""

    device: str

    def run(self, uow: UnitOfWork) -> HelpRequest:
        request = HelpRequest(new_id(), self.device, HelpState.OPEN, uow.now)
        uow.changed = True
        uow.emit(HelpChanged(request))
        return request


@dataclass(frozen=True, slots=True)
class AnswerHelp:
    """The lobby manager is on the way: the request leaves the console and the display. A
    green-channel request is granted (its ticket, if still waiting, moves into the green
    channel) or declined (``grant``). A request already answered is answered again with its
    state, and nothing happens."""

    ident: str
    grant: bool | None = None

    def run(self, uow: UnitOfWork) -> HelpRequest:
        requests = care.latest(changes_since(uow.session, uow.day.start))
        found = next((r for r in requests if r.id == self.ident), None)
        if found is None:
            raise NotFound(f"no help request {self.ident}", "help_not_found")
        answered = care.answer(found, uow.now, self.grant)
        if answered is found:
            return found
        if answered.state is HelpState.GRANTED and answered.ticket is not None:
            t = uow.ticket(answered.ticket.id)
            if t.status is Status.WAITING and not t.green_channel:
                t = replace(t, green_channel=True)
                uow.save(t)
                uow.emit(TicketGreenChannel(t))
        uow.changed = True
        uow.emit(HelpChanged(answered))
        return answered


def changes_since(session: Session, since: float) -> list[HelpRequest]:
    """The help requests' changes since ``since``, in order, from the event log."""
    rows = session.scalars(
        select(EventRow)
        .where(EventRow.type == HelpChanged.type, EventRow.at >= since)
        .order_by(EventRow.seq)
    )
    return [_request(r.data) for r in rows]


def _request(body: dict[str, Any]) -> HelpRequest:
    answered = body.get("answered_at")
    asked = body.get("ticket")
    return HelpRequest(
        id=str(body["id"]),
        device=str(body["device"]),
        state=HelpState(str(body["state"])),
        at=datetime.fromisoformat(str(body["at"])).timestamp(),
        answered_at=None if answered is None else datetime.fromisoformat(str(answered)).timestamp(),
        ticket=None
        if not asked
        else HelpTicket(str(asked["id"]), str(asked["number"]), str(asked["service"])),
    )
