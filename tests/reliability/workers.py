"""Several engine workers behind one port: who is subscribed where, and what each saw."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field

import httpx
import websockets

from queue_core.client import events_url
from tests.support.engine import DISPLAY_TOKEN, LOBBY, RunningEngine

API = "/api/v1"


def subscribers_by_worker(engine: RunningEngine, scrapes: int = 12) -> dict[str, int]:
    """Scrape ``/metrics`` on fresh connections (each may land on another worker) and read
    every worker's count of open display streams."""
    found: dict[str, int] = {}
    pattern = re.compile(r'^branchq_subscribers\{role="display",worker="(\d+)"\} (\S+)$', re.M)
    for _ in range(scrapes):
        text = httpx.get(f"{engine.url}/metrics", timeout=10).text
        for worker, count in pattern.findall(text):
            found[worker] = int(float(count))
    return found


@dataclass
class FanOut:
    sent: list[str]
    received: list[list[str]] = field(default_factory=list)
    seqs: list[list[int]] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    workers: dict[str, int] = field(default_factory=dict)


def wait_for_workers(engine: RunningEngine, workers: int, timeout: float = 60.0) -> set[str]:
    """Scrape ``/metrics`` on fresh connections until ``workers`` distinct processes answered:
    ``/healthz`` answers as soon as the first worker is up, the others may still be starting."""
    pattern = re.compile(r'^branchq_events_delivered_total\{worker="(\d+)"\}', re.M)
    seen: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers and time.monotonic() < deadline:
        text = httpx.get(f"{engine.url}/metrics", timeout=10, headers={"Connection": "close"})
        seen.update(pattern.findall(text.text))
        time.sleep(0.05)
    return seen


async def fan_out(engine: RunningEngine, subscribers: int, calls: int) -> FanOut:
    """``subscribers`` display streams; ``calls`` tickets issued and called, each request on a
    new connection; returns what every stream saw and each call's latency to the last one."""
    url = events_url(engine.url, DISPLAY_TOKEN, None)
    result = FanOut(sent=[])
    seen_at: dict[str, list[float]] = {}
    ready = asyncio.Event()
    opened = 0

    async def follow(i: int) -> None:
        nonlocal opened
        numbers: list[str] = []
        seqs: list[int] = []
        result.received.append(numbers)
        result.seqs.append(seqs)
        async with websockets.connect(url, max_size=None) as ws:
            first = json.loads(await ws.recv())
            seqs.append(first["seq"])
            opened += 1
            if opened == subscribers:
                ready.set()
            while len(numbers) < calls:
                event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                seqs.append(event["seq"])
                if event["type"] == "ticket.called":
                    number = event["data"]["ticket"]["number"]
                    numbers.append(number)
                    seen_at.setdefault(number, []).append(time.perf_counter())

    tasks = [asyncio.create_task(follow(i)) for i in range(subscribers)]
    await asyncio.wait_for(ready.wait(), 30)
    result.workers = await asyncio.to_thread(subscribers_by_worker, engine)
    login = {"login": LOBBY[0], "pin": LOBBY[1]}
    async with httpx.AsyncClient(base_url=engine.url, timeout=10) as http:
        token = (await http.post(f"{API}/auth/login", json=login)).json()["token"]
    headers = {"Authorization": f"Bearer {token}", "Connection": "close"}
    sent_at: dict[str, float] = {}
    async with httpx.AsyncClient(base_url=engine.url, timeout=10, headers=headers) as http:
        await http.post(f"{API}/counters/1/open")
        for _ in range(calls):
            await http.post(f"{API}/tickets", json={"service": "A"})
            t0 = time.perf_counter()
            r = await http.post(f"{API}/counters/1/call-next")
            number = r.json()["number"]
            sent_at[number] = t0
            result.sent.append(number)
            await http.post(f"{API}/counters/1/finish")
    await asyncio.wait_for(asyncio.gather(*tasks), 60)
    for number, t0 in sent_at.items():
        result.latency_ms.append((max(seen_at[number]) - t0) * 1000)
    return result
