"""How domain objects look on the wire (API bodies and event data): one place for each shape."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from queue_core.config import BranchConfig
from queue_core.domain.hall import Position, ServiceSummary
from queue_core.domain.tickets import OPEN_STATES, Status, Ticket, lapsed

Json = dict[str, Any]


def iso(ts: float | None, tz: tzinfo) -> str | None:
    """Epoch seconds as ISO-8601 with the branch's offset (millisecond precision)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz).isoformat(timespec="milliseconds")


def ticket(t: Ticket, config: BranchConfig, position: Position | None = None) -> Json:
    """A ticket as docs/api-v1.md describes it, plus this engine's extra fields (docs/api.md)."""
    tz = config.zone
    service = config.service(t.service)
    tier = config.tier(t.tier)
    body: Json = {
        "id": t.id,
        "number": t.number,
        "service": t.service,
        "service_name": service.name if service else t.service,
        "service_name_en": service.name_en if service else "",
        "tier": t.tier,
        "tier_name": (tier.name or tier.code) if tier else t.tier,
        "green_channel": t.green_channel,
        "status": t.status.value,
        "counter": t.counter,
        "issued_at": iso(t.issued_at, tz),
        "called_at": iso(t.called_at, tz),
        "started_at": iso(t.started_at, tz),
        "finished_at": iso(t.finished_at, tz),
        "ahead": position.ahead if position else None,
        "estimated_wait_s": position.estimated_wait_s if position else None,
        "origin_id": t.origin_id,
        "visit": t.visit,
        "teller": t.teller,
        "rating": t.rating,
        "call_count": t.call_count,
        "target_counter": t.target_counter,
        "public_url": public_page(t, config),
    }
    if t.remote_until is not None:  # taken from a phone
        body["remote_until"] = iso(t.remote_until, tz)
        body["checked_in_at"] = iso(t.checked_in_at, tz)
    return body


def public_page(t: Ticket, config: BranchConfig) -> str:
    """The live page the ticket's QR code opens: under the branch's public base address when
    it is set, else a path the kiosk joins to its own engine address."""
    return f"{config.branch.public_url}/t/{t.origin_id or t.id}"


def public_ticket(
    t: Ticket,
    config: BranchConfig,
    position: Position | None,
    today: str,
    queue: Json | None = None,
) -> Json:
    """What anyone holding the QR code may see: nothing that identifies the customer (no
    tier, card, teller or name). ``expired``: the ticket belongs to a business day that is
    over, so it can no longer be served; ``final``: its state can change no more; ``lapsed``:
    taken from a phone and never checked in in time. A remote ticket also shows until when it
    can be checked in, where its place in time will be, its check-in code (holding the id is
    holding the ticket) and, given ``queue``, its service's queue now."""
    service = config.service(t.service)
    expired = t.business_day < today
    counter = counter_ref(t.counter, config) if t.counter is not None else None
    out: Json = {
        "number": t.number,
        "service": t.service,
        "status": t.status.value,
        "ahead": position.ahead if position else None,
        "estimated_wait_s": position.estimated_wait_s if position else None,
        "counter": t.counter,
        "service_name": service.name if service else t.service,
        "service_name_en": service.name_en if service else "",
        "counter_name": counter["name"] if counter else None,
        "counter_name_en": counter["name_en"] if counter else None,
        "call_count": t.call_count,
        "business_day": t.business_day,
        "expired": expired,
        "final": expired or t.status not in OPEN_STATES,
        "branch": {
            "name": config.branch.name,
            "name_en": config.branch.name_en,
            "bank": config.branch.bank,
            "bank_en": config.branch.bank_en,
        },
        "lapsed": lapsed(t),
    }
    if t.status is Status.REMOTE:
        out["remote_until"] = iso(t.remote_until, config.zone)
        out["remote_place"] = config.remote.place
        out["check_in_code"] = t.check_in_code or ""
        if queue is not None:
            out["queue"] = {
                "waiting": queue["waiting"],
                "estimated_wait_s": queue["estimated_wait_s"],
            }
    return out


def counter_ref(number: int, config: BranchConfig) -> Json:
    c = config.counter(number)
    return {
        "number": number,
        "name": c.display_name if c else f"{number}号窗口",
        "name_en": (c.name_en if c and c.name_en else f"Counter {number}"),
    }


def queue(summary: dict[str, ServiceSummary]) -> Json:
    return {
        code: {"waiting": s.waiting, "estimated_wait_s": s.estimated_wait_s, "next": list(s.next)}
        for code, s in summary.items()
    }
