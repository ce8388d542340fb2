"""SQLAlchemy 2.0 tables. Times are epoch seconds (double precision): portable between SQLite
and PostgreSQL, sortable, and what the domain works in; the API renders them as ISO-8601."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from queue_core.domain.announcements import Announcement
from queue_core.domain.appointments import Appointment, AppointmentStatus
from queue_core.domain.counters import Counter, CounterState
from queue_core.domain.devices import DeviceReport
from queue_core.domain.staffing import AdviceRecord, Change, Forecast, Outlook
from queue_core.domain.tickets import Status, Ticket

#: The columns that mirror a domain ``Ticket`` field of the same name (all but ``status``, which
#: is stored as its text).
TICKET_FIELDS = tuple(f.name for f in fields(Ticket) if f.name != "status")


class Base(DeclarativeBase):
    pass


class TicketRow(Base):
    """One visit of a ticket (see ``queue_core.domain.tickets``). Never deleted: it is history."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("business_day", "number", "visit", name="uq_ticket_number_visit"),
        Index("ix_tickets_waiting", "status", "service", "queued_at"),
        Index("ix_tickets_day", "business_day"),
        Index("ix_tickets_origin", "origin_id"),
        Index("ix_tickets_check_in", "check_in_code"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    number: Mapped[str] = mapped_column(String(16))
    business_day: Mapped[str] = mapped_column(String(10))
    service: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str] = mapped_column(String(16))
    tier_rank: Mapped[int] = mapped_column(Integer)
    green_channel: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[float] = mapped_column(Float)
    queued_at: Mapped[float] = mapped_column(Float)
    origin_id: Mapped[str | None] = mapped_column(String(32))
    visit: Mapped[int] = mapped_column(Integer, default=1)
    counter: Mapped[int | None] = mapped_column(Integer)
    target_counter: Mapped[int | None] = mapped_column(Integer)
    front_at: Mapped[float | None] = mapped_column(Float)
    front_counter: Mapped[int | None] = mapped_column(Integer)
    called_at: Mapped[float | None] = mapped_column(Float)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    call_count: Mapped[int] = mapped_column(Integer, default=0)
    teller: Mapped[str | None] = mapped_column(String(32))
    rating: Mapped[int | None] = mapped_column(Integer)
    appointment: Mapped[str | None] = mapped_column(String(32))
    remote_until: Mapped[float | None] = mapped_column(Float)
    checked_in_at: Mapped[float | None] = mapped_column(Float)
    check_in_code: Mapped[str | None] = mapped_column(String(16))
    holder: Mapped[str | None] = mapped_column(String(64))
    card_hash: Mapped[str | None] = mapped_column(String(64))
    held_reason: Mapped[str | None] = mapped_column(String(32))
    held_at: Mapped[float | None] = mapped_column(Float)
    issued_by: Mapped[str | None] = mapped_column(String(64))

    def to_domain(self) -> Ticket:
        return ticket_from_row({name: getattr(self, name) for name in (*TICKET_FIELDS, "status")})


def ticket_values(t: Ticket) -> dict[str, Any]:
    """A ticket as the column values of its row."""
    values = {name: getattr(t, name) for name in TICKET_FIELDS}
    values["status"] = t.status.value
    return values


def ticket_from_row(row: Mapping[Any, Any]) -> Ticket:
    """A domain ticket from a row of the tickets table (as ``.mappings()`` gives it)."""
    values = {name: row[name] for name in TICKET_FIELDS}
    return Ticket(status=Status(row["status"]), **values)


class NumberSeq(Base):
    """The last sequence handed out per business day and ticket prefix."""

    __tablename__ = "number_seqs"

    business_day: Mapped[str] = mapped_column(String(10), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class EventRow(Base):
    """The append-only event log; ``seq`` is assigned under the write lock, so it has no gaps
    and commits in order."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class CounterRow(Base):
    """The live state of a counter (its configuration stays in the branch file); ``updated_at``
    is the domain counter's ``since``."""

    __tablename__ = "counters"

    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(8), default="closed")
    teller: Mapped[str | None] = mapped_column(String(32))
    paused_reason: Mapped[str | None] = mapped_column(String(200))
    current_id: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[float] = mapped_column(Float, default=0.0)

    def to_domain(self) -> Counter:
        return Counter(
            number=self.number,
            state=CounterState(self.state),
            teller=self.teller,
            paused_reason=self.paused_reason,
            current_id=self.current_id,
            since=self.updated_at,
        )


def counter_values(c: Counter) -> dict[str, Any]:
    """A counter's live state as the column values of its row (``number`` aside)."""
    return {
        "state": c.state.value,
        "teller": c.teller,
        "paused_reason": c.paused_reason,
        "current_id": c.current_id,
        "updated_at": c.since,
    }


class SessionRow(Base):
    """A staff login; only the token's hash is kept."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    counter: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)


class LoginFailure(Base):
    __tablename__ = "login_failures"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[float] = mapped_column(Float, default=0.0)
    last_at: Mapped[float] = mapped_column(Float, default=0.0)


class IdempotencyRow(Base):
    """A ticket issued under an ``Idempotency-Key``, per caller, with the request's hash."""

    __tablename__ = "idempotency"

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float)


class AnnouncementRow(Base):
    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    until: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    created_by: Mapped[str] = mapped_column(String(64))

    def to_domain(self) -> Announcement:
        return Announcement(
            id=self.id,
            text=self.text,
            created_at=self.created_at,
            created_by=self.created_by,
            until=self.until,
            ended_at=self.ended_at,
        )


class DeviceRow(Base):
    """The last health report of each configured device."""

    __tablename__ = "devices"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    reported_at: Mapped[float] = mapped_column(Float)

    def to_domain(self) -> DeviceReport:
        status = self.status if self.status in ("ok", "warning", "error", "unknown") else "error"
        return DeviceReport(self.name, status, self.reported_at, dict(self.detail or {}))  # type: ignore[arg-type]


class RateBucket(Base):
    """A caller's token bucket (the kiosk issuing limit), shared by every engine worker."""

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    stamp: Mapped[float] = mapped_column(Float)


class AppointmentRow(Base):
    """A booked window for one service (``queue_core.domain.appointments``); kept as history
    like tickets. ``holder`` is the keyed hash of the browser that booked it from a phone."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_day", "day", "service", "start"),
        Index("ix_appointments_code", "code"),
        Index("ix_appointments_holder", "holder"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(16))
    day: Mapped[str] = mapped_column(String(10))
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    booked_at: Mapped[float] = mapped_column(Float)
    booked_by: Mapped[str] = mapped_column(String(64))
    tier: Mapped[str] = mapped_column(String(16))
    green_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    ticket_id: Mapped[str | None] = mapped_column(String(32))
    checked_in_at: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[float | None] = mapped_column(Float)
    holder: Mapped[str | None] = mapped_column(String(64))

    def to_domain(self) -> Appointment:
        values = {f.name: getattr(self, f.name) for f in fields(Appointment)}
        values["status"] = AppointmentStatus(self.status)
        return Appointment(**values)

    def update(self, a: Appointment) -> None:
        """Take the domain appointment's state (and ``holder`` stays as booked)."""
        for f in fields(Appointment):
            value = getattr(a, f.name)
            setattr(self, f.name, value.value if f.name == "status" else value)

    @classmethod
    def of(cls, a: Appointment, holder: str | None = None) -> AppointmentRow:
        row = cls(holder=holder)
        row.update(a)
        return row


class NotifyRow(Base):
    """A customer's request to be told when their turn is near, for one ticket and channel.

    Kept only for the business day it was made on (erased when the next day starts): a phone
    number only as ``number_hash`` (HMAC, to count messages per number) and inside ``sealed``
    (AES-GCM, bound to the ticket), a push subscription inside ``sealed`` too. ``near_at_calls``
    and ``calls_told`` are what was told so far (``domain.notices.Seen``)."""

    __tablename__ = "notify_requests"
    __table_args__ = (
        UniqueConstraint("ticket_id", "channel", name="uq_notify_ticket_channel"),
        Index("ix_notify_day", "business_day"),
        Index("ix_notify_number", "number_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(String(32))
    business_day: Mapped[str] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(8))
    sealed: Mapped[str] = mapped_column(Text)
    number_hash: Mapped[str | None] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(4), default="zh")
    near_at_calls: Mapped[int | None] = mapped_column(Integer)
    calls_told: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)


class AdviceRow(Base):
    """A staffing advice given to the lobby and what became of it (``domain.staffing``)."""

    __tablename__ = "staffing_advice"
    __table_args__ = (Index("ix_staffing_advice_day", "business_day", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    business_day: Mapped[str] = mapped_column(String(10))
    given_at: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(8))
    counter: Mapped[int] = mapped_column(Integer)
    services: Mapped[list[str]] = mapped_column(JSON)
    effective_at: Mapped[float] = mapped_column(Float)
    before_over: Mapped[float] = mapped_column(Float)
    after_over: Mapped[float] = mapped_column(Float)
    before_mean_s: Mapped[float] = mapped_column(Float)
    after_mean_s: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(12))
    resolved_at: Mapped[float | None] = mapped_column(Float)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    observed_over: Mapped[float | None] = mapped_column(Float)
    observed_n: Mapped[int | None] = mapped_column(Integer)

    def to_domain(self) -> AdviceRecord:
        return AdviceRecord(
            id=self.id,
            business_day=self.business_day,
            given_at=self.given_at,
            change=Change(self.kind, self.counter, self.effective_at, tuple(self.services)),
            before_over=self.before_over,
            after_over=self.after_over,
            before_mean_s=self.before_mean_s,
            after_mean_s=self.after_mean_s,
            state=self.state,
            resolved_at=self.resolved_at,
            resolved_by=self.resolved_by,
            observed_over=self.observed_over,
            observed_n=self.observed_n,
        )

    def update(self, a: AdviceRecord) -> None:
        """Write what became of the advice."""
        self.state, self.resolved_at, self.resolved_by = a.state, a.resolved_at, a.resolved_by
        self.observed_over, self.observed_n = a.observed_over, a.observed_n


class ForecastRow(Base):
    """The latest look-ahead of the coming hour (one row): every engine process answers the
    lobby from it, and the next look knows whether the alert was already raised."""

    __tablename__ = "staffing_forecast"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_day: Mapped[str] = mapped_column(String(10))
    at: Mapped[float] = mapped_column(Float)
    customers: Mapped[int] = mapped_column(Integer)
    over_share: Mapped[float] = mapped_column(Float)
    mean_s: Mapped[float] = mapped_column(Float)
    attained: Mapped[dict[str, float]] = mapped_column(JSON)
    alert: Mapped[bool] = mapped_column(Boolean)

    def to_domain(self) -> Forecast:
        outlook = Outlook(self.customers, self.over_share, self.mean_s, dict(self.attained), 0.0)
        return Forecast(self.at, outlook, self.alert, ())
