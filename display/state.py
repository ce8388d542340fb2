"""The hall as the display knows it: engine events (``wire.News``) in, a new ``HallState`` out.

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

from queue_core import wire

MAX_CALLS = 10
MAX_ANNOUNCEMENTS = 20


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
    is_vip: bool
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


def call_from(
    ticket: wire.TicketBody,
    counter: wire.CounterRef | None,
    seq: int,
    at: float | None,
    now: float,
    recall: bool,
    live: bool,
) -> Call:
    """Build a ``Call`` from a ticket body and the counter it was called to."""
    ref = counter or wire.counter_ref_of(ticket["counter"] or 0)
    return Call(
        ticket_id=ticket["id"],
        number=ticket["number"],
        service=ticket["service"],
        is_vip=ticket["is_vip"],
        green_channel=ticket["green_channel"],
        counter=ref["number"],
        counter_name=ref["name"],
        counter_name_en=ref["name_en"],
        seq=seq,
        call_count=ticket["call_count"],
        recall=recall,
        at=at,
        seen_at=now,
        live=live,
    )


def call_of(news: wire.News, now: float, fresh_s: float = 60.0) -> Call | None:
    """The call an event makes (``ticket.called`` / ``ticket.recalled``), else None.

    A call that happened more than ``fresh_s`` before ``now`` (a replay after a long outage)
    is still a call the hall must see, but it is not ``live``: it neither flashes nor speaks.
    """
    if not isinstance(news, wire.TicketNews) or news.kind not in ("called", "recalled"):
        return None
    at = parse_time(news.at)
    live = at is None or now - at <= fresh_s
    return call_from(news.ticket, news.counter, news.seq, at, now, news.kind == "recalled", live)


def _push_call(calls: tuple[Call, ...], call: Call) -> tuple[Call, ...]:
    # A ticket appears once in the list: a recall moves it back to the top.
    kept = tuple(c for c in calls if c.ticket_id != call.ticket_id)
    return (call, *kept)[:MAX_CALLS]


def _queue(state: HallState, queue: wire.QueueSummary) -> tuple[ServiceQueue, ...]:
    by_code = {s.code: s for s in state.services}
    order = [s.code for s in state.services] + [c for c in queue if c not in by_code]
    result = []
    for code in order:
        entry = queue.get(code)
        old = by_code.get(code)
        name, name_en = state.names.get(code, (old.name, old.name_en) if old else (code, code))
        if entry is None:
            if old is not None:
                result.append(old)
            continue
        result.append(
            ServiceQueue(
                code=code,
                name=name,
                name_en=name_en,
                waiting=entry["waiting"],
                estimated_wait_s=entry["estimated_wait_s"],
                next=tuple(entry["next"]),
            )
        )
    return tuple(result)


def _counter(body: wire.CounterBody) -> CounterInfo:
    return CounterInfo(
        number=body["number"],
        name=body["name"],
        name_en=body["name_en"],
        state=body["state"],
        reason=body["paused_reason"] or "",
    )


def _announcement(body: wire.AnnouncementBody) -> Announcement:
    return Announcement(id=str(body["id"]), text=body["text"], until=parse_time(body["until"]))


def _snapshot(state: HallState, data: wire.SnapshotData, now: float) -> HallState:
    branch = data["branch"]
    names = {s["code"]: (s["name"] or s["code"], s["name_en"]) for s in data["services"]}
    base = replace(
        state,
        branch_name=branch["name"] or state.branch_name,
        branch_name_en=branch["name_en"] or state.branch_name_en,
        names=names or state.names,
        services=tuple(ServiceQueue(code, *names[code]) for code in names) or state.services,
    )
    calls = [
        call_from(item["ticket"], item["counter"], 0, parse_time(item["at"]), now, False, False)
        for item in data["last_calls"][:MAX_CALLS]
    ]
    counters = tuple(_counter(c) for c in data["counters"])
    notes = tuple(_announcement(a) for a in data["announcements"] if a["active"])
    return replace(
        base,
        calls=tuple(calls),
        services=_queue(base, data["queue"]),
        counters=counters or state.counters,
        announcements=notes[-MAX_ANNOUNCEMENTS:],
        help=tuple((h["id"], h["device"]) for h in data["help"] if h["state"] == "open"),
    )


def _help(state: HallState, body: wire.HelpBody) -> HallState:
    kept = tuple(h for h in state.help if h[0] != body["id"])
    if body["state"] == "open":
        kept = (*kept, (body["id"], body["device"]))
    return replace(state, help=kept)


def _announce(state: HallState, body: wire.AnnouncementBody) -> HallState:
    note = _announcement(body)
    kept = tuple(a for a in state.announcements if a.id != note.id)
    if body["active"] and note.text:
        kept = (*kept, note)
    return replace(state, announcements=kept[-MAX_ANNOUNCEMENTS:])


def _counter_updated(state: HallState, body: wire.CounterBody) -> HallState:
    info = _counter(body)
    others = [c for c in state.counters if c.number != info.number]
    return replace(state, counters=tuple(sorted([*others, info], key=lambda c: c.number)))


def apply(state: HallState, news: wire.News, now: float, fresh_s: float = 60.0) -> HallState:
    """The hall after one message of the engine's event stream, seen at ``now``."""
    stamped = replace(state, last_seq=news.seq, last_event_seen_at=now, synced=True)
    if isinstance(news, wire.Snapshot):
        return _snapshot(stamped, news.data, now)
    if isinstance(news, wire.AnnouncementNews):
        return _announce(stamped, news.announcement)
    if isinstance(news, wire.HelpNews):
        return _help(stamped, news.request)
    if isinstance(news, wire.CounterNews):
        return _counter_updated(stamped, news.counter)
    if not isinstance(news, wire.TicketNews):
        return stamped
    updated = replace(stamped, services=_queue(stamped, news.queue))
    call = call_of(news, now, fresh_s)
    if call is not None:
        updated = replace(updated, calls=_push_call(updated.calls, call))
    return updated
