"""The central PostgreSQL: every branch's events, and the tickets and counters rebuilt from them.

Invariants, kept here:

- *Exactly once by (branch, seq).* ``branches.applied_seq`` is the last seq of an unbroken run
  from 1 that has been applied; an event at or below it is ignored, an event after a hole is
  stored (``branch_events``, primary key including (branch, seq)) but not applied until the
  hole is filled. Events, the rebuilt rows and ``applied_seq`` change in one transaction, so a
  consumer killed at any moment leaves either all of a batch or none of it.
- *The newest state wins.* A rebuilt ticket row keeps the seq of the event it came from and is
  only overwritten by a later one.
- *Partitioned by day.* ``branch_events``, ``tickets`` and ``counter_changes`` are partitioned
  by the branch's business day; a day's partition is created with its first row, so old days
  can be detached or dropped whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from queue_core.central.protocol import Batch, UpEvent
from queue_core.central.rebuild import AppointmentState, Changes, CounterChange, project
from queue_core.domain.appointments import Appointment
from queue_core.domain.numbering import business_day
from queue_core.domain.tickets import Status, Ticket

log = logging.getLogger(__name__)

#: The advisory lock that serializes schema changes and partition creation.
SCHEMA_LOCK = 0x42_51_43  # "BQC"
PARTITIONED = ("branch_events", "tickets", "counter_changes")

SCHEMA = [
    # version 1
    """
    CREATE TABLE branches (
        code          text PRIMARY KEY,
        described     jsonb,
        applied_seq   bigint NOT NULL DEFAULT 0,
        stored_seq    bigint NOT NULL DEFAULT 0,
        head_seq      bigint NOT NULL DEFAULT 0,
        acked_seq     bigint NOT NULL DEFAULT 0,
        last_seen     double precision,
        last_event_at double precision,
        clock_offset  double precision,
        files         jsonb NOT NULL DEFAULT '{}'
    );
    CREATE TABLE branch_events (
        day     date NOT NULL,
        branch  text NOT NULL,
        seq     bigint NOT NULL,
        type    text NOT NULL,
        at      double precision NOT NULL,
        data    jsonb NOT NULL,
        PRIMARY KEY (day, branch, seq)
    ) PARTITION BY RANGE (day);
    CREATE INDEX branch_events_branch_seq ON branch_events (branch, seq);
    CREATE TABLE tickets (
        day            date NOT NULL,
        branch         text NOT NULL,
        id             text NOT NULL,
        seq            bigint NOT NULL,
        number         text NOT NULL,
        service        text NOT NULL,
        tier           text NOT NULL,
        tier_rank      integer NOT NULL,
        green_channel  boolean NOT NULL,
        status         text NOT NULL,
        issued_at      double precision NOT NULL,
        called_at      double precision,
        started_at     double precision,
        finished_at    double precision,
        counter        integer,
        target_counter integer,
        teller         text,
        rating         integer,
        origin_id      text,
        visit          integer NOT NULL,
        call_count     integer NOT NULL,
        PRIMARY KEY (day, branch, id)
    ) PARTITION BY RANGE (day);
    CREATE INDEX tickets_branch_status ON tickets (branch, status);
    CREATE TABLE counter_changes (
        day           date NOT NULL,
        branch        text NOT NULL,
        seq           bigint NOT NULL,
        at            double precision NOT NULL,
        counter       integer NOT NULL,
        state         text NOT NULL,
        teller        text,
        paused_reason text,
        current       text,
        PRIMARY KEY (day, branch, seq)
    ) PARTITION BY RANGE (day);
    CREATE INDEX counter_changes_counter ON counter_changes (branch, counter, seq);
    CREATE TABLE counters (
        branch        text NOT NULL,
        number        integer NOT NULL,
        seq           bigint NOT NULL,
        at            double precision NOT NULL,
        state         text NOT NULL,
        teller        text,
        paused_reason text,
        current       text,
        PRIMARY KEY (branch, number)
    );
    CREATE TABLE devices (
        branch      text NOT NULL,
        name        text NOT NULL,
        seq         bigint NOT NULL,
        status      text NOT NULL,
        detail      jsonb NOT NULL,
        reported_at text,
        PRIMARY KEY (branch, name)
    );
    CREATE TABLE branch_files (
        branch       text NOT NULL,
        kind         text NOT NULL,
        version      bigint NOT NULL,
        body         jsonb NOT NULL,
        published_at double precision NOT NULL,
        published_by text NOT NULL,
        PRIMARY KEY (branch, kind, version)
    );
    CREATE TABLE sessions (
        token_hash text PRIMARY KEY,
        login      text NOT NULL,
        expires_at double precision NOT NULL
    );
    """,
    # version 2: appointments, from the appointment.* events (no code, no note)
    """
    CREATE TABLE appointments (
        branch        text NOT NULL,
        id            text NOT NULL,
        seq           bigint NOT NULL,
        day           date NOT NULL,
        service       text NOT NULL,
        starts        double precision NOT NULL,
        ends          double precision NOT NULL,
        status        text NOT NULL,
        ticket_id     text,
        booked_at     double precision,
        checked_in_at double precision,
        closed_at     double precision,
        PRIMARY KEY (branch, id)
    );
    CREATE INDEX appointments_day ON appointments (branch, day);
    """,
]
APPOINTMENT_COLUMNS = (
    "branch", "id", "seq", "day", "service", "starts", "ends", "status", "ticket_id",
    "booked_at", "checked_in_at", "closed_at",
)  # fmt: skip
#: The newest state wins; the times of booking, check-in and close, once known, stay.
_UPSERT_APPOINTMENT = (
    f"INSERT INTO appointments ({', '.join(APPOINTMENT_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(APPOINTMENT_COLUMNS))}) "
    "ON CONFLICT (branch, id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in ("seq", "day", "service", "starts", "ends",
                                                 "status"))
    + ", ticket_id = COALESCE(EXCLUDED.ticket_id, appointments.ticket_id), "
    + ", ".join(f"{c} = COALESCE(appointments.{c}, EXCLUDED.{c})"
                for c in ("booked_at", "checked_in_at", "closed_at"))
    + " WHERE appointments.seq < EXCLUDED.seq"
)  # fmt: skip

TICKET_COLUMNS = (
    "day", "branch", "id", "seq", "number", "service", "tier", "tier_rank", "green_channel",
    "status", "issued_at", "called_at", "started_at", "finished_at", "counter", "target_counter",
    "teller", "rating", "origin_id", "visit", "call_count",
)  # fmt: skip
_UPSERT_TICKET = (
    f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
    f"VALUES ({', '.join(['%s'] * len(TICKET_COLUMNS))}) "
    "ON CONFLICT (day, branch, id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in TICKET_COLUMNS[3:])
    + " WHERE tickets.seq < EXCLUDED.seq"
)


def conninfo(url: str) -> str:
    """A libpq URL from a SQLAlchemy-style one (``postgresql+psycopg://`` is accepted)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@dataclass
class BranchState:
    """A branch's row, as ingestion reads and writes it."""

    code: str
    described: dict[str, Any] | None
    applied_seq: int
    stored_seq: int
    last_event_at: float | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo((self.described or {}).get("timezone") or "UTC")

    @property
    def tier_ranks(self) -> dict[str, int]:
        return {t["code"]: int(t["rank"]) for t in (self.described or {}).get("tiers", [])}


@dataclass
class Ingested:
    """What one ingestion transaction did, per branch: the seq applied up to, and holes."""

    applied: dict[str, int] = field(default_factory=dict)
    events: int = 0
    duplicates: int = 0
    #: Branches with events stored after a hole (``resend_from`` is applied + 1).
    gaps: dict[str, int] = field(default_factory=dict)


class CentralDB:
    """One connection to the central database (``psycopg`` async)."""

    def __init__(self, conn: psycopg.AsyncConnection[Any]) -> None:
        self.conn = conn
        self._days: set[date] = set()

    @classmethod
    async def connect(cls, url: str) -> CentralDB:
        conn = await psycopg.AsyncConnection.connect(conninfo(url), autocommit=False)
        return cls(conn)

    async def close(self) -> None:
        await self.conn.close()

    # ------------------------------------------------------------------ schema
    async def migrate(self) -> None:
        """Bring the schema to the newest version (idempotent, safe to run concurrently)."""
        async with self.conn.transaction():
            await self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            await self.conn.execute("CREATE TABLE IF NOT EXISTS central_schema (version integer)")
            cur = await self.conn.execute("SELECT max(version) FROM central_schema")
            row = await cur.fetchone()
            have = (row[0] if row else None) or 0
            for version, ddl in enumerate(SCHEMA, start=1):
                if version > have:
                    await self.conn.execute(ddl)
                    await self.conn.execute(
                        "INSERT INTO central_schema (version) VALUES (%s)", (version,)
                    )
        await self.conn.commit()

    async def _ensure_days(self, days: Iterable[date]) -> None:
        missing = sorted(set(days) - self._days)
        if not missing:
            return
        await self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
        for day in missing:
            end = day + timedelta(days=1)
            for table in PARTITIONED:
                await self.conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {table}_{day:%Y%m%d} PARTITION OF {table} "
                    f"FOR VALUES FROM ('{day.isoformat()}') TO ('{end.isoformat()}')"
                )
        self._days.update(missing)

    # ------------------------------------------------------------------ ingestion
    async def ingest(self, batches: Sequence[Batch]) -> Ingested:
        """Store and apply batches (any branches, any order) in one transaction."""
        result = Ingested()
        by_branch: dict[str, list[Batch]] = {}
        for batch in batches:
            by_branch.setdefault(batch.branch, []).append(batch)
        try:
            async with self.conn.transaction():
                states = await self._lock_branches(sorted(by_branch))
                for code in sorted(by_branch):
                    await self._ingest_branch(states[code], by_branch[code], result)
            await self.conn.commit()
        except BaseException:
            self._days.clear()  # a rolled-back partition may not exist after all
            raise
        return result

    async def _lock_branches(self, codes: list[str]) -> dict[str, BranchState]:
        await self.conn.cursor().executemany(
            "INSERT INTO branches (code) VALUES (%s) ON CONFLICT DO NOTHING", [(c,) for c in codes]
        )
        cur = self.conn.cursor(row_factory=dict_row)
        await cur.execute(
            "SELECT code, described, applied_seq, stored_seq, last_event_at FROM branches "
            "WHERE code = ANY(%s) ORDER BY code FOR UPDATE",
            (codes,),
        )
        return {r["code"]: BranchState(**r) async for r in cur}

    async def _ingest_branch(
        self, state: BranchState, batches: list[Batch], result: Ingested
    ) -> None:
        for batch in batches:
            if batch.described is not None:
                state.described = batch.described
        seen: dict[int, UpEvent] = {}
        for batch in batches:
            for event in batch.events:
                if event.seq > state.applied_seq:
                    seen.setdefault(event.seq, event)
                else:
                    result.duplicates += 1
        fresh = [seen[s] for s in sorted(seen)]
        tz = state.tz
        if fresh:
            await self._ensure_days(date.fromisoformat(business_day(e.at, tz)) for e in fresh)
            rows = [
                (business_day(e.at, tz), state.code, e.seq, e.type, e.at, Jsonb(e.data))
                for e in fresh
            ]
            cur = self.conn.cursor()
            await cur.executemany(
                "INSERT INTO branch_events (day, branch, seq, type, at, data) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                rows,
            )
            state.stored_seq = max(state.stored_seq, fresh[-1].seq)
        run = _unbroken(fresh, state.applied_seq)
        if state.stored_seq > state.applied_seq + len(run):
            # Events after a hole are stored already: read the whole unbroken run back.
            run = _unbroken(await self._stored_after(state), state.applied_seq)
        if run:
            await self._apply(state, run)
            result.events += len(run)
        if state.stored_seq > state.applied_seq:
            result.gaps[state.code] = state.applied_seq + 1
        result.applied[state.code] = state.applied_seq
        await self.conn.execute(
            "UPDATE branches SET described = %s, applied_seq = %s, stored_seq = %s, "
            "last_event_at = %s WHERE code = %s",
            (
                Jsonb(state.described) if state.described is not None else None,
                state.applied_seq,
                state.stored_seq,
                state.last_event_at,
                state.code,
            ),
        )

    async def _stored_after(self, state: BranchState) -> list[UpEvent]:
        cur = await self.conn.execute(
            "SELECT seq, type, at, data FROM branch_events WHERE branch = %s AND seq > %s "
            "ORDER BY seq",
            (state.code, state.applied_seq),
        )
        return [UpEvent(s, t, a, d) for s, t, a, d in await cur.fetchall()]

    async def _apply(self, state: BranchState, run: list[UpEvent]) -> None:
        tz = state.tz
        changes = project(run, tz, state.tier_ranks, Changes())
        await self._write_changes(state.code, changes, tz)
        state.applied_seq = run[-1].seq
        state.last_event_at = run[-1].at

    async def _write_changes(self, code: str, changes: Changes, tz: ZoneInfo) -> None:
        cur = self.conn.cursor()
        tickets = [_ticket_row(code, seq, t) for seq, t in changes.tickets.values()]
        if tickets:
            await self._ensure_days(
                date.fromisoformat(t.business_day) for _, t in changes.tickets.values()
            )
            await cur.executemany(_UPSERT_TICKET, tickets)
        if changes.counters:
            days = [business_day(c.at, tz) for c in changes.counters]
            await self._ensure_days(date.fromisoformat(d) for d in days)
            await cur.executemany(
                "INSERT INTO counter_changes (day, branch, seq, at, counter, state, teller, "
                "paused_reason, current) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [
                    (d, code, c.seq, c.at, c.counter, c.state, c.teller, c.paused_reason, c.current)
                    for d, c in zip(days, changes.counters, strict=True)
                ],
            )
            latest: dict[int, CounterChange] = {}
            for c in changes.counters:
                latest[c.counter] = c
            await cur.executemany(
                "INSERT INTO counters (branch, number, seq, at, state, teller, paused_reason, "
                "current) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (branch, number) "
                "DO UPDATE SET seq = EXCLUDED.seq, at = EXCLUDED.at, state = EXCLUDED.state, "
                "teller = EXCLUDED.teller, paused_reason = EXCLUDED.paused_reason, "
                "current = EXCLUDED.current WHERE counters.seq < EXCLUDED.seq",
                [
                    (code, c.counter, c.seq, c.at, c.state, c.teller, c.paused_reason, c.current)
                    for c in latest.values()
                ],
            )
        if changes.appointments:
            await cur.executemany(
                _UPSERT_APPOINTMENT,
                [
                    (code, a.id, a.seq, date.fromisoformat(a.day), a.service, a.start, a.end,
                     a.status, a.ticket_id, a.booked_at, a.checked_in_at, a.closed_at)
                    for a in changes.appointments.values()
                ],
            )  # fmt: skip
        if changes.devices:
            await cur.executemany(
                "INSERT INTO devices (branch, name, seq, status, detail, reported_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (branch, name) DO UPDATE SET "
                "seq = EXCLUDED.seq, status = EXCLUDED.status, detail = EXCLUDED.detail, "
                "reported_at = EXCLUDED.reported_at WHERE devices.seq < EXCLUDED.seq",
                [
                    (code, d.name, d.seq, d.status, Jsonb(d.detail), d.reported_at)
                    for d in changes.devices.values()
                ],
            )

    # ------------------------------------------------------------------ status exchange
    async def record_statuses(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Note branches' statuses: ``(code, seen_at, head, acked, clock_offset, described,
        files)`` each (the link, the log's head, the clock)."""
        async with self.conn.transaction():
            await self.conn.cursor().executemany(
                "INSERT INTO branches (code, last_seen, head_seq, acked_seq, clock_offset, "
                "described, files) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (code) DO UPDATE SET last_seen = EXCLUDED.last_seen, "
                "head_seq = EXCLUDED.head_seq, acked_seq = EXCLUDED.acked_seq, "
                "clock_offset = EXCLUDED.clock_offset, described = EXCLUDED.described, "
                "files = EXCLUDED.files",
                rows,
            )
        await self.conn.commit()

    # ------------------------------------------------------------------ reads
    async def branch_rows(self) -> list[dict[str, Any]]:
        cur = self.conn.cursor(row_factory=dict_row)
        await cur.execute("SELECT * FROM branches ORDER BY code")
        rows = await cur.fetchall()
        await self.conn.rollback()
        return rows

    async def tickets_of_day(
        self, code: str, day: str, tier_ranks: dict[str, int], since_seq: int = 0
    ) -> list[tuple[int, Ticket]]:
        """The rebuilt visits of a branch's business day (those changed after ``since_seq``)."""
        cur = await self.conn.execute(
            f"SELECT {', '.join(TICKET_COLUMNS)} FROM tickets "
            "WHERE day = %s AND branch = %s AND seq > %s",
            (date.fromisoformat(day), code, since_seq),
        )
        rows = await cur.fetchall()
        await self.conn.rollback()
        return [_ticket_of(row) for row in rows]

    async def appointments_of_day(self, code: str, day: str) -> list[Appointment]:
        """The appointments booked for a branch's business day, as the branch counts them."""
        cur = await self.conn.execute(
            f"SELECT {', '.join(APPOINTMENT_COLUMNS)} FROM appointments "
            "WHERE branch = %s AND day = %s ORDER BY starts, booked_at",
            (code, date.fromisoformat(day)),
        )
        rows = await cur.fetchall()
        await self.conn.rollback()
        return [_appointment_of(row) for row in rows]

    async def counter_changes(
        self, code: str, day: str, first: float, counters: Sequence[int]
    ) -> tuple[list[CounterChange], list[CounterChange]]:
        """Each configured counter's last change before the day's start, and the day's own."""
        columns = "seq, at, counter, state, teller, paused_reason, current"
        cur = await self.conn.execute(
            f"SELECT DISTINCT ON (counter) {columns} FROM counter_changes "
            "WHERE branch = %s AND counter = ANY(%s) AND at < %s AND day <= %s "
            "ORDER BY counter, seq DESC",
            (code, list(counters), first, date.fromisoformat(day)),
        )
        before = [CounterChange(*r) for r in await cur.fetchall()]
        cur = await self.conn.execute(
            f"SELECT {columns} FROM counter_changes WHERE branch = %s AND day >= %s "
            "AND day <= %s AND at >= %s ORDER BY seq",
            (code, date.fromisoformat(day) - timedelta(days=1), date.fromisoformat(day)
             + timedelta(days=1), first),
        )  # fmt: skip
        during = [CounterChange(*r) for r in await cur.fetchall()]
        await self.conn.rollback()
        return before, during

    async def counters_now(self) -> list[dict[str, Any]]:
        cur = self.conn.cursor(row_factory=dict_row)
        await cur.execute("SELECT * FROM counters ORDER BY branch, number")
        rows = await cur.fetchall()
        await self.conn.rollback()
        return rows

    async def devices(self) -> list[dict[str, Any]]:
        cur = self.conn.cursor(row_factory=dict_row)
        await cur.execute("SELECT * FROM devices ORDER BY branch, name")
        rows = await cur.fetchall()
        await self.conn.rollback()
        return rows

    async def events_of(self, code: str, after: int = 0) -> list[UpEvent]:
        """A branch's stored events after a seq, oldest first (tests and audits)."""
        cur = await self.conn.execute(
            "SELECT seq, type, at, data FROM branch_events WHERE branch = %s AND seq > %s "
            "ORDER BY seq",
            (code, after),
        )
        rows = await cur.fetchall()
        await self.conn.rollback()
        return [UpEvent(s, t, a, d) for s, t, a, d in rows]


def _unbroken(events: Sequence[UpEvent], applied: int) -> list[UpEvent]:
    """The events that continue ``applied`` without a hole (``events`` sorted by seq)."""
    run: list[UpEvent] = []
    expect = applied + 1
    for event in events:
        if event.seq < expect:
            continue
        if event.seq != expect:
            break
        run.append(event)
        expect += 1
    return run


def _ticket_row(code: str, seq: int, t: Ticket) -> tuple[Any, ...]:
    return (
        date.fromisoformat(t.business_day), code, t.id, seq, t.number, t.service, t.tier,
        t.tier_rank, t.green_channel, t.status.value, t.issued_at, t.called_at, t.started_at,
        t.finished_at, t.counter, t.target_counter, t.teller, t.rating, t.origin_id, t.visit,
        t.call_count,
    )  # fmt: skip


def _ticket_of(row: Sequence[Any]) -> tuple[int, Ticket]:
    values = dict(zip(TICKET_COLUMNS, row, strict=True))
    day: date = values.pop("day")
    values.pop("branch")
    seq: int = values.pop("seq")
    status = Status(values.pop("status"))
    ticket = Ticket(
        status=status, business_day=day.isoformat(), queued_at=values["issued_at"], **values
    )
    return seq, ticket


def _appointment_of(row: Sequence[Any]) -> Appointment:
    v = dict(zip(APPOINTMENT_COLUMNS, row, strict=True))
    day: date = v["day"]
    return AppointmentState(
        seq=v["seq"], id=v["id"], service=v["service"], day=day.isoformat(), start=v["starts"],
        end=v["ends"], status=v["status"], ticket_id=v["ticket_id"], booked_at=v["booked_at"],
        checked_in_at=v["checked_in_at"], closed_at=v["closed_at"],
    ).to_domain()  # fmt: skip
