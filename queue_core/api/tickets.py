"""Tickets: issuing (kiosk, lobby), reading, and the lobby's queue management."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status

from queue_core.access import rating_counters, require, require_staff
from queue_core.api.deps import AccessDep, BranchDep, Caller
from queue_core.api.schemas import Day, IssueBody, MoveBody, RatingBody, ReassignBody
from queue_core.domain.errors import Forbidden, InvalidInput
from queue_core.domain.tickets import Status
from queue_core.service import Branch

router = APIRouter(tags=["tickets"])
Json = dict[str, Any]


@router.post("/tickets", status_code=status.HTTP_201_CREATED)
async def issue(
    body: IssueBody,
    caller: Caller,
    branch: BranchDep,
    access: AccessDep,
    response: Response,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Json:
    """Issue a ticket. ``201`` means it is committed to disk."""
    require(caller, "kiosk", "lobby")
    admit = None
    green, confirm = body.green_channel, False
    if caller.role == "kiosk":
        if body.green_channel or (body.tier and body.tier != branch.config.default_tier.code):
            raise Forbidden("a kiosk cannot grant a tier or the green channel", "forbidden")
        admit = partial(access.kiosk_limit.take, caller.name)
        # The green channel asked for in care mode: granted, or for the lobby manager to confirm.
        green = body.care and branch.config.care.green_channel == "kiosk"
        confirm = body.care and not green
    if idempotency_key is not None and not idempotency_key.strip():
        raise InvalidInput("Idempotency-Key is empty", "invalid_idempotency_key")
    issued = await branch.run(
        Branch.issue,
        caller.name,
        body.service,
        body.tier,
        green,
        body.card,
        idempotency_key,
        admit,
    )
    if issued.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    elif confirm:
        await branch.run(Branch.request_help, caller.name, issued.ticket)
    return issued.ticket


@router.get("/tickets")
def list_tickets(
    caller: Caller,
    branch: BranchDep,
    status: Status | None = None,
    service: str | None = None,
    date: Day | None = None,
) -> list[Json]:
    """The day's tickets (every visit), oldest first, filtered by status and service: the
    lobby's list of skipped numbers to reassign, a teller's look-up."""
    require(caller, "teller", "lobby")
    return branch.list_tickets(date.isoformat() if date else None, status, service)


@router.get("/tickets/{ticket_id}")
def ticket(ticket_id: str, caller: Caller, branch: BranchDep) -> Json:
    require_staff(caller)
    return branch.ticket(ticket_id)


@router.get("/tickets/{ticket_id}/public")
def public(ticket_id: str, branch: BranchDep) -> Json:
    """What the QR code opens: number, status, position and counter, nothing more."""
    return branch.public(ticket_id)


@router.post("/tickets/{ticket_id}/cancel")
def cancel(ticket_id: str, caller: Caller, branch: BranchDep) -> Json:
    require(caller, "lobby")
    return branch.cancel(ticket_id)


@router.post("/tickets/{ticket_id}/reassign")
def reassign(ticket_id: str, body: ReassignBody, caller: Caller, branch: BranchDep) -> Json:
    require(caller, "lobby")
    return branch.reassign(ticket_id, body.position == "front", body.counter)


@router.post("/tickets/{ticket_id}/move")
def move(ticket_id: str, body: MoveBody, caller: Caller, branch: BranchDep) -> Json:
    require(caller, "lobby")
    return branch.move(ticket_id, body.service)


@router.post("/tickets/{ticket_id}/rating")
def rating(ticket_id: str, body: RatingBody, caller: Caller, branch: BranchDep) -> Json:
    """The customer's rating: from the counter's rating tablet or its keypad's evaluation
    keys (the signs agent, for the counters on its bus), or entered by the lobby manager;
    never by the teller who served (``access.rating_counters``)."""
    return branch.rate(ticket_id, body.rating, rating_counters(caller, branch.config))


@router.get("/queue")
def queue(caller: Caller, branch: BranchDep) -> Json:
    require(caller, "teller", "lobby")
    return branch.queue()


@router.get("/services")
def services(caller: Caller, branch: BranchDep) -> list[Json]:
    return branch.services()
