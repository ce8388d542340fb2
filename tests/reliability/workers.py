"""Several engine workers behind one port: who is subscribed where, and what each saw.

Every answer of the engine names the worker process that gave it (``X-BranchQ-Worker``, on HTTP
answers and on the websocket handshake), so the subscribers and the calls are placed on known
workers instead of counting on how the kernel spreads connections over them."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from queue_core.api.app import WORKER_HEADER
from queue_core.client import events_url
from tests.support.engine import DISPLAY_TOKEN, LOBBY, RunningEngine

API = "/api/v1"

#: New connections tried before giving up on reaching a worker: the kernel hands each one to
#: whichever worker accepts first, so reaching a given one can take a few tries.
ATTEMPTS = 400


@dataclass
class FanOut:
    sent: list[str]
    received: list[list[str]] = field(default_factory=list)
    seqs: list[list[int]] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    #: worker id → subscribers it held (each subscriber read its worker from the handshake)
    workers: dict[str, int] = field(default_factory=dict)
    #: worker id → calls it answered (read from the call-next answer)
    calls_by_worker: dict[str, int] = field(default_factory=dict)


def wait_for_workers(engine: RunningEngine, workers: int, timeout: float = 60.0) -> set[str]:
    """Ask ``/healthz`` on fresh connections until ``workers`` distinct processes answered:
    ``/healthz`` answers as soon as the first worker is up, the others may still be starting."""
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers and time.monotonic() < deadline:
        r = httpx.get(f"{engine.url}/healthz", timeout=10, headers={"Connection": "close"})
        seen.add(r.headers[WORKER_HEADER])
        time.sleep(0.02)
    return seen


async def subscribe_on_each(
    url: str, workers: set[str], per_worker: int
) -> dict[str, list[tuple[ClientConnection, dict[str, Any]]]]:
    """``per_worker`` event streams held by each of ``workers``, with the first message each
    received; a new connection that lands on a worker already full is closed again."""
    held: dict[str, list[tuple[ClientConnection, dict[str, Any]]]] = {w: [] for w in workers}
    for _ in range(ATTEMPTS):
        if all(len(streams) >= per_worker for streams in held.values()):
            return held
        ws = await websockets.connect(url, max_size=None)
        worker = ws.response.headers[WORKER_HEADER] if ws.response else ""
        first = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if len(held.setdefault(worker, [])) < per_worker:
            held[worker].append((ws, first))
        else:
            await ws.close()
    counts = {w: len(s) for w, s in held.items()}
    raise AssertionError(f"no {per_worker} streams on every worker in {ATTEMPTS} tries: {counts}")


async def client_on(
    engine: RunningEngine, worker: str, headers: dict[str, str]
) -> httpx.AsyncClient:
    """An HTTP client whose one kept-alive connection is held by ``worker``."""
    for _ in range(ATTEMPTS):
        http = httpx.AsyncClient(
            base_url=engine.url, timeout=10, headers=headers, limits=httpx.Limits(max_connections=1)
        )
        if (await http.get("/healthz")).headers[WORKER_HEADER] == worker:
            return http
        await http.aclose()
    raise AssertionError(f"worker {worker} took none of {ATTEMPTS} new connections")


async def fan_out(engine: RunningEngine, workers: set[str], subscribers: int, calls: int) -> FanOut:
    """``subscribers`` display streams spread evenly over the engine's workers, and ``calls``
    tickets issued and called on each worker in turn; returns what every stream saw, where
    each stream and each call was, and each call's latency to the last stream that got it.

    ``workers``: the engine's worker ids, as ``wait_for_workers`` found them."""
    order = sorted(workers)
    url = events_url(engine.url, DISPLAY_TOKEN, None)
    result = FanOut(sent=[])
    seen_at: dict[str, list[float]] = {}
    held = await subscribe_on_each(url, workers, -(-subscribers // len(order)))
    result.workers = {w: len(streams) for w, streams in held.items()}

    async def follow(ws: ClientConnection, first: dict[str, Any]) -> None:
        numbers: list[str] = []
        seqs: list[int] = [first["seq"]]
        result.received.append(numbers)
        result.seqs.append(seqs)
        async with ws:
            while len(numbers) < calls:
                event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                seqs.append(event["seq"])
                if event["type"] == "ticket.called":
                    number = event["data"]["ticket"]["number"]
                    numbers.append(number)
                    seen_at.setdefault(number, []).append(time.perf_counter())

    tasks = [asyncio.create_task(follow(*s)) for streams in held.values() for s in streams]
    login = {"login": LOBBY[0], "pin": LOBBY[1]}
    async with httpx.AsyncClient(base_url=engine.url, timeout=10) as http:
        token = (await http.post(f"{API}/auth/login", json=login)).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    clients = {w: await client_on(engine, w, headers) for w in order}
    sent_at: dict[str, float] = {}
    try:
        await clients[order[0]].post(f"{API}/counters/1/open")
        for i in range(calls):
            worker = order[i % len(order)]
            http = clients[worker]
            if (await http.get("/healthz")).headers[WORKER_HEADER] != worker:
                # The kept-alive connection was dropped and came back elsewhere: find it again.
                await http.aclose()
                http = clients[worker] = await client_on(engine, worker, headers)
            await http.post(f"{API}/tickets", json={"service": "A"})
            t0 = time.perf_counter()
            r = await http.post(f"{API}/counters/1/call-next")
            number = r.json()["number"]
            sent_at[number] = t0
            result.sent.append(number)
            answered = r.headers[WORKER_HEADER]
            result.calls_by_worker[answered] = result.calls_by_worker.get(answered, 0) + 1
            await http.post(f"{API}/counters/1/finish")
    finally:
        for http in clients.values():
            await http.aclose()
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    for number, t0 in sent_at.items():
        result.latency_ms.append((max(seen_at[number]) - t0) * 1000)
    return result
