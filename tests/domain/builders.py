"""Ticket builders for domain tests."""

from __future__ import annotations

from dataclasses import replace

from queue_core.domain.tickets import Status, Ticket


def ticket(
    number: str = "A001",
    service: str = "A",
    at: float = 0.0,
    rank: int = 0,
    green: bool = False,
    **more: object,
) -> Ticket:
    base = Ticket(
        id=f"id-{number}-{at}",
        number=number,
        service=service,
        tier="normal" if rank == 0 else f"rank{rank}",
        tier_rank=rank,
        green_channel=green,
        status=Status.WAITING,
        issued_at=at,
        queued_at=at,
        business_day="2026-11-13",
    )
    return replace(base, **more)  # type: ignore[arg-type]
