"""The lobby manager's reads and writes beyond tickets: announcements, help requests, devices,
figures; and the branch description every program reads at start."""

from __future__ import annotations

from datetime import date as Date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from queue_core.access import require
from queue_core.api.deps import AccessDep, BranchDep, Caller, ConfigDep, HubDep
from queue_core.api.schemas import AnnouncementBody, AnswerBody, Day, EraseBody, HealthBody
from queue_core.domain import figures
from queue_core.domain.errors import Forbidden

router = APIRouter(tags=["lobby"])
Json = dict[str, Any]


@router.get("/branch")
def branch_info(caller: Caller, config: ConfigDep) -> Json:
    """The branch as configured, without staff, tokens or card rules."""
    return {
        "branch": config.branch.model_dump(),
        "routing": config.routing.model_dump(mode="json"),
        "services": [s.model_dump() | {"prefix": s.ticket_prefix} for s in config.services],
        "tiers": [t.model_dump() for t in config.tiers],
        "counters": [c.model_dump() | {"name": c.display_name} for c in config.counters],
        "kiosk": config.kiosk,
        "care": config.care.model_dump(mode="json"),
        "display": config.display,
        "voice": config.voice,
        "printer": config.printer,
        "signs": config.signs,
        "rating": config.rating,
    }


@router.post("/announcements", status_code=201)
def announce(body: AnnouncementBody, caller: Caller, branch: BranchDep) -> Json:
    require(caller, "lobby")
    until = body.until.timestamp() if body.until else None
    return branch.announce(body.text, until, caller.name)


@router.get("/announcements")
def announcements(caller: Caller, branch: BranchDep) -> list[Json]:
    return branch.announcements()


@router.delete("/announcements/{ident}")
def end_announcement(
    ident: Annotated[int, Path(ge=1, le=2**63 - 1)], caller: Caller, branch: BranchDep
) -> Json:
    require(caller, "lobby")
    return branch.end_announcement(ident)


@router.post("/privacy/erase")
def erase(body: EraseBody, caller: Caller, branch: BranchDep) -> Json:
    """Erase one customer's card (every ticket it raised) or one ticket's card, on request
    (PIPL art. 47): → ``{"erased": N}``. Admin only: it is not undone."""
    require(caller, "admin")
    return branch.erase(card=body.card, ticket_id=body.ticket_id)


@router.post("/help", status_code=201)
def request_help(caller: Caller, branch: BranchDep) -> Json:
    """A kiosk asks the lobby manager over (its "请大堂经理帮忙" button); no ticket is taken."""
    require(caller, "kiosk")
    return branch.request_help(caller.name)


@router.get("/help")
def help_requests(caller: Caller, branch: BranchDep) -> list[Json]:
    require(caller, "lobby", "display")
    return branch.help_requests()


@router.post("/help/{ident}/answer")
def answer_help(
    ident: Annotated[str, Path(min_length=1, max_length=64)],
    caller: Caller,
    branch: BranchDep,
    body: AnswerBody | None = None,
) -> Json:
    """Answer a call for help, or grant (``{"grant": true}``) or decline a green-channel request."""
    require(caller, "lobby")
    return branch.answer_help(ident, body.grant if body else None)


@router.post("/devices/health")
def health_report(body: HealthBody, caller: Caller, branch: BranchDep, access: AccessDep) -> Json:
    """A device's health (printer paper, signs answering, display link): at most
    ``[security] health_reports_per_minute`` per device, and a detail of at most 4 KB."""
    if caller.kind != "device":
        raise Forbidden("only devices report their health", "forbidden")
    access.health_limit.take(caller.name)
    return branch.report_health(caller.name, body.status, dict(body.detail))


@router.get("/devices")
def devices(caller: Caller, branch: BranchDep, hub: HubDep) -> list[Json]:
    require(caller, "lobby")
    return branch.devices(hub.connected_names())


def _day(branch: Any, date: Date | None) -> str:
    return date.isoformat() if date else str(branch.today())


@router.get("/stats/daily")
def daily(caller: Caller, branch: BranchDep, date: Day | None = None) -> Json:
    """The day's figures from the stored history (a restarted engine reports the same)."""
    require(caller, "lobby")
    day = _day(branch, date)
    tickets = branch.tickets_of_day(day)
    ranks = {t.code: t.rank for t in branch.config.tiers}
    spans = branch.counter_spans(day)
    care = {c.number for c in branch.config.counters if c.prefers_green}
    return {
        "date": day,
        **figures.daily_figures(
            tickets, tz=branch.tz, tier_ranks=ranks, counter_spans=spans, care_counters=care
        ),
    }


@router.get(
    "/stats/daily.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one line per visit"}},
)
def daily_csv(caller: Caller, branch: BranchDep, date: Day | None = None) -> Response:
    require(caller, "lobby")
    day = _day(branch, date)
    body = figures.tickets_csv(branch.tickets_of_day(day), branch.tz)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tickets-{day}.csv"'},
    )
