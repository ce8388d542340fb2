"""What a customer's phone reaches without a login: the live state of one ticket, the
branch's queues, taking a ticket before arriving and checking it in at the branch; and the
check-in code the kiosk, the hall display or the lobby show (never for a phone to read).

The ticket's opaque id (from the QR code) is the only key; nothing answered identifies the
customer (``wire.public_ticket``).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

import qrcode
import qrcode.constants
from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.sse import EventSourceResponse, ServerSentEvent
from qrcode.image.svg import SvgPathImage
from starlette.concurrency import run_in_threadpool

from queue_core import wire
from queue_core.api.deps import BranchDep, CodeCheckIn, DoorShower, Lobby
from queue_core.api.errors import ERRORS
from queue_core.api.schemas import CheckInBody, TakeBody, TicketCodeBody
from queue_core.domain import remote
from queue_core.domain.appointments import Appointment
from queue_core.domain.errors import DomainError, InvalidInput, NotFound, TooMany
from queue_core.events.watch import TicketWatch, TooManyWatchers, Watcher
from queue_core.usecases import appointments as booking
from queue_core.usecases import codes
from queue_core.usecases import remote as uc

router = APIRouter(tags=["phone"], responses=ERRORS)

#: How long a browser waits before it reconnects a dropped stream (ms): quick enough that a
#: call is not missed, slow enough that a restarting engine is not flooded.
RECONNECT_MS = 3000
#: What a closed ticket's stream tells the browser: a day, i.e. do not come back.
CLOSED_MS = 86_400_000

TicketId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


async def _watch(request: Request) -> TicketWatch:
    watch: TicketWatch = request.app.state.watch
    return watch


async def _follow(
    ticket_id: TicketId, watch: Annotated[TicketWatch, Depends(_watch)]
) -> tuple[Watcher, str]:
    """Open the page's watcher before the stream starts, so refusals are plain JSON errors."""
    try:
        watcher, state = await watch.open(ticket_id)
    except TooManyWatchers as exc:
        code = "too_many_pages_for_ticket" if exc.per_ticket else "too_many_pages"
        raise TooMany("too many pages follow this ticket: close one and reload", code) from exc
    if state is None:
        raise NotFound("no such ticket", "ticket_not_found")
    return watcher, state


def _final(state: str) -> bool:
    return bool(json.loads(state).get("final"))


@router.get("/tickets/{ticket_id}/public/events", response_class=EventSourceResponse)
async def public_events(
    followed: Annotated[tuple[Watcher, str], Depends(_follow)],
    watch: Annotated[TicketWatch, Depends(_watch)],
) -> AsyncIterator[ServerSentEvent]:
    """The ticket's public state as server-sent events: ``event: ticket`` with the state of
    ``GET /tickets/{id}/public`` now, then again each time it changes. Once the ticket is
    closed (``final``) the stream sends that state and ends, telling the browser not to
    reconnect for a day (``retry``), so a finished ticket costs the engine nothing more."""
    watcher, state = followed
    try:
        retry: int | None = RECONNECT_MS
        while True:
            final = bool(json.loads(state).get("final"))
            yield ServerSentEvent(
                raw_data=state, event="ticket", retry=CLOSED_MS if final else retry
            )
            if final:
                return
            retry = None
            state = await watcher.next()
    finally:
        watch.close(watcher)


def _held(branch: BranchDep, ids: list[str]) -> list[wire.HeldTicket]:
    """The tickets a phone holds as it gets them: the public state, the id and the page."""
    states = branch.reads.public_many(ids)
    base = branch.config.branch.public_url
    return [
        wire.HeldTicket(**states[i], id=i, public_url=f"{base}/t/{i}") for i in ids if i in states
    ]


@router.get("/phone/branch", response_model=wire.PhoneBranch)
def phone_branch(request: Request, branch: BranchDep) -> wire.PhoneBranch:
    """The branch's phone page: each service's queue and wait, and whether a number can be
    taken from a phone now (``remote``; if not, ``remote_reason``: closed, full), and the
    reminders it sends (``notify``)."""
    found = branch.reads.phone_branch()
    notifier = getattr(request.app.state, "notifier", None)
    if notifier is not None:
        found["notify"] = notifier.options()
    return found


@router.post("/phone/tickets", status_code=status.HTTP_201_CREATED, response_model=wire.HeldTicket)
async def take(body: TakeBody, branch: BranchDep) -> wire.HeldTicket:
    """Take a ticket before arriving: ``remote`` until checked in at the branch, within the
    branch's limits (``[remote]``: per browser, per hour, the remote share of a queue)."""
    taken = (await branch.execute(uc.TakeRemote(body.service, body.browser))).value
    return (await run_in_threadpool(_held, branch, [taken.id]))[0]


@router.post("/phone/check-in", response_model=wire.CheckedInBody)
async def check_in(body: CheckInBody, branch: BranchDep) -> wire.CheckedInBody:
    """The check-in page (the QR code the kiosk or the door shows): checks in the remote
    tickets and the appointments this phone holds, with the code of the moment; answers each
    as it is now. An appointment refused (too early, its window passed) does not stop the
    tickets: it is answered as it is, still ``booked``."""
    ids: list[str] = []
    if body.tickets or not body.appointments:
        ids = list(
            (await branch.execute(uc.CheckIn(tuple(body.tickets), door_code=body.code))).value
        )
    booked: list[Appointment] = []
    if body.appointments:
        command = booking.CheckInAppointments(tuple(body.appointments), door_code=body.code)
        try:
            checked = (await branch.execute(command)).value
        except DomainError:
            if not ids:
                raise
            booked = [a for i in body.appointments if (a := _known(branch, i)) is not None]
        else:
            booked = checked.appointments
            ids += [a.ticket_id for a in booked if a.ticket_id]
    now = branch.clock()
    return {
        "tickets": await run_in_threadpool(_held, branch, ids),
        "appointments": [wire.public_appointment(a, branch.config, now) for a in booked],
    }


def _known(branch: BranchDep, appointment_id: str) -> Appointment | None:
    try:
        return branch.reads.appointment(appointment_id)
    except NotFound:
        return None


@router.post("/tickets/{ticket_id}/public/cancel", response_model=wire.PublicTicket)
async def give_back(ticket_id: TicketId, branch: BranchDep) -> wire.PublicTicket:
    """The holder gives the ticket back (remote, or waiting): someone else's turn comes
    sooner."""
    await branch.execute(uc.GiveBack(ticket_id))
    return await run_in_threadpool(branch.reads.public, ticket_id)


def _door(request: Request, caller: DoorShower, branch: BranchDep) -> wire.DoorBody:
    """The door code with an address a phone opens: under ``[branch] public_url``, or, when
    the branch has none, the address the screen itself reached the engine at."""
    found = branch.reads.door()
    if found["url"].startswith("/"):
        found["url"] = str(request.base_url).rstrip("/") + found["url"]
    return found


@router.get("/phone/door", response_model=wire.DoorBody)
def door(found: Annotated[wire.DoorBody, Depends(_door)]) -> wire.DoorBody:
    """The check-in code to show now as a QR code (``url``), and until when."""
    return found


@router.get(
    "/phone/door.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def door_qr(found: Annotated[wire.DoorBody, Depends(_door)]) -> Response:
    """The check-in code of the moment as a QR code (SVG) to show at the kiosk or the door."""
    return Response(
        qr_svg(found["url"]), media_type="image/svg+xml", headers={"Cache-Control": "no-store"}
    )


@router.get(
    "/phone/code.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def code_qr(code: Annotated[str, Query(pattern=r"^[0-9]{8}$")]) -> Response:
    """A check-in code as a QR code (SVG) for the phone page to show: a kiosk's scanner, which
    types like a keyboard, reads ``BQ`` and the digits (``remote.SCAN_PREFIX``). It draws any
    8 digits and knows nothing of tickets, so it tells nobody anything."""
    return Response(
        qr_svg(remote.SCAN_PREFIX + code),
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def qr_svg(text: str) -> bytes:
    """A QR code of ``text`` as SVG (medium error correction: a screen seen at an angle)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    image = code.make_image(image_factory=SvgPathImage)
    return bytes(image.to_string(encoding="utf-8"))


@router.get("/phone/remote", response_model=list[wire.TicketBody])
def on_the_way(caller: Lobby, branch: BranchDep) -> list[wire.TicketBody]:
    """The lobby's list of tickets taken from phones and not yet checked in."""
    return branch.reads.remote_tickets()


@router.post("/phone/check-in-code", response_model=wire.TicketBody)
async def check_in_code(
    body: TicketCodeBody,
    caller: CodeCheckIn,
    branch: BranchDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> object:
    """Check in a remote ticket or an appointment by its code: typed by the lobby manager, or
    by the customer at the kiosk (which then prints the ticket). Answers the ticket in the
    queue; a code that names nothing waiting says why (``usecases.codes``). A kiosk's retry
    with the same ``Idempotency-Key`` gets the same ticket."""
    if idempotency_key is not None and not idempotency_key.strip():
        raise InvalidInput("Idempotency-Key is empty", "invalid_idempotency_key")
    command = codes.CheckInByCode(body.code, caller.name, idempotency_key)
    return (await branch.execute(command)).body
