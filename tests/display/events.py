"""Engine events as the engine sends them (docs/api.md), for the display's pure tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

COUNTER_NAMES = {7: ("7号贵宾窗口", "VIP counter 7"), 8: ("8号爱心窗口", "Care counter 8")}
SERVICES = [
    {"code": "A", "name": "个人现金业务", "name_en": "Personal cash"},
    {"code": "B", "name": "个人非现金业务", "name_en": "Personal non-cash"},
    {"code": "V", "name": "贵宾业务", "name_en": "VIP banking"},
]


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def queue(**waiting: list[str]) -> dict[str, Any]:
    return {
        code: {"waiting": len(nums), "estimated_wait_s": 60 * len(nums), "next": nums[:5]}
        for code, nums in waiting.items()
    }


def ticket(
    number: str,
    *,
    tier: str = "normal",
    green: bool = False,
    count: int = 1,
    counter: int | None = None,
) -> dict[str, Any]:
    return {
        "id": f"id-{number}",
        "number": number,
        "service": number[0],
        "tier": tier,
        "green_channel": green,
        "call_count": count,
        "counter": counter,
    }


def called(
    seq: int,
    number: str,
    counter: int,
    at: float,
    *,
    recall: bool = False,
    q: dict[str, Any] | None = None,
    **kw: Any,
) -> dict[str, Any]:
    name, name_en = COUNTER_NAMES.get(counter, (f"{counter}号窗口", f"Counter {counter}"))
    return {
        "seq": seq,
        "type": "ticket.recalled" if recall else "ticket.called",
        "at": iso(at),
        "data": {
            "ticket": ticket(number, counter=counter, **kw),
            "queue": q or {},
            "counter": {"number": counter, "name": name, "name_en": name_en},
        },
    }


def ticket_event(
    seq: int, kind: str, number: str, at: float, q: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": f"ticket.{kind}",
        "at": iso(at),
        "data": {"ticket": ticket(number), "queue": q or {}},
    }


def snapshot(seq: int, at: float, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "branch": {"code": "0101", "name": "城东支行", "name_en": "Chengdong Sub-branch"},
        "counters": [],
        "queue": {},
        "last_calls": [],
        "announcements": [],
        "services": SERVICES,
    }
    data.update(extra)
    return {"seq": seq, "type": "snapshot", "at": iso(at), "data": data}
