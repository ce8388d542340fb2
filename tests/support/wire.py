"""Engine messages for the devices' pure tests, made by the engine's own renderer (``wire.py``)
from domain objects of the demo branch: the bodies are whole, as the engine sends them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from typing import Any

from queue_core import wire
from queue_core.config import BranchConfig, load_config
from queue_core.domain.counters import Counter, CounterState
from queue_core.domain.hall import Position
from queue_core.domain.tickets import Status, Ticket

#: 10:00 on 2026-11-13 in Shanghai.
MORNING = 1_763_000_000.0


@cache
def demo() -> BranchConfig:
    return load_config()


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def ticket(
    number: str,
    *,
    tier: str = "normal",
    green: bool = False,
    count: int = 1,
    counter: int | None = None,
    status: str | None = None,
    ahead: int | None = None,
    wait_s: int | None = None,
    **more: Any,
) -> wire.TicketBody:
    """A ticket body: waiting, or called ``count`` times to ``counter`` when one is given."""
    config = demo()
    rank = next((t.rank for t in config.tiers if t.code == tier), 0)
    t = Ticket(
        id=f"id-{number}",
        number=number,
        service=number.rstrip("0123456789"),
        tier=tier,
        tier_rank=rank,
        green_channel=green,
        status=Status.WAITING,
        issued_at=MORNING,
        queued_at=MORNING,
        business_day="2026-11-13",
    )
    if counter is not None:
        t = replace(t, status=Status.CALLED, counter=counter, called_at=MORNING + 60)
    t = replace(t, call_count=count if counter is not None else 0)
    if status is not None:
        t = replace(t, status=Status(status))
    t = replace(t, **more) if more else t
    position = Position(ahead, wait_s) if ahead is not None else None
    return wire.ticket(t, config, position)


def counter_body(
    number: int,
    state: str = "open",
    current: wire.TicketBody | None = None,
    reason: str | None = None,
    teller: str | None = None,
    waiting: int = 0,
) -> wire.CounterBody:
    config = demo()
    c = Counter(number, CounterState(state), teller, reason)
    body = wire.counter(c, None, waiting, config)
    body["current"] = current
    return body


def queue(**waiting: list[str]) -> wire.QueueSummary:
    return {
        code: {"waiting": len(nums), "estimated_wait_s": 60 * len(nums), "next": nums[:5]}
        for code, nums in waiting.items()
    }


def message(seq: int, kind: str, data: dict[str, Any], at: float = MORNING) -> wire.News:
    """One message of the event stream, parsed as a device parses it."""
    return wire.parse_event({"seq": seq, "type": kind, "at": iso(at), "data": data})


def ticket_event(
    seq: int,
    kind: str,
    body: wire.TicketBody,
    at: float = MORNING,
    q: wire.QueueSummary | None = None,
    **extra: Any,
) -> wire.News:
    """A ``ticket.<kind>`` event; ``called``/``recalled`` name the ticket's counter."""
    data: dict[str, Any] = {"ticket": body, "queue": q or {}, **extra}
    if kind in ("called", "recalled", "rating_requested") and "counter" not in extra:
        data["counter"] = wire.counter_ref(body["counter"] or 0, demo())
    return message(seq, f"ticket.{kind}", data, at)


def counter_event(seq: int, body: wire.CounterBody, at: float = MORNING) -> wire.News:
    return message(seq, "counter.updated", {"counter": body}, at)


def device_event(
    seq: int, name: str, detail: dict[str, Any], status: str = "ok", at: float = MORNING
) -> wire.News:
    """A device's health report, as the engine passes it on."""
    body = {"name": name, "status": status, "detail": detail, "reported_at": iso(at)}
    return message(seq, "device.updated", {"device": body}, at)


def snapshot(
    seq: int,
    at: float = MORNING,
    *,
    counters: list[wire.CounterBody] | None = None,
    q: wire.QueueSummary | None = None,
    services: list[wire.ServiceBody] | None = None,
    last_calls: list[wire.CallBody] | None = None,
    announcements: list[wire.AnnouncementBody] | None = None,
    help: list[wire.HelpBody] | None = None,
) -> wire.News:
    branch = demo().branch
    data: wire.SnapshotData = {
        "branch": {"code": branch.code, "name": branch.name, "name_en": branch.name_en},
        "counters": counters or [],
        "queue": q or {},
        "services": services if services is not None else service_bodies(),
        "last_calls": last_calls or [],
        "announcements": announcements or [],
        "help": help or [],
    }
    return message(seq, "snapshot", dict(data), at)


def service_bodies(open_: bool = True) -> list[wire.ServiceBody]:
    return [
        {
            "code": s.code,
            "name": s.name,
            "name_en": s.name_en,
            "waiting": 0,
            "estimated_wait_s": None,
            "open": open_,
        }
        for s in demo().services
    ]
