"""The websocket event stream: snapshot, live events, replay by seq, across restarts."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets

from queue_core.api.app import WORKER_HEADER
from queue_core.client import EventStream, events_url
from queue_core.wire import News, Snapshot, TicketNews
from tests.api.helpers import kiosk, lobby, teller
from tests.support.engine import DISPLAY_TOKEN, RunningEngine


async def _read(ws: Any, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    return [json.loads(await asyncio.wait_for(ws.recv(), timeout)) for _ in range(n)]


def test_snapshot_then_live_events_in_order(any_engine: RunningEngine) -> None:
    async def scenario() -> None:
        url = events_url(any_engine.url, DISPLAY_TOKEN, None)
        async with websockets.connect(url) as ws:
            (snap,) = await _read(ws, 1)
            assert snap["type"] == "snapshot"
            assert snap["data"]["branch"]["name"] == "城东支行"
            assert {c["number"] for c in snap["data"]["counters"]} == set(range(1, 9))
            t3 = await asyncio.to_thread(teller, any_engine, 3)
            issued = await asyncio.to_thread(kiosk(any_engine).issue, "A")
            await asyncio.to_thread(t3.call_next, 3)
            events = await _read(ws, 4)
        types = [e["type"] for e in events]
        assert types == ["counter.updated", "ticket.issued", "ticket.called", "counter.updated"]
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4 and seqs[0] > snap["seq"]
        called = events[2]["data"]
        assert called["ticket"]["number"] == issued["number"]
        assert called["counter"] == {"number": 3, "name": "3号窗口", "name_en": "Counter 3"}
        assert events[1]["data"]["queue"]["A"]["next"] == [issued["number"]]
        assert called["queue"]["A"]["waiting"] == 0

    asyncio.run(scenario())


def test_replay_since_seq_sends_exactly_the_missed_events(engine: RunningEngine) -> None:
    k = kiosk(engine)
    k.issue("A")

    async def first_seq() -> int:
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, None)) as ws:
            return int((await _read(ws, 1))[0]["seq"])

    since = asyncio.run(first_seq())
    for _ in range(3):
        k.issue("B")

    async def replay() -> list[dict[str, Any]]:
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, since)) as ws:
            return await _read(ws, 3)

    missed = asyncio.run(replay())
    assert [e["seq"] for e in missed] == [since + 1, since + 2, since + 3]
    assert [e["data"]["ticket"]["number"] for e in missed] == ["B001", "B002", "B003"]


def test_bad_token_is_refused(engine: RunningEngine) -> None:
    async def connect() -> None:
        async with websockets.connect(events_url(engine.url, "wrong", None)):
            pass

    with pytest.raises(websockets.InvalidStatus) as info:
        asyncio.run(connect())
    assert info.value.response.status_code == 401
    httpx.get(f"{engine.url}/healthz", timeout=10)  # the refusal's log lines are out by now
    log = engine.log_path.read_text()
    assert "401" in log and "ERROR" not in log  # a refused token is not an engine error


def test_client_stream_survives_engine_restart_without_losing_events(
    engine: RunningEngine,
) -> None:
    async def scenario() -> list[News]:
        stream = EventStream(engine.url, DISPLAY_TOKEN, min_backoff=0.1, max_backoff=0.5)
        got: list[News] = []

        def issued() -> list[str]:
            return [
                e.ticket["number"] for e in got if isinstance(e, TicketNews) and e.kind == "issued"
            ]

        async def follow() -> None:
            async for news in stream:
                got.append(news)
                if len(issued()) == 4:
                    return

        task = asyncio.create_task(follow())
        await asyncio.sleep(0.5)
        await asyncio.to_thread(kiosk(engine).issue, "A")
        await asyncio.sleep(0.3)
        await asyncio.to_thread(engine.stop)
        await asyncio.sleep(0.5)
        assert not stream.connected
        await asyncio.to_thread(engine.start)
        # Issued while the client is still reconnecting: it must get them by replay.
        await asyncio.to_thread(kiosk(engine).issue, "A")
        await asyncio.to_thread(kiosk(engine).issue, "A")
        await asyncio.to_thread(lobby(engine).issue, "A")
        await asyncio.wait_for(task, 15)
        return got

    got = asyncio.run(scenario())
    issued = [e.ticket["number"] for e in got if isinstance(e, TicketNews) and e.kind == "issued"]
    assert issued == ["A001", "A002", "A003", "A004"]
    seqs = [e.seq for e in got if not isinstance(e, Snapshot)]
    assert seqs == sorted(set(seqs))


def test_teller_asks_for_a_rating_on_the_tablet(engine: RunningEngine) -> None:
    async def scenario() -> dict[str, Any]:
        url = events_url(engine.url, DISPLAY_TOKEN, None)
        async with websockets.connect(url) as ws:
            await _read(ws, 1)
            t3 = await asyncio.to_thread(teller, engine, 3)
            await asyncio.to_thread(kiosk(engine).issue, "A")
            await asyncio.to_thread(t3.call_next, 3)
            await asyncio.to_thread(t3.counter_action, 3, "finish")
            await asyncio.to_thread(t3.counter_action, 3, "rating-request")
            for _ in range(10):
                (event,) = await _read(ws, 1)
                if event["type"] == "ticket.rating_requested":
                    return dict(event["data"])
        raise AssertionError("no rating request event")

    data = asyncio.run(scenario())
    assert data["ticket"]["number"] == "A001" and data["ticket"]["status"] == "finished"
    assert data["counter"]["number"] == 3
    err = None
    try:
        teller(engine, 4).counter_action(4, "rating-request")
    except Exception as exc:
        err = exc
    assert getattr(err, "code", None) == "nothing_to_rate"


@pytest.mark.parametrize("since", ["abc", "-1", str(2**64)])
def test_a_bad_since_is_refused_with_422(engine: RunningEngine, since: str) -> None:
    async def connect() -> None:
        url = f"{events_url(engine.url, DISPLAY_TOKEN, None)}&since={since}"
        async with websockets.connect(url):
            pass

    with pytest.raises(websockets.InvalidStatus) as info:
        asyncio.run(connect())
    assert info.value.response.status_code == 422


def test_the_handshake_and_every_answer_name_the_worker_holding_the_connection(
    engine: RunningEngine,
) -> None:
    async def handshake() -> str:
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, None)) as ws:
            assert ws.response is not None
            return ws.response.headers[WORKER_HEADER]

    worker = asyncio.run(handshake())
    answer = httpx.get(f"{engine.url}/api/v1/services", timeout=10)
    metrics = httpx.get(f"{engine.url}/metrics", timeout=10).text
    assert answer.status_code == 401 and answer.headers[WORKER_HEADER] == worker
    assert f'branchq_events_delivered_total{{worker="{worker}"}}' in metrics
