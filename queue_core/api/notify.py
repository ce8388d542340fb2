""" "You're next": the live ticket page's opt-in (no login; the ticket's opaque id is the key).

A push subscription is checked against the branch's list of push services (so a browser
cannot make the engine post anywhere else) and kept sealed; a phone number is taken only with
the consent the page asks for, normalized, and kept as a keyed hash plus sealed, for the
business day (``usecases.notices``). Neither is ever answered back, shown or logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, Field

from queue_core.api.deps import BranchDep
from queue_core.api.errors import ERRORS
from queue_core.domain.errors import IllegalMove, InvalidInput
from queue_core.notify.notifier import Notifier
from queue_core.notify.phones import normalize_phone
from queue_core.notify.push import parse_subscription
from queue_core.usecases import Branch
from queue_core.usecases.notices import OptIn, OptInAppointment, OptOut

router = APIRouter(tags=["phone"], responses=ERRORS)

TicketId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class SmsBody(BaseModel):
    phone: str = Field(min_length=1, max_length=24, repr=False)
    #: The customer ticked the consent line the page shows before a number is taken.
    consent: bool = False


class NotifyBody(BaseModel):
    """One channel: ``push`` (the browser's ``PushSubscription.toJSON()``) or ``sms``."""

    push: dict[str, Any] | None = Field(default=None, repr=False)
    sms: SmsBody | None = None
    lang: Literal["zh", "en"] = "zh"


class NotifyAnswer(BaseModel):
    channel: str
    ahead: int


async def _notifier(request: Request) -> Notifier:
    notifier: Notifier | None = getattr(request.app.state, "notifier", None)
    if notifier is None or not notifier.enabled:
        raise IllegalMove("this branch sends no reminders", "notify_off")
    return notifier


NotifierDep = Annotated[Notifier, Depends(_notifier)]


@dataclass(frozen=True, slots=True)
class Channel:
    """A request's channel as kept: sealed to its ticket or appointment (``key``)."""

    name: str
    sealed: str
    number_hash: str | None = None


def _channel(body: NotifyBody, branch: Branch, notifier: Notifier, key: str) -> Channel:
    """Check and seal the one channel of an opt-in: a push subscription to a listed service,
    or a phone number given with the customer's consent."""
    config = branch.config.notify
    if (body.push is None) == (body.sms is None):
        raise InvalidInput("give either push or sms", "one_channel")
    if body.push is not None:
        if config.push is None:
            raise IllegalMove("this branch sends no push reminders", "notify_off")
        try:
            sub = parse_subscription(
                body.push, config.push.services, allow_http_loopback=config.push.allow_loopback
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), "invalid_subscription") from exc
        kept = json.dumps({"endpoint": sub.endpoint, "p256dh": sub.p256dh, "auth": sub.auth})
        return Channel("push", notifier.vault.seal(kept, key))
    assert body.sms is not None
    if config.sms is None:
        raise IllegalMove("this branch sends no text messages", "notify_off")
    if not body.sms.consent:
        raise InvalidInput("the number is taken only with the customer's consent", "consent_needed")
    phone = normalize_phone(body.sms.phone)
    return Channel("sms", notifier.vault.seal(phone, key), notifier.vault.digest(phone))


@router.post(
    "/tickets/{ticket_id}/public/notify",
    status_code=status.HTTP_201_CREATED,
    response_model=NotifyAnswer,
)
async def opt_in(
    ticket_id: TicketId, body: NotifyBody, branch: BranchDep, notifier: NotifierDep
) -> NotifyAnswer:
    """Be told when ``ahead`` are before the ticket and when it is called, by Web Push on this
    phone or by SMS (a number kept for the day only, as a keyed hash and sealed)."""
    config = branch.config.notify
    channel = _channel(body, branch, notifier, ticket_id)
    per_number = config.sms.per_number_per_day if config.sms and channel.number_hash else None
    command = OptIn(
        ticket_id, channel.name, channel.sealed, body.lang, channel.number_hash, per_number
    )
    done = await branch.execute(command)
    await notifier.follow(done.value)
    return NotifyAnswer(channel=command.channel, ahead=config.ahead)


class RemindAnswer(BaseModel):
    channel: str
    #: How long before the window the reminder goes.
    remind_minutes: float


@router.post(
    "/appointments/{appointment_id}/public/notify",
    status_code=status.HTTP_201_CREATED,
    response_model=RemindAnswer,
)
async def remind_me(
    appointment_id: TicketId, body: NotifyBody, branch: BranchDep, notifier: NotifierDep
) -> RemindAnswer:
    """Be reminded of a booked appointment ``[notify] remind_minutes`` before its window, once,
    by Web Push or SMS (a number kept until the appointment's day ends, hashed and sealed;
    deleted if the appointment is cancelled). SMS needs ``[notify.sms] template_reminder``."""
    config = branch.config.notify
    if body.sms is not None and (config.sms is None or config.sms.template_reminder is None):
        raise IllegalMove("this branch sends no text reminders of appointments", "notify_off")
    channel = _channel(body, branch, notifier, appointment_id)
    command = OptInAppointment(
        appointment_id, channel.name, channel.sealed, body.lang, channel.number_hash
    )
    await branch.execute(command)
    return RemindAnswer(channel=channel.name, remind_minutes=config.remind_minutes)


@router.delete(
    "/appointments/{appointment_id}/public/notify", status_code=status.HTTP_204_NO_CONTENT
)
async def forget_me(appointment_id: TicketId, branch: BranchDep) -> Response:
    """No reminder after all: what was kept for it is deleted at once."""
    await branch.execute(OptOut(appointment_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/tickets/{ticket_id}/public/notify", status_code=status.HTTP_204_NO_CONTENT)
async def opt_out(ticket_id: TicketId, branch: BranchDep, notifier: NotifierDep) -> Response:
    """Stop the reminders of this ticket: what was kept for them is deleted at once."""
    await branch.execute(OptOut(ticket_id))
    await notifier.forget(ticket_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
