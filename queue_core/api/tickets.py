"""Tickets: issuing (kiosk, lobby), reading, and the lobby's queue management."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import TypeAdapter

from queue_core import wire
from queue_core.api.deps import (
    BranchDep,
    Caller,
    Issuer,
    IssuingBy,
    Lobby,
    QueueReader,
    Rater,
    Staff,
)
from queue_core.api.errors import ERRORS
from queue_core.api.schemas import (
    Day,
    IssueBody,
    MoveBody,
    PrintFailedBody,
    RatingBody,
    ReassignBody,
    ReprintBody,
)
from queue_core.domain.errors import Forbidden, InvalidInput
from queue_core.domain.tickets import Status
from queue_core.usecases import tickets as uc

router = APIRouter(tags=["tickets"], responses=ERRORS)
#: Issuing alone, the route a kiosk press takes: the app matches it before every other route
#: (each route tried costs FastAPI some scope bookkeeping on every request).
issuing = APIRouter(tags=["tickets"], responses=ERRORS)
#: A ticket's answer in the bytes its response model gives: ``wire.ticket`` built it from the
#: typed ticket, so it is serialised without being validated again.
TICKET_JSON = TypeAdapter(wire.TicketBody)


@issuing.post("/tickets", status_code=status.HTTP_201_CREATED, response_model=wire.TicketBody)
async def issue(
    body: IssueBody,
    issuing: IssuingBy,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Issue a ticket. ``201`` means it is committed to disk."""
    caller, branch, access = issuing.caller, issuing.branch, issuing.access
    kiosk = caller.role == "kiosk"
    if kiosk and (
        body.green_channel or (body.tier and body.tier != branch.config.default_tier.code)
    ):
        raise Forbidden("a kiosk cannot grant a tier or the green channel", "forbidden")
    green, confirm = body.green_channel, False
    if kiosk:
        # The green channel asked for in care mode: granted, or for the lobby manager to confirm.
        green = body.care and branch.config.care.green_channel == "kiosk"
        confirm = body.care and not green
    if idempotency_key is not None and not idempotency_key.strip():
        raise InvalidInput("Idempotency-Key is empty", "invalid_idempotency_key")
    command = uc.IssueTicket(
        caller.name,
        body.service,
        body.tier,
        green,
        body.card,
        idempotency_key,
        limited_as=caller.name if kiosk else None,
        limit=access.kiosk_limit if kiosk else None,
        confirm_green=confirm,
    )
    done = await branch.execute(command)
    answer = Response(
        TICKET_JSON.dump_json(done.body), status.HTTP_201_CREATED, media_type="application/json"
    )
    if done.value.replayed:
        answer.headers["Idempotent-Replayed"] = "true"
    return answer


@router.get("/tickets", response_model=list[wire.TicketBody])
def list_tickets(
    caller: QueueReader,
    branch: BranchDep,
    status: Status | None = None,
    service: str | None = None,
    date: Day | None = None,
) -> list[wire.TicketBody]:
    """The day's tickets (every visit), oldest first, filtered by status and service: the
    lobby's list of skipped numbers to reassign, a teller's look-up."""
    return branch.reads.list_tickets(date.isoformat() if date else None, status, service)


@router.get("/tickets/{ticket_id}", response_model=wire.TicketBody)
def ticket(ticket_id: str, caller: Staff, branch: BranchDep) -> wire.TicketBody:
    return branch.reads.ticket(ticket_id)


@router.get("/tickets/{ticket_id}/public", response_model=wire.PublicTicket)
def public(ticket_id: str, branch: BranchDep) -> wire.PublicTicket:
    """What the QR code opens: number, status, position and counter, nothing more."""
    return branch.reads.public(ticket_id)


@router.post("/tickets/{ticket_id}/cancel", response_model=wire.TicketBody)
async def cancel(ticket_id: str, caller: Lobby, branch: BranchDep) -> object:
    return (await branch.execute(uc.CancelTicket(ticket_id))).body


@router.post("/tickets/{ticket_id}/reassign", response_model=wire.TicketBody)
async def reassign(ticket_id: str, body: ReassignBody, caller: Lobby, branch: BranchDep) -> object:
    command = uc.ReassignTicket(ticket_id, body.position == "front", body.counter)
    return (await branch.execute(command)).body


@router.post("/tickets/{ticket_id}/printed", response_model=wire.TicketBody)
async def printed(ticket_id: str, caller: Issuer, branch: BranchDep) -> object:
    """The kiosk printed the ticket (and the printer confirmed it): a held ticket is released."""
    return (await branch.execute(uc.ReportPrinted(ticket_id))).body


@router.post("/tickets/{ticket_id}/print-failed", response_model=wire.TicketBody)
async def print_failed(
    ticket_id: str, body: PrintFailedBody, caller: Issuer, branch: BranchDep
) -> object:
    """The kiosk could not print the ticket: a waiting ticket is held (not called, not counted
    ahead of anyone) until the lobby reprints, releases or cancels it."""
    return (await branch.execute(uc.ReportPrintFailed(ticket_id, body.code))).body


@router.post("/tickets/{ticket_id}/release", response_model=wire.TicketBody)
async def release(ticket_id: str, caller: Lobby, branch: BranchDep) -> object:
    """A held ticket goes back in the line, at its issue time's place."""
    return (await branch.execute(uc.ReleaseTicket(ticket_id))).body


@router.post("/tickets/{ticket_id}/reprint", response_model=wire.TicketBody)
async def reprint(ticket_id: str, body: ReprintBody, caller: Lobby, branch: BranchDep) -> object:
    """Ask a kiosk to print a waiting ticket again (event ``ticket.reprint``)."""
    return (await branch.execute(uc.ReprintTicket(ticket_id, body.kiosk))).body


@router.post("/tickets/{ticket_id}/move", response_model=wire.TicketBody)
async def move(ticket_id: str, body: MoveBody, caller: Lobby, branch: BranchDep) -> object:
    return (await branch.execute(uc.MoveTicket(ticket_id, body.service))).body


@router.post("/tickets/{ticket_id}/rating", response_model=wire.TicketBody)
async def rating(ticket_id: str, body: RatingBody, rater: Rater, branch: BranchDep) -> object:
    """The customer's rating: from the counter's rating tablet or its keypad's evaluation
    keys (the signs agent, for the counters on its bus), or entered by the lobby manager;
    never by the teller who served (``access.rating_counters``)."""
    command = uc.RateTicket(ticket_id, body.rating, rater.counters)
    return (await branch.execute(command)).body


@router.get("/queue", response_model=wire.QueueBody)
def queue(caller: QueueReader, branch: BranchDep) -> wire.QueueBody:
    return branch.reads.queue()


@router.get("/services", response_model=list[wire.ServiceBody])
def services(caller: Caller, branch: BranchDep) -> list[wire.ServiceBody]:
    return branch.reads.services()
