"""Request dependencies: the branch's services and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from queue_core.access import Access, Principal
from queue_core.config import BranchConfig
from queue_core.events.hub import EventHub
from queue_core.service import Branch


def branch(request: Request) -> Branch:
    result: Branch = request.app.state.branch
    return result


def access(request: Request) -> Access:
    result: Access = request.app.state.access
    return result


def hub(request: Request) -> EventHub:
    result: EventHub = request.app.state.hub
    return result


def config(request: Request) -> BranchConfig:
    result: BranchConfig = request.app.state.config
    return result


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def principal(request: Request) -> Principal:
    return access(request).authenticate(bearer(request))


BranchDep = Annotated[Branch, Depends(branch)]
AccessDep = Annotated[Access, Depends(access)]
HubDep = Annotated[EventHub, Depends(hub)]
ConfigDep = Annotated[BranchConfig, Depends(config)]
Caller = Annotated[Principal, Depends(principal)]
