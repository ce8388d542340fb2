"""Event-stream faults, for the tests and ``bench/reliability.py``: a display whose link is
down for a while, and a subscriber that stops reading among others that keep up."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field

import httpx
import websockets

from queue_core.client import events_url
from tests.reliability.load import Follower
from tests.reliability.proxy import Cable
from tests.support.engine import DISPLAY_TOKEN, LOBBY, RunningEngine

API = "/api/v1"


async def _lobby_headers(http: httpx.AsyncClient) -> dict[str, str]:
    r = await http.post(f"{API}/auth/login", json={"login": LOBBY[0], "pin": LOBBY[1]})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


@dataclass
class Outage:
    calls_made: list[str]
    calls_seen: list[str]
    seq_gaps: list[tuple[int, int]]
    snapshots: int
    catch_up_s: float
    offline_seen: bool


async def display_outage(engine: RunningEngine, seconds: float, calls: int) -> Outage:
    """A display follows the engine through a cable that is pulled for ``seconds`` while
    ``calls`` tickets are issued and called; then the cable is put back."""
    cable = await Cable("127.0.0.1", engine.port).start()
    follower = Follower(cable.url, DISPLAY_TOKEN)
    offline = False
    task = asyncio.create_task(follower.run())
    made: list[str] = []
    async with httpx.AsyncClient(base_url=engine.url, timeout=10) as http:
        headers = await _lobby_headers(http)
        await http.post(f"{API}/counters/1/open", headers=headers)
        while not follower.events:
            await asyncio.sleep(0.05)
        cable.cut()
        await asyncio.sleep(0.3)
        assert follower.stream is not None
        offline = not follower.stream.connected
        t_end = time.monotonic() + seconds
        for i in range(calls):
            await http.post(f"{API}/tickets", json={"service": "A"}, headers=headers)
            r = await http.post(f"{API}/counters/1/call-next", headers=headers)
            made.append(r.json()["id"])
            await http.post(f"{API}/counters/1/finish", headers=headers)
            await asyncio.sleep(max(0.0, (t_end - time.monotonic()) / (calls - i)))
        await asyncio.sleep(max(0.0, t_end - time.monotonic()))
        cable.restore()
        t0 = time.monotonic()
        while not set(made) <= set(follower.called_ids()):
            await asyncio.sleep(0.02)
            if time.monotonic() - t0 > 30:
                break
        catch_up = time.monotonic() - t0
    task.cancel()
    await cable.close()
    return Outage(
        made,
        follower.called_ids(),
        follower.gaps(),
        follower.snapshots(),
        catch_up,
        offline,
    )


@dataclass
class SlowReader:
    #: The close code the stalled reader found, if a close frame reached it at all: a reader
    #: whose buffers are full gets none, its connection is simply dropped.
    cut_code: int | None
    #: Whether the engine ended the stalled connection (close frame, FIN or reset).
    ended: bool
    events: int
    stalled_received: int
    fast_latency_ms: list[float] = field(default_factory=list)
    fast_missed: int = 0


def _stalled_socket(engine: RunningEngine) -> socket.socket:
    """An event stream opened by hand on a socket with a tiny receive buffer, never read."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    sock.connect(("127.0.0.1", engine.port))
    path = events_url(engine.url, DISPLAY_TOKEN, None).split(str(engine.port), 1)[1]
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{engine.port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


def _frames(data: bytes) -> tuple[int, int | None]:
    """Count the text frames after the HTTP handshake and find the close code, if any."""
    pos = data.index(b"\r\n\r\n") + 4
    texts, code = 0, None
    while pos + 2 <= len(data):
        opcode, length = data[pos] & 0x0F, data[pos + 1] & 0x7F
        pos += 2
        if length == 126:
            length, pos = int.from_bytes(data[pos : pos + 2], "big"), pos + 2
        elif length == 127:
            length, pos = int.from_bytes(data[pos : pos + 8], "big"), pos + 8
        payload = data[pos : pos + length]
        pos += length
        if opcode == 1:
            texts += 1
        elif opcode == 8 and len(payload) >= 2:
            code = int.from_bytes(payload[:2], "big")
    return texts, code


def _read_all(sock: socket.socket, timeout: float) -> tuple[bytes, bool]:
    """Read what the socket holds; say whether the peer ended the connection (rather than
    going quiet for ``timeout`` seconds with it still open)."""
    sock.settimeout(timeout)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except TimeoutError:
        return b"".join(chunks), False
    except ConnectionResetError:
        pass
    return b"".join(chunks), True


async def stalled_subscriber(
    engine: RunningEngine, events: int, fast: int, writers: int = 4
) -> SlowReader:
    """One subscriber stops reading while ``fast`` others keep reading; ``events`` long
    announcements are made. Returns how the stalled stream was closed and how late the others
    got each event."""
    sock = _stalled_socket(engine)
    url = events_url(engine.url, DISPLAY_TOKEN, None)
    sent_at: dict[int, float] = {}
    fast_latency: list[float] = []
    missed = 0
    filler = "请留意叫号" * 90

    async def keep_up() -> None:
        nonlocal missed
        async with websockets.connect(url, max_size=None) as ws:
            first = json.loads(await ws.recv())
            expected = first["seq"] + 1
            seen = 0
            while seen < events:
                event = json.loads(await ws.recv())
                if event["seq"] != expected:
                    missed += 1
                expected = event["seq"] + 1
                if event["type"] == "announcement":
                    n = int(event["data"]["text"].split(":", 1)[0])
                    fast_latency.append((time.perf_counter() - sent_at[n]) * 1000)
                    seen += 1

    readers = [asyncio.create_task(keep_up()) for _ in range(fast)]
    await asyncio.sleep(0.5)
    todo = iter(range(events))
    async with httpx.AsyncClient(base_url=engine.url, timeout=30) as http:
        headers = await _lobby_headers(http)

        async def write() -> None:
            for n in todo:
                sent_at[n] = time.perf_counter()
                body = {"text": f"{n}:{filler}"}
                r = await http.post(f"{API}/announcements", json=body, headers=headers)
                assert r.status_code == 201, r.text

        await asyncio.gather(*(write() for _ in range(writers)))
    await asyncio.wait_for(asyncio.gather(*readers), 60)
    data, ended = await asyncio.to_thread(_read_all, sock, 3.0)
    texts, code = _frames(data)
    sock.close()
    return SlowReader(code, ended, events, texts, fast_latency, missed)
