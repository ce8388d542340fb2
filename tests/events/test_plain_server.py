"""The event stream on a plain ASGI server (uvicorn's own websocket protocol, without the
engine's direct frames): events go through the queued sink, in order."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from queue_core.api.app import create_app
from queue_core.client import events_url
from queue_core.config import load_config
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN
from tests.support.in_process import serve_in_thread


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[str]:
    app = create_app(load_config(None), f"sqlite:///{tmp_path / 'branchq.db'}", b"k" * 32)
    with serve_in_thread(app) as (url, _):
        yield url


def test_events_reach_a_stream_without_direct_frames(plain_server: str) -> None:
    async def run() -> list[str]:
        async with websockets.connect(events_url(plain_server, DISPLAY_TOKEN, None)) as ws:
            assert json.loads(await ws.recv())["type"] == "snapshot"
            async with httpx.AsyncClient(base_url=plain_server, timeout=10) as http:
                for _ in range(3):
                    r = await http.post(
                        "/api/v1/tickets",
                        json={"service": "A"},
                        headers={"Authorization": f"Bearer {KIOSK_TOKEN}"},
                    )
                    assert r.status_code == 201
            got = []
            while len(got) < 3:
                event = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if event["type"] == "ticket.issued":
                    got.append(event["data"]["ticket"]["number"])
            return got

    assert asyncio.run(run()) == ["A001", "A002", "A003"]
