"""Counter actions: what a teller's caller, a keypad or the lobby manager presses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from queue_core.access import Principal, rating_counters, require_counter
from queue_core.api.deps import BranchDep, Caller
from queue_core.api.schemas import CallBody, FinishBody, PauseBody, TransferBody
from queue_core.domain.errors import Forbidden
from queue_core.service import Branch

router = APIRouter(tags=["counters"])
Json = dict[str, Any]


def _teller(caller: Principal) -> str | None:
    """The teller acting, who then holds the counter; the lobby manager, an admin and a keypad
    act on a counter without holding it."""
    return caller.name if caller.role == "teller" else None


def _check(caller: Principal, number: int, branch: Branch, action: str) -> None:
    require_counter(caller, number, branch.config, action)


@router.get("/counters")
def counters(caller: Caller, branch: BranchDep) -> list[Json]:
    """Every counter; a counter's rating tablet sees only its own."""
    found = branch.counters()
    if caller.role == "rating":
        return [c for c in found if c["number"] == caller.counter]
    return found


@router.get("/counters/{number}")
def counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    if caller.role == "rating" and number != caller.counter:
        raise Forbidden(f"this rating tablet is counter {caller.counter}'s", "forbidden")
    return branch.counter(number)


@router.post("/counters/{number}/call-next", responses={204: {"description": "nobody waits"}})
async def call_next(number: int, caller: Caller, branch: BranchDep) -> Any:
    _check(caller, number, branch, "call-next")
    called = await branch.run(Branch.call_next, number, _teller(caller))
    return Response(status_code=204) if called is None else called


@router.post("/counters/{number}/call")
async def call(number: int, body: CallBody, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "call")
    return await branch.run(Branch.call_number, number, body.number, _teller(caller))


@router.post("/counters/{number}/recall")
async def recall(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "recall")
    return await branch.run(Branch.recall, number, _teller(caller))


@router.post("/counters/{number}/start")
async def start(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "start")
    return await branch.run(Branch.start, number, _teller(caller))


@router.post("/counters/{number}/skip")
async def skip(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "skip")
    return await branch.run(Branch.skip, number, _teller(caller))


@router.post("/counters/{number}/finish")
async def finish(
    number: int, caller: Caller, branch: BranchDep, body: FinishBody | None = None
) -> Json:
    _check(caller, number, branch, "finish")
    if body is not None and body.rating is not None:
        allowed = rating_counters(caller, branch.config)
        if allowed is not None and number not in allowed:
            raise Forbidden(f"the {caller.role} role may not rate at counter {number}", "forbidden")
    return await branch.run(Branch.finish, number, body.rating if body else None, _teller(caller))


@router.post("/counters/{number}/rating-request")
async def rating_request(number: int, caller: Caller, branch: BranchDep) -> Json:
    """Ask the customer at (or just gone from) the desk to rate, on the counter's tablet."""
    _check(caller, number, branch, "rating-request")
    return await branch.run(Branch.request_rating, number, _teller(caller))


@router.post("/counters/{number}/transfer")
async def transfer(number: int, body: TransferBody, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "transfer")
    return await branch.run(Branch.transfer, number, body.service, body.counter, _teller(caller))


@router.post("/counters/{number}/pause")
async def pause(
    number: int, caller: Caller, branch: BranchDep, body: PauseBody | None = None
) -> Json:
    _check(caller, number, branch, "pause")
    return await branch.run(
        Branch.set_state, number, "pause", _teller(caller), body.reason if body else None
    )


@router.post("/counters/{number}/resume")
async def resume(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "resume")
    return await branch.run(Branch.set_state, number, "resume", _teller(caller))


@router.post("/counters/{number}/open")
async def open_counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "open")
    return await branch.run(Branch.set_state, number, "open", _teller(caller))


@router.post("/counters/{number}/close")
async def close_counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch, "close")
    return await branch.run(Branch.set_state, number, "close", _teller(caller))


@router.post("/counters/{number}/take-over")
async def take_over(number: int, caller: Caller, branch: BranchDep) -> Json:
    """A teller logged in at this counter takes it over from the colleague holding it."""
    _check(caller, number, branch, "take-over")
    return await branch.run(Branch.set_state, number, "take_over", _teller(caller))
