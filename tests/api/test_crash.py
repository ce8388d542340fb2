"""kill -9 of the engine: what was acknowledged is there, numbering and seq go on."""

from __future__ import annotations

from tests.api.helpers import kiosk, lobby
from tests.support.engine import RunningEngine


def test_acknowledged_tickets_survive_kill_9(any_engine: RunningEngine) -> None:
    k = kiosk(any_engine)
    lb = lobby(any_engine)
    acknowledged = [lb.issue("A")["id"] for _ in range(5)] + [k.issue("B")["id"]]
    seq_before = any_engine_last_seq(any_engine)
    any_engine.stop(kill=True)
    any_engine.start()
    lb = lobby(any_engine)
    for ticket_id in acknowledged:
        assert lb.ticket(ticket_id)["status"] == "waiting"
    after = lb.issue("A")
    assert after["number"] == "A006"  # numbering goes on, nothing repeats
    assert any_engine_last_seq(any_engine) == seq_before + 1


def any_engine_last_seq(engine: RunningEngine) -> int:
    import asyncio
    import json

    import websockets

    from queue_core.client import events_url
    from tests.support.engine import DISPLAY_TOKEN

    async def read() -> int:
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, None)) as ws:
            return int(json.loads(await ws.recv())["seq"])

    return asyncio.run(read())
