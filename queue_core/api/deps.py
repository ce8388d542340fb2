"""Request dependencies: the branch's parts, the caller, and what the caller may do.

Authorization is in the signature: an endpoint asks for ``Lobby``, ``Staff``, ``Issuer`` or
``AtCounter`` and FastAPI refuses the request (401/403, the API's error shape) before the
endpoint runs; the rules themselves are ``queue_core.access``'s. The dependencies are
``async`` on purpose: FastAPI runs plain functions in a worker thread, and a thread hop per
dependency per request costs more than the work itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from queue_core import access
from queue_core.access import Access, Principal
from queue_core.config import BranchConfig
from queue_core.events.hub import EventHub
from queue_core.usecases import Branch


async def branch(request: Request) -> Branch:
    result: Branch = request.app.state.branch
    return result


async def access_of(request: Request) -> Access:
    result: Access = request.app.state.access
    return result


async def hub(request: Request) -> EventHub:
    result: EventHub = request.app.state.hub
    return result


async def config(request: Request) -> BranchConfig:
    result: BranchConfig = request.app.state.config
    return result


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def principal(request: Request) -> Principal:
    # Runs on the event loop: tokens are checked in memory (sessions are cached after one
    # database read), so no thread hop per request.
    found: Access = request.app.state.access
    return found.authenticate(bearer(request))


BranchDep = Annotated[Branch, Depends(branch)]
AccessDep = Annotated[Access, Depends(access_of)]
HubDep = Annotated[EventHub, Depends(hub)]
ConfigDep = Annotated[BranchConfig, Depends(config)]
Caller = Annotated[Principal, Depends(principal)]


def _role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(caller: Caller) -> Principal:
        access.require(caller, *roles)
        return caller

    return check


async def _staff(caller: Caller) -> Principal:
    access.require_staff(caller)
    return caller


async def _device(caller: Caller) -> Principal:
    access.require_device(caller)
    return caller


#: An admin.
Admin = Annotated[Principal, Depends(_role("admin"))]
#: The lobby manager (or an admin).
Lobby = Annotated[Principal, Depends(_role("lobby"))]
#: Staff: a teller, the lobby manager, an admin.
Staff = Annotated[Principal, Depends(_staff)]
#: Who sees the whole queue: tellers and the lobby manager.
QueueReader = Annotated[Principal, Depends(_role("teller", "lobby"))]
#: Who issues tickets: kiosks and the lobby manager.
Issuer = Annotated[Principal, Depends(_role("kiosk", "lobby"))]
#: A kiosk (or an admin).
Kiosk = Annotated[Principal, Depends(_role("kiosk"))]
#: Who watches the hall for help requests: the lobby manager and the hall display.
HallWatcher = Annotated[Principal, Depends(_role("lobby", "display"))]
#: Who shows the door's check-in code: a kiosk, the hall display, the lobby manager.
DoorShower = Annotated[Principal, Depends(_role("kiosk", "display", "lobby"))]
#: Who checks in a customer's code: the kiosk (the customer types it) and the lobby manager.
CodeCheckIn = Annotated[Principal, Depends(_role("kiosk", "lobby"))]
#: A device (kiosk, display, signs agent, rating tablet).
Device = Annotated[Principal, Depends(_device)]


@dataclass(frozen=True, slots=True)
class Issuing:
    """Who issues a ticket (a kiosk or the lobby manager, as ``Issuer``) and the branch it is
    issued in, with the access rules that limit a kiosk's rate."""

    caller: Principal
    branch: Branch
    access: Access


async def _issuing(request: Request) -> Issuing:
    # One dependency for the busiest write (a kiosk press): FastAPI solves each dependency
    # layer on every request, and ``Issuer``, ``BranchDep`` and ``AccessDep`` were four.
    state = request.app.state
    found: Access = state.access
    caller = found.authenticate(bearer(request))
    access.require(caller, "kiosk", "lobby")
    return Issuing(caller, state.branch, found)


#: Issuing a ticket: the caller as ``Issuer``, with the branch and its access rules.
IssuingBy = Annotated[Issuing, Depends(_issuing)]


@dataclass(frozen=True, slots=True)
class CounterCaller:
    """Someone who may act on counter ``number``; ``teller`` is their login when they are the
    teller (who then holds the counter), None for the lobby, an admin, or the keypad."""

    principal: Principal
    number: int
    teller: str | None


async def _at_counter(
    number: int, caller: Caller, config: ConfigDep, request: Request
) -> CounterCaller:
    # The action is the path's last part (``call-next``, ``take-over``…): a signs agent may
    # press only what a keypad has (``access.KEYPAD_ACTIONS``).
    action = request.url.path.rsplit("/", 1)[-1]
    access.require_counter(caller, number, config, action)
    return CounterCaller(caller, number, access.acting_teller(caller))


#: Acting on the counter of the path's ``{number}``.
AtCounter = Annotated[CounterCaller, Depends(_at_counter)]


@dataclass(frozen=True, slots=True)
class RatingBy:
    """Who posts a customer's rating; ``counters``: only for tickets finished at one of them
    (None: at any)."""

    principal: Principal
    counters: frozenset[int] | None


async def _rater(caller: Caller, config: ConfigDep) -> RatingBy:
    # The customer rates, never the teller: a counter's tablet what was served there, a signs
    # agent's keypads what was served on its bus, the lobby manager any finished ticket.
    return RatingBy(caller, access.rating_counters(caller, config))


Rater = Annotated[RatingBy, Depends(_rater)]
