"""The hall as the display knows it: engine events in, a new ``HallState`` out.

Pure: no clock, no I/O. ``now`` (epoch seconds of the display's own clock) is passed in with
every event so that a call's flash can be timed from when the hall *saw* it, which does not
depend on the engine's and the display's clocks agreeing. Everything kept is bounded (ten
calls, the configured counters and services, the announcements in force), so a display that
runs for weeks holds the same amount of state as one that just started.

The "please get ready" numbers are the engine's own ``queue[service].next``; the display never
orders tickets itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

MAX_CALLS = 10
MAX_ANNOUNCEMENTS = 20

Json = Mapping[str, Any]


def parse_time(value: object) -> float | None:
    """Epoch seconds of an ISO-8601 time from the engine, or None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Call:
    """One call (or recall) of a ticket to a counter, as the hall saw it."""

    ticket_id: str
    number: str
    service: str
    tier: str
    green_channel: bool
    counter: int
    counter_name: str
    counter_name_en: str
    seq: int
    call_count: int
    recall: bool
    #: When the engine says the call happened (epoch seconds), if it said.
    at: float | None
    #: When the display received it (epoch seconds of the display's clock).
    seen_at: float
    #: Received live (not from a snapshot) and not too late: it flashes and may be spoken.
    live: bool

    @property
    def key(self) -> tuple[str, int]:
        """What makes two events the same announcement: the ticket and its call count."""
        return (self.ticket_id, self.call_count if self.call_count > 0 else -self.seq)


@dataclass(frozen=True, slots=True)
class ServiceQueue:
    code: str
    name: str
    name_en: str
    waiting: int = 0
    estimated_wait_s: int | None = None
    next: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CounterInfo:
    number: int
    name: str
    name_en: str
    state: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Announcement:
    id: str
    text: str
    until: float | None


@dataclass(frozen=True, slots=True)
class HallState:
    """Everything the hall display shows, rebuilt event by event."""

    branch_name: str = ""
    branch_name_en: str = ""
    calls: tuple[Call, ...] = ()  # newest first
    services: tuple[ServiceQueue, ...] = ()
    counters: tuple[CounterInfo, ...] = ()
    announcements: tuple[Announcement, ...] = ()
    #: The kiosks whose customer asked for the lobby manager, by request id, oldest first.
    help: tuple[tuple[str, str], ...] = ()
    last_seq: int | None = None
    last_event_seen_at: float | None = None
    synced: bool = False  # a snapshot or replay has been applied at least once
    names: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # service -> names


def _counter_ref(value: object, fallback: object) -> tuple[int, str, str]:
    if isinstance(value, Mapping):
        number = int(value.get("number") or 0)
        name = str(value.get("name") or f"{number}号窗口")
        return number, name, str(value.get("name_en") or f"Counter {number}")
    number = value if isinstance(value, int) else fallback if isinstance(fallback, int) else 0
    return number, f"{number}号窗口", f"Counter {number}"


def call_from(
    ticket: Json, counter: object, seq: int, at: float | None, now: float, recall: bool, live: bool
) -> Call:
    """Build a ``Call`` from a ticket body and the counter it was called to."""
    number, name, name_en = _counter_ref(counter, ticket.get("counter"))
    return Call(
        ticket_id=str(ticket.get("id") or ticket.get("number") or seq),
        number=str(ticket.get("number", "")),
        service=str(ticket.get("service", "")),
        tier=str(ticket.get("tier") or ""),
        green_channel=bool(ticket.get("green_channel")),
        counter=number,
        counter_name=name,
        counter_name_en=name_en,
        seq=seq,
        call_count=int(ticket.get("call_count") or 0),
        recall=recall,
        at=at,
        seen_at=now,
        live=live,
    )


def call_of(event: Json, now: float, fresh_s: float = 60.0) -> Call | None:
    """The call an event makes (``ticket.called`` / ``ticket.recalled``), else None.

    A call that happened more than ``fresh_s`` before ``now`` (a replay after a long outage)
    is still a call the hall must see, but it is not ``live``: it neither flashes nor speaks.
    """
    kind = event.get("type")
    if kind not in ("ticket.called", "ticket.recalled"):
        return None
    data = event.get("data") or {}
    ticket = data.get("ticket") or {}
    at = parse_time(event.get("at"))
    live = at is None or now - at <= fresh_s
    return call_from(
        ticket, data.get("counter"), int(event.get("seq", 0)), at, now,
        kind == "ticket.recalled", live,
    )  # fmt: skip


def _push_call(calls: tuple[Call, ...], call: Call) -> tuple[Call, ...]:
    # A ticket appears once in the list: a recall moves it back to the top.
    kept = tuple(c for c in calls if c.ticket_id != call.ticket_id)
    return (call, *kept)[:MAX_CALLS]


def _queue(state: HallState, queue: object) -> tuple[ServiceQueue, ...]:
    if not isinstance(queue, Mapping):
        return state.services
    by_code = {s.code: s for s in state.services}
    order = [s.code for s in state.services] + [c for c in queue if c not in by_code]
    result = []
    for code in order:
        entry = queue.get(code)
        old = by_code.get(code)
        name, name_en = state.names.get(code, (old.name, old.name_en) if old else (code, code))
        if not isinstance(entry, Mapping):
            if old is not None:
                result.append(old)
            continue
        wait = entry.get("estimated_wait_s")
        result.append(
            ServiceQueue(
                code=code,
                name=name,
                name_en=name_en,
                waiting=int(entry.get("waiting") or 0),
                estimated_wait_s=int(wait) if isinstance(wait, int | float) else None,
                next=tuple(str(n) for n in entry.get("next") or ()),
            )
        )
    return tuple(result)


def _counter(body: Json) -> CounterInfo:
    number = int(body.get("number") or 0)
    return CounterInfo(
        number=number,
        name=str(body.get("name") or f"{number}号窗口"),
        name_en=str(body.get("name_en") or f"Counter {number}"),
        state=str(body.get("state") or "open"),
        reason=str(body.get("paused_reason") or ""),
    )


def _announcement(body: Json) -> Announcement:
    return Announcement(
        id=str(body.get("id", "")),
        text=str(body.get("text", "")),
        until=parse_time(body.get("until")),
    )


def _snapshot(state: HallState, data: Json, now: float) -> HallState:
    branch = data.get("branch") or {}
    services = data.get("services") or []
    names = {str(s["code"]): (str(s.get("name") or s["code"]), str(s.get("name_en") or ""))
             for s in services if isinstance(s, Mapping) and "code" in s}  # fmt: skip
    base = replace(
        state,
        branch_name=str(branch.get("name") or state.branch_name),
        branch_name_en=str(branch.get("name_en") or state.branch_name_en),
        names=names or state.names,
        services=tuple(ServiceQueue(code, *names[code]) for code in names) or state.services,
    )
    calls = []
    for item in (data.get("last_calls") or [])[:MAX_CALLS]:
        ticket = item.get("ticket") or {}
        at = parse_time(item.get("at"))
        calls.append(call_from(ticket, item.get("counter"), 0, at, now, False, False))
    counters = tuple(_counter(c) for c in data.get("counters") or [] if isinstance(c, Mapping))
    notes = tuple(
        _announcement(a) for a in data.get("announcements") or [] if a.get("active", True)
    )
    return replace(
        base,
        calls=tuple(calls),
        services=_queue(base, data.get("queue")),
        counters=counters or state.counters,
        announcements=notes[-MAX_ANNOUNCEMENTS:],
        help=tuple(
            (str(h.get("id")), str(h.get("device") or ""))
            for h in data.get("help") or []
            if isinstance(h, Mapping) and h.get("state") == "open"
        ),
    )


def _help(state: HallState, data: Json) -> HallState:
    ident = str(data.get("id", ""))
    kept = tuple(h for h in state.help if h[0] != ident)
    if data.get("state") == "open":
        kept = (*kept, (ident, str(data.get("device") or "")))
    return replace(state, help=kept)


def _announce(state: HallState, data: Json) -> HallState:
    note = _announcement(data)
    kept = tuple(a for a in state.announcements if a.id != note.id)
    if data.get("active", True) and note.text:
        kept = (*kept, note)
    return replace(state, announcements=kept[-MAX_ANNOUNCEMENTS:])


def _counter_updated(state: HallState, data: Json) -> HallState:
    body = data.get("counter")
    if not isinstance(body, Mapping):
        return state
    info = _counter(body)
    others = [c for c in state.counters if c.number != info.number]
    return replace(state, counters=tuple(sorted([*others, info], key=lambda c: c.number)))


def apply(state: HallState, event: Json, now: float, fresh_s: float = 60.0) -> HallState:
    """The hall after ``event`` (one message of the engine's event stream) seen at ``now``."""
    kind = str(event.get("type", ""))
    data = event.get("data") or {}
    seq = event.get("seq")
    stamped = replace(
        state,
        last_seq=int(seq) if isinstance(seq, int) else state.last_seq,
        last_event_seen_at=now,
        synced=True,
    )
    if kind == "snapshot":
        return _snapshot(stamped, data, now)
    if kind == "announcement":
        return _announce(stamped, data)
    if kind == "help":
        return _help(stamped, data)
    if kind == "counter.updated":
        return _counter_updated(stamped, data)
    if not kind.startswith("ticket."):
        return stamped
    updated = replace(stamped, services=_queue(stamped, data.get("queue")))
    call = call_of(event, now, fresh_s)
    if call is not None:
        updated = replace(updated, calls=_push_call(updated.calls, call))
    return updated
