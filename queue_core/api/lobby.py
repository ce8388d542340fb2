"""The lobby manager's reads and writes beyond tickets: announcements, help requests, devices,
figures; and the branch description every program reads at start."""

from __future__ import annotations

from datetime import date as Date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from starlette.concurrency import run_in_threadpool

from queue_core import wire
from queue_core.api.deps import (
    AccessDep,
    Admin,
    BranchDep,
    Caller,
    ConfigDep,
    Device,
    HallWatcher,
    HubDep,
    Kiosk,
    Lobby,
)
from queue_core.api.errors import ERRORS
from queue_core.api.schemas import (
    AdviceOutcomeBody,
    AnnounceBody,
    AnswerBody,
    Day,
    EraseBody,
    HealthBody,
)
from queue_core.domain import appointments, figures
from queue_core.usecases import Branch
from queue_core.usecases import care as care_uc
from queue_core.usecases import devices as devices_uc
from queue_core.usecases import lobby as uc
from queue_core.usecases import privacy as privacy_uc
from queue_core.usecases import staffing as staffing_uc

router = APIRouter(tags=["lobby"], responses=ERRORS)
Json = dict[str, Any]


@router.get("/branch", response_model=wire.BranchBody)
def branch_info(caller: Caller, config: ConfigDep) -> wire.BranchBody:
    """The branch as configured, without staff, tokens or card rules."""
    return {
        "branch": config.branch.model_dump(),
        "routing": config.routing.model_dump(mode="json"),
        "services": [s.model_dump() | {"prefix": s.ticket_prefix} for s in config.services],
        "tiers": [t.model_dump() for t in config.tiers],
        "counters": [
            c.model_dump() | {"name": c.display_name, "name_en": c.display_name_en}
            for c in config.counters
        ],
        "kiosk": config.kiosk,
        "care": config.care.model_dump(mode="json"),
        "display": config.display,
        "voice": config.voice,
        "printer": config.printer,
        "signs": config.signs,
        "rating": config.rating,
        "check_in": {
            "remote": config.remote.enabled,
            "appointments": any(config.takes_appointments(s.code) for s in config.services),
        },
    }


@router.post("/announcements", status_code=201, response_model=wire.AnnouncementBody)
async def announce(body: AnnounceBody, caller: Lobby, branch: BranchDep) -> object:
    until = body.until.timestamp() if body.until else None
    return (await branch.execute(uc.Announce(body.text, caller.name, until))).body


@router.get("/announcements", response_model=list[wire.AnnouncementBody])
def announcements(caller: Caller, branch: BranchDep) -> list[wire.AnnouncementBody]:
    return branch.reads.announcements()


@router.delete("/announcements/{ident}", response_model=wire.AnnouncementBody)
async def end_announcement(
    ident: Annotated[int, Path(ge=1, le=2**63 - 1)], caller: Lobby, branch: BranchDep
) -> object:
    return (await branch.execute(uc.EndAnnouncement(ident))).body


@router.post("/privacy/erase", response_model=wire.ErasedBody)
async def erase(body: EraseBody, caller: Admin, branch: BranchDep) -> object:
    """Erase one customer's card (every ticket it raised) or one ticket's card, on request
    (PIPL art. 47): → ``{"erased": N}``. Admin only: it is not undone."""
    return (await branch.execute(privacy_uc.EraseCard(body.card, body.ticket_id))).body


@router.post("/help", status_code=201, response_model=wire.HelpBody)
async def request_help(caller: Kiosk, branch: BranchDep) -> object:
    """A kiosk asks the lobby manager over (its "请大堂经理帮忙" button); no ticket is taken."""
    return (await branch.execute(care_uc.RequestHelp(caller.name))).body


@router.get("/help", response_model=list[wire.HelpBody])
def help_requests(caller: HallWatcher, branch: BranchDep) -> list[wire.HelpBody]:
    return branch.reads.help_requests()


@router.post("/help/{ident}/answer", response_model=wire.HelpBody)
async def answer_help(
    ident: Annotated[str, Path(min_length=1, max_length=64)],
    caller: Lobby,
    branch: BranchDep,
    body: AnswerBody | None = None,
) -> object:
    """Answer a call for help, or grant (``{"grant": true}``) or decline a green-channel request."""
    command = care_uc.AnswerHelp(ident, body.grant if body else None)
    return (await branch.execute(command)).body


@router.get("/staffing", response_model=wire.StaffingBody)
def staffing(caller: Lobby, branch: BranchDep) -> wire.StaffingBody:
    """The forecast for the coming hour against the branch's target, and today's staffing
    advice with what became of each (docs/staffing.md)."""
    return branch.staffing.body()


@router.get("/staffing/plan", response_model=wire.PlanBody)
async def staffing_plan(caller: Lobby, branch: BranchDep, date: Date | None = None) -> object:
    """The staffing planned for a day (today by default) before opening, hour by hour, from
    its type's arrival profile (pension day, wage day, ordinary day)."""
    return await branch.staffing.plan(_day(branch, date))


@router.post("/staffing/look", response_model=wire.StaffingBody)
async def staffing_look(caller: Lobby, branch: BranchDep) -> wire.StaffingBody:
    """Look ahead now (after a change to the counters) instead of at the next minute."""
    await branch.staffing.look()
    return await run_in_threadpool(branch.staffing.body)


@router.post("/staffing/advice/{ident}", response_model=wire.AdviceBody)
async def advice_outcome(
    ident: Annotated[int, Path(ge=1, le=2**63 - 1)],
    body: AdviceOutcomeBody,
    caller: Lobby,
    branch: BranchDep,
) -> object:
    """Record what was done after an advice: ``followed`` or ``dismissed``."""
    command = staffing_uc.ResolveAdvice(ident, body.state, caller.name)
    return (await branch.execute(command)).body


@router.post("/devices/health", response_model=wire.DeviceReportBody)
async def health_report(
    body: HealthBody, caller: Device, branch: BranchDep, access: AccessDep
) -> object:
    """A device's health (printer paper, signs answering, display link): at most
    ``[security] health_reports_per_minute`` per device, and a detail of at most 4 KB."""
    access.health_limit.take(caller.name)
    command = devices_uc.ReportHealth(caller.name, body.status, dict(body.detail))
    return (await branch.execute(command)).body


@router.get("/devices", response_model=list[wire.DeviceBody])
def devices(caller: Lobby, branch: BranchDep, hub: HubDep) -> list[wire.DeviceBody]:
    return branch.reads.devices(hub.connected_names())


def _day(branch: Branch, date: Date | None) -> str:
    return date.isoformat() if date else branch.reads.today()


@router.get("/stats/daily", response_model=dict[str, Any])
def daily(caller: Lobby, branch: BranchDep, date: Day | None = None) -> Json:
    """The day's figures from the stored history (a restarted engine reports the same): see
    ``domain.figures.daily_figures`` for every figure and how it is defined."""
    day = _day(branch, date)
    tickets = branch.reads.tickets_of_day(day)
    ranks = {t.code: t.rank for t in branch.config.tiers}
    spans = branch.reads.counter_spans(day)
    care = {c.number for c in branch.config.counters if c.prefers_green}
    booked = branch.reads.appointments_of_day(day)
    return {
        "date": day,
        **figures.daily_figures(
            tickets,
            tz=branch.config.zone,
            tier_ranks=ranks,
            counter_spans=spans,
            care_counters=care,
        ),
        "appointments": appointments.day_figures(booked, tickets),
    }


@router.get(
    "/stats/daily.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "one line per visit"}},
)
def daily_csv(caller: Lobby, branch: BranchDep, date: Day | None = None) -> Response:
    day = _day(branch, date)
    body = figures.tickets_csv(branch.reads.tickets_of_day(day), branch.config.zone)
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="tickets-{day}.csv"'},
    )
