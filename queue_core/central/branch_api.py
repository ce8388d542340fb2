"""The engine's end of the head-office link: the uplink task it runs, and its two endpoints.

- ``GET /api/v1/central/status`` (lobby, admin): the link, what was sent and acknowledged,
  the lag, the clock against the centre's, the branch-file versions received and running.
- ``POST /api/v1/central/apply`` (admin): run the received branch file now (the engine
  restarts on it) instead of waiting for the night.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request

from queue_core.api.deps import Admin, Lobby
from queue_core.central.uplink import Uplink, outside_hours
from queue_core.config import BranchConfig
from queue_core.domain.errors import IllegalMove
from queue_core.store import Store
from queue_core.usecases import Branch
from queue_core.usecases.lobby import Announce

router = APIRouter(tags=["central"])
Json = dict[str, Any]


def _uplink(request: Request) -> Uplink:
    uplink: Uplink = request.app.state.uplink
    return uplink


@router.get("/central/status")
async def central_status(caller: Lobby, request: Request) -> Json:
    return await _uplink(request).status()


@router.post("/central/apply")
async def central_apply(caller: Admin, request: Request) -> Json:
    version = await _uplink(request).apply_now(f"on the command of {caller.name}")
    if version is None:
        raise IllegalMove("no newer branch file has come from the centre", "no_staged_file")
    return {"applied": version, "restarting": True}


def make_uplink(
    config: BranchConfig, store: Store, branch: Branch, clock: Callable[[], float]
) -> Uplink:
    """The uplink of an engine: marquee texts become announcements; a received branch file
    is applied at night once the hall is empty (every counter closed, nobody waiting)."""

    async def announce(text: str, until: float | None) -> None:
        await branch.execute(Announce(text, "head office", until))

    def quiet() -> bool:
        b = config.branch
        if not outside_hours(clock(), config.zone, b.opening, b.closing):
            return False
        counters = branch.reads.counters()
        waiting = sum(s["waiting"] for s in branch.reads.services())
        return waiting == 0 and all(c["state"] == "closed" for c in counters)

    return Uplink(config, store, clock=clock, announce=announce, quiet=quiet)
