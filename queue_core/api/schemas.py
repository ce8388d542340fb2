"""Request bodies (Pydantic) and the query types they share. Unknown fields are ignored, so
clients may send more."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _written_as(pattern: re.Pattern[str], what: str) -> BeforeValidator:
    # Pydantic also reads a number as seconds since 1970 (``date=0`` would be 1970-01-01): a
    # day or a time in this API is only ever written out, as the OpenAPI ``format`` says.
    def check(value: object) -> object:
        if isinstance(value, (date, datetime)):
            return value
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError(f"write {what}")
        return value

    return BeforeValidator(check)


#: A calendar day, written ``YYYY-MM-DD``.
Day = Annotated[date, _written_as(_DAY, "a day as YYYY-MM-DD")]
#: A time with its offset, written in ISO 8601 (``2026-12-01T17:00:00+08:00``).
Moment = Annotated[AwareDatetime, _written_as(_TIME, "a time as 2026-12-01T17:00:00+08:00")]


class LoginBody(BaseModel):
    login: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=64, repr=False)
    counter: int | None = Field(default=None, ge=1, le=999)


class IssueBody(BaseModel):
    service: str = Field(min_length=1, max_length=16)
    tier: str | None = Field(default=None, max_length=16)
    green_channel: bool = False
    card: str | None = Field(default=None, max_length=40, repr=False)
    #: From a kiosk in care mode: the customer asks for the green channel (no reason asked).
    care: bool = False


class ReassignBody(BaseModel):
    position: Literal["front", "back"]
    counter: int | None = Field(default=None, ge=1, le=999)


class PrintFailedBody(BaseModel):
    #: The printer's error code (``paper_out``, ``cover_open``, ``offline``, ``not_confirmed``…).
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")


class ReprintBody(BaseModel):
    #: The kiosk (device name) to print it; default: the one that issued the ticket.
    kiosk: str | None = Field(default=None, min_length=1, max_length=64)


class MoveBody(BaseModel):
    service: str = Field(min_length=1, max_length=16)


class RatingBody(BaseModel):
    rating: int = Field(ge=1, le=5)


class CallNumberBody(BaseModel):
    number: str = Field(min_length=2, max_length=16)


class FinishBody(BaseModel):
    rating: int | None = Field(default=None, ge=1, le=5)


class TransferBody(BaseModel):
    service: str | None = Field(default=None, min_length=1, max_length=16)
    counter: int | None = Field(default=None, ge=1, le=999)


class PauseBody(BaseModel):
    reason: str | None = Field(default=None, max_length=200)


class AnnounceBody(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    until: Moment | None = None


class EraseBody(BaseModel):
    """``POST /privacy/erase``: a card number (never logged) or a ticket id, not both."""

    card: str | None = Field(default=None, max_length=40, repr=False)
    ticket_id: str | None = Field(default=None, min_length=1, max_length=64)


class AnswerBody(BaseModel):
    """``POST /help/{id}/answer``: for a green-channel request, whether it is granted."""

    grant: bool | None = None


class AdviceOutcomeBody(BaseModel):
    """What the lobby manager did after a staffing advice."""

    state: Literal["followed", "dismissed"]


class HealthBody(BaseModel):
    status: Literal["ok", "warning", "error", "unknown"]  # unknown: the device cannot tell
    detail: dict[str, object] = Field(default_factory=dict)


class TakeBody(BaseModel):
    service: str = Field(min_length=1, max_length=16)
    #: The phone page's random id for this browser (32 hex digits), what the limits count by.
    browser: str = Field(min_length=32, max_length=32, repr=False)


class CheckInBody(BaseModel):
    #: The check-in code the kiosk or the door shows (from its QR code).
    code: str = Field(min_length=1, max_length=64)
    tickets: list[str] = Field(default=[], max_length=8)
    appointments: list[str] = Field(default=[], max_length=8)


class TicketCodeBody(BaseModel):
    #: The code on the customer's phone (or given at booking), typed at the lobby or the kiosk.
    code: str = Field(min_length=1, max_length=16)


class BookBody(BaseModel):
    """A window to book: ``start`` is one of the day's windows (``GET …/slots``)."""

    service: str = Field(min_length=1, max_length=16)
    day: date
    start: AwareDatetime
    tier: str | None = Field(default=None, min_length=1, max_length=16)
    green_channel: bool = False
    #: What to prepare (the lobby's; never shown in the hall or on the phone).
    note: str = Field(default="", max_length=200)


class PhoneBookBody(BaseModel):
    service: str = Field(min_length=1, max_length=16)
    day: date
    start: AwareDatetime
    browser: str = Field(min_length=32, max_length=32, repr=False)
