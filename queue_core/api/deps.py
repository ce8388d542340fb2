"""Request dependencies: the branch's services and the caller.

They are ``async`` on purpose: FastAPI runs plain functions in a worker thread, and a thread hop
per dependency per request costs more than the work itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from queue_core.access import Access, Principal
from queue_core.config import BranchConfig
from queue_core.events.hub import EventHub
from queue_core.service import Branch


async def branch(request: Request) -> Branch:
    result: Branch = request.app.state.branch
    return result


async def access(request: Request) -> Access:
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
AccessDep = Annotated[Access, Depends(access)]
HubDep = Annotated[EventHub, Depends(hub)]
ConfigDep = Annotated[BranchConfig, Depends(config)]
Caller = Annotated[Principal, Depends(principal)]
