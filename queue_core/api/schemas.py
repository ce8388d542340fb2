"""Request bodies (Pydantic). Unknown fields are ignored, so clients may send more."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class LoginBody(BaseModel):
    login: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=64, repr=False)
    counter: int | None = Field(default=None, ge=1, le=999)


class IssueBody(BaseModel):
    service: str = Field(min_length=1, max_length=16)
    tier: str | None = Field(default=None, max_length=16)
    green_channel: bool = False
    card: str | None = Field(default=None, max_length=40, repr=False)


class ReassignBody(BaseModel):
    position: Literal["front", "back"]
    counter: int | None = Field(default=None, ge=1, le=999)


class MoveBody(BaseModel):
    service: str = Field(min_length=1, max_length=16)


class RatingBody(BaseModel):
    rating: int = Field(ge=1, le=5)


class CallBody(BaseModel):
    number: str = Field(min_length=2, max_length=16)


class FinishBody(BaseModel):
    rating: int | None = Field(default=None, ge=1, le=5)


class TransferBody(BaseModel):
    service: str | None = Field(default=None, min_length=1, max_length=16)
    counter: int | None = Field(default=None, ge=1, le=999)


class PauseBody(BaseModel):
    reason: str | None = Field(default=None, max_length=200)


class AnnouncementBody(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    until: datetime | None = None


class EraseBody(BaseModel):
    """``POST /privacy/erase``: a card number (never logged) or a ticket id, not both."""

    card: str | None = Field(default=None, max_length=40, repr=False)
    ticket_id: str | None = Field(default=None, min_length=1, max_length=64)


class HealthBody(BaseModel):
    status: Literal["ok", "warning", "error", "unknown"]  # unknown: the device cannot tell
    detail: dict[str, object] = Field(default_factory=dict)
