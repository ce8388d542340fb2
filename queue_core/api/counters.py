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
    return caller.name if caller.kind == "staff" else None


def _check(caller: Principal, number: int, branch: Branch) -> None:
    require_counter(caller, number, branch.config)


@router.get("/counters")
def counters(caller: Caller, branch: BranchDep) -> list[Json]:
    return branch.counters()


@router.get("/counters/{number}")
def counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    return branch.counter(number)


@router.post("/counters/{number}/call-next", responses={204: {"description": "nobody waits"}})
def call_next(number: int, caller: Caller, branch: BranchDep) -> Any:
    _check(caller, number, branch)
    called = branch.call_next(number, _teller(caller))
    return Response(status_code=204) if called is None else called


@router.post("/counters/{number}/call")
def call(number: int, body: CallBody, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.call_number(number, body.number, _teller(caller))


@router.post("/counters/{number}/recall")
def recall(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.recall(number)


@router.post("/counters/{number}/start")
def start(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.start(number)


@router.post("/counters/{number}/skip")
def skip(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.skip(number)


@router.post("/counters/{number}/finish")
def finish(number: int, caller: Caller, branch: BranchDep, body: FinishBody | None = None) -> Json:
    _check(caller, number, branch)
    return branch.finish(number, body.rating if body else None)


@router.post("/counters/{number}/rating-request")
def rating_request(number: int, caller: Caller, branch: BranchDep) -> Json:
    """Ask the customer at (or just gone from) the desk to rate, on the counter's tablet."""
    _check(caller, number, branch)
    return branch.request_rating(number)


@router.post("/counters/{number}/transfer")
def transfer(number: int, body: TransferBody, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.transfer(number, body.service, body.counter)


@router.post("/counters/{number}/pause")
def pause(number: int, caller: Caller, branch: BranchDep, body: PauseBody | None = None) -> Json:
    _check(caller, number, branch)
    return branch.set_state(number, "pause", _teller(caller), body.reason if body else None)


@router.post("/counters/{number}/resume")
def resume(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.set_state(number, "resume", _teller(caller))


@router.post("/counters/{number}/open")
def open_counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.set_state(number, "open", _teller(caller))


@router.post("/counters/{number}/close")
def close_counter(number: int, caller: Caller, branch: BranchDep) -> Json:
    _check(caller, number, branch)
    return branch.set_state(number, "close", _teller(caller))
