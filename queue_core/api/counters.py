"""Counter actions: what a teller's caller, a keypad or the lobby manager presses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from queue_core import wire
from queue_core.access import rating_counters
from queue_core.api.deps import AtCounter, BranchDep, Caller
from queue_core.api.errors import ERRORS
from queue_core.api.schemas import CallNumberBody, FinishBody, PauseBody, TransferBody
from queue_core.domain.errors import Forbidden
from queue_core.usecases import counters as uc

router = APIRouter(tags=["counters"], responses=ERRORS)
NOBODY: dict[int | str, dict[str, Any]] = {
    204: {"description": "nobody waits that this counter serves"}
}


@router.get("/counters", response_model=list[wire.CounterBody])
def counters(caller: Caller, branch: BranchDep) -> list[wire.CounterBody]:
    """Every counter; a counter's rating tablet sees only its own."""
    found = branch.reads.counters()
    if caller.role == "rating":
        return [c for c in found if c["number"] == caller.counter]
    return found


@router.get("/counters/{number}", response_model=wire.CounterBody)
def counter(number: int, caller: Caller, branch: BranchDep) -> wire.CounterBody:
    if caller.role == "rating" and number != caller.counter:
        raise Forbidden(f"this rating tablet is counter {caller.counter}'s", "forbidden")
    return branch.reads.counter(number)


@router.post("/counters/{number}/call-next", response_model=wire.TicketBody, responses=NOBODY)
async def call_next(at: AtCounter, branch: BranchDep) -> object:
    done = await branch.execute(uc.CallNext(at.number, at.teller))
    return Response(status_code=204) if done.value is None else done.body


@router.post("/counters/{number}/call", response_model=wire.TicketBody)
async def call(at: AtCounter, body: CallNumberBody, branch: BranchDep) -> object:
    return (await branch.execute(uc.CallNumber(at.number, body.number, at.teller))).body


@router.post("/counters/{number}/recall", response_model=wire.TicketBody)
async def recall(at: AtCounter, branch: BranchDep) -> object:
    return (await branch.execute(uc.Recall(at.number, at.teller))).body


@router.post("/counters/{number}/start", response_model=wire.TicketBody)
async def start(at: AtCounter, branch: BranchDep) -> object:
    return (await branch.execute(uc.Start(at.number, at.teller))).body


@router.post("/counters/{number}/skip", response_model=wire.TicketBody)
async def skip(at: AtCounter, branch: BranchDep) -> object:
    return (await branch.execute(uc.Skip(at.number, at.teller))).body


@router.post("/counters/{number}/finish", response_model=wire.TicketBody)
async def finish(at: AtCounter, branch: BranchDep, body: FinishBody | None = None) -> object:
    """Finish the customer at the desk; with ``rating``, the customer's (never the teller's:
    ``access.rating_counters``)."""
    rating = body.rating if body else None
    if rating is not None:
        allowed = rating_counters(at.principal, branch.config)
        if allowed is not None and at.number not in allowed:
            role = at.principal.role
            raise Forbidden(f"the {role} role may not rate at counter {at.number}", "forbidden")
    return (await branch.execute(uc.Finish(at.number, at.teller, rating))).body


@router.post("/counters/{number}/rating-request", response_model=wire.TicketBody)
async def rating_request(at: AtCounter, branch: BranchDep) -> object:
    """Ask the customer at (or just gone from) the desk to rate, on the counter's tablet."""
    return (await branch.execute(uc.RequestRating(at.number, at.teller))).body


@router.post("/counters/{number}/transfer", response_model=wire.TicketBody)
async def transfer(at: AtCounter, body: TransferBody, branch: BranchDep) -> object:
    """The customer waits again for another service or counter; answers the new visit."""
    command = uc.Transfer(at.number, body.service, body.counter, at.teller)
    return (await branch.execute(command)).body


async def _move(
    at: AtCounter, branch: BranchDep, action: uc.CounterAction, reason: str | None = None
) -> object:
    return (await branch.execute(uc.MoveCounter(at.number, action, at.teller, reason))).body


@router.post("/counters/{number}/pause", response_model=wire.CounterBody)
async def pause(at: AtCounter, branch: BranchDep, body: PauseBody | None = None) -> object:
    return await _move(at, branch, "pause", body.reason if body else None)


@router.post("/counters/{number}/resume", response_model=wire.CounterBody)
async def resume(at: AtCounter, branch: BranchDep) -> object:
    return await _move(at, branch, "resume")


@router.post("/counters/{number}/open", response_model=wire.CounterBody)
async def open_counter(at: AtCounter, branch: BranchDep) -> object:
    return await _move(at, branch, "open")


@router.post("/counters/{number}/close", response_model=wire.CounterBody)
async def close_counter(at: AtCounter, branch: BranchDep) -> object:
    return await _move(at, branch, "close")


@router.post("/counters/{number}/take-over", response_model=wire.CounterBody)
async def take_over(at: AtCounter, branch: BranchDep) -> object:
    """A teller logged in at this counter takes it over from the colleague holding it."""
    return await _move(at, branch, "take_over")
