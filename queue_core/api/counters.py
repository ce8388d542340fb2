"""Counter actions: what a teller's caller, a keypad or the lobby manager presses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from queue_core.access import Principal, require_counter
from queue_core.api.deps import BranchDep, Caller
from queue_core.api.schemas import CallBody, FinishBody, PauseBody, TransferBody
from queue_core.service import Branch

router = APIRouter(tags=["counters"])
Json = dict[str, Any]


def _teller(caller: Principal) -> str | None:
    """The teller acting, who then holds the counter; the lobby manager, an admin and a keypad
    act on a counter without holding it."""
    return caller.name if caller.role == "teller" else None


def _check(caller: Principal, number: int, branch: Branch) -> None:
    require_counter(caller, number, branch.config)


@router.get("/counters")
def counters(caller: Caller, branch: BranchDep) -> list[Json]:
    return branch.counters()


@router.get("/counters/{number}")
def counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    return branch.counter(number)


@router.post("/counters/{number}/call-next", responses={204: {"description": "nobody waits"}})
async def call_next(number: int, caller: Caller, branch: BranchDep) -> Any:
    _check(caller, number, branch)
    called = await branch.run(Branch.call_next, number, _teller(caller))
    return Response(status_code=204) if called is None else called


@router.post("/counters/{number}/call")
async def call(number: int, body: CallBody, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.call_number, number, body.number, _teller(caller))


@router.post("/counters/{number}/recall")
async def recall(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.recall, number, _teller(caller))


@router.post("/counters/{number}/start")
async def start(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.start, number, _teller(caller))


@router.post("/counters/{number}/skip")
async def skip(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.skip, number, _teller(caller))


@router.post("/counters/{number}/finish")
async def finish(
    number: int, caller: Caller, branch: BranchDep, body: FinishBody | None = None
) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.finish, number, body.rating if body else None, _teller(caller))


@router.post("/counters/{number}/rating-request")
async def rating_request(number: int, caller: Caller, branch: BranchDep) -> Json:
    """Ask the customer at (or just gone from) the desk to rate, on the counter's tablet."""
    _check(caller, number, branch)
    return await branch.run(Branch.request_rating, number, _teller(caller))


@router.post("/counters/{number}/transfer")
async def transfer(number: int, body: TransferBody, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.transfer, number, body.service, body.counter, _teller(caller))


@router.post("/counters/{number}/pause")
async def pause(
    number: int, caller: Caller, branch: BranchDep, body: PauseBody | None = None
) -> Json:
    _check(caller, number, branch)
    return await branch.run(
        Branch.set_state, number, "pause", _teller(caller), body.reason if body else None
    )


@router.post("/counters/{number}/resume")
async def resume(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.set_state, number, "resume", _teller(caller))


@router.post("/counters/{number}/open")
async def open_counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.set_state, number, "open", _teller(caller))


@router.post("/counters/{number}/close")
async def close_counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return await branch.run(Branch.set_state, number, "close", _teller(caller))


@router.post("/counters/{number}/take-over")
async def take_over(number: int, caller: Caller, branch: BranchDep) -> Json:
    """A teller logged in at this counter takes it over from the colleague holding it."""
    _check(caller, number, branch)
    return await branch.run(Branch.set_state, number, "take_over", _teller(caller))
