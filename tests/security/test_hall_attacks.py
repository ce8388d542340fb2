"""What someone standing in the public hall can try, against a real engine: half-open requests
held for ever (slowloris), a token hidden in a percent-encoded query name, a NUL byte in a
static path, an event stream kept after its teller logged out."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from fastapi import FastAPI

from queue_core.api.app import SECURITY_HEADERS, create_app, redact
from queue_core.client import events_url
from queue_core.config import load_config
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN, TELLERS, RunningEngine

API = "/api/v1"


@pytest.fixture(scope="module")
def hall_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    """One engine for the module, with a short deadline for reading a request."""
    engine = RunningEngine(
        workdir=tmp_path_factory.mktemp("hall"), extra_args=["--request-timeout", "1"]
    ).start()
    try:
        yield engine
    finally:
        engine.stop()


def _closed_by_peer(sock: socket.socket) -> bool:
    try:
        return sock.recv(1024) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True


def test_half_open_requests_are_dropped_and_the_engine_keeps_answering(
    hall_engine: RunningEngine,
) -> None:
    socks = []
    for i in range(60):
        sock = socket.create_connection(("127.0.0.1", hall_engine.port))
        if i % 2:  # half of them send part of a request, the others nothing at all
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: hall\r\nX-Slow: a")
        sock.setblocking(False)
        socks.append(sock)
    try:
        assert httpx.get(f"{hall_engine.url}/healthz", timeout=10).status_code == 200
        open_ones = list(socks)
        deadline = time.monotonic() + 60  # a bound for a loaded machine, not a timing claim
        while open_ones and time.monotonic() < deadline:
            open_ones = [s for s in open_ones if not _closed_by_peer(s)]
            time.sleep(0.1)
        assert open_ones == [], f"{len(open_ones)} half-open connections still held"
        assert httpx.get(f"{hall_engine.url}/healthz", timeout=10).status_code == 200
    finally:
        for sock in socks:
            sock.close()


def test_a_token_in_a_percent_encoded_query_name_is_redacted_in_the_log(
    hall_engine: RunningEngine,
) -> None:
    url = events_url(hall_engine.url, DISPLAY_TOKEN, None).replace("token=", "tok%65n=")

    async def stream() -> str:
        async with websockets.connect(url) as ws:
            return str(await ws.recv())

    assert '"type":"snapshot"' in asyncio.run(stream())  # the engine read it as the token
    httpx.get(f"{hall_engine.url}{API}/services?%74oken={DISPLAY_TOKEN}", timeout=10)
    log = hall_engine.log_path.read_text(encoding="utf-8", errors="replace")
    assert "tok%65n=[redacted]" in log
    assert DISPLAY_TOKEN not in log


def test_redaction_goes_by_the_decoded_parameter_name() -> None:
    line = '"GET /api/v1/events?since=3&T%6Fken=s3cret&x=1 HTTP/1.1" Bearer abc.def'
    assert (
        redact(line)
        == '"GET /api/v1/events?since=3&T%6Fken=[redacted]&x=1 HTTP/1.1" Bearer [redacted]'
    )
    assert redact("/x?pin=1234&tokens=keep") == "/x?pin=[redacted]&tokens=keep"


def test_a_nul_byte_in_a_static_path_is_a_plain_404(hall_engine: RunningEngine) -> None:
    for path in ("/ui/%00", "/ui/js/api.js%00", "/ui/js/%00api.js"):
        r = httpx.get(f"{hall_engine.url}{path}", timeout=10)
        assert r.status_code == 404, path
        assert r.headers["x-content-type-options"] == "nosniff"
    log = hall_engine.log_path.read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in log and "null byte" not in log


def test_an_unexpected_error_answers_with_the_security_headers(tmp_path: Path) -> None:
    app = create_app(load_config(None), f"sqlite:///{tmp_path / 'b.db'}", b"k" * 32)
    assert isinstance(app, FastAPI)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("a defect")

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://engine") as http:
            return await http.get("/api/v1/boom")

    try:
        r = asyncio.run(call())
    finally:
        app.state.store.dispose()
    assert r.status_code == 500
    assert r.json()["error"]["code"] == "internal_error"
    for name, value in SECURITY_HEADERS.items():
        assert r.headers[name] == value
    assert r.headers["cache-control"] == "no-store"


def test_an_event_stream_ends_when_its_teller_logs_out(hall_engine: RunningEngine) -> None:
    token = hall_engine.login(*TELLERS[4], 4)

    async def run() -> int | None:
        async with websockets.connect(events_url(hall_engine.url, token, None)) as ws:
            await ws.recv()  # the snapshot: the stream is open
            r = await asyncio.to_thread(
                httpx.post,
                f"{hall_engine.url}{API}/auth/logout",
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert r.status_code == 200
            try:
                async with asyncio.timeout(30):
                    async for _ in ws:
                        pass
            except websockets.ConnectionClosed:
                pass
            return ws.close_code

    assert asyncio.run(run()) == 4001


def test_a_huge_body_is_refused_before_it_is_read(hall_engine: RunningEngine) -> None:
    url = f"{hall_engine.url}{API}/devices/health"
    kiosk = {"Authorization": f"Bearer {KIOSK_TOKEN}"}
    huge = {"status": "ok", "detail": {"x": "y" * 5_000_000}}
    r = httpx.post(url, json=huge, headers=kiosk, timeout=30)
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
        yield b'{"status": "ok", "detail": {"x": "'
        for _ in range(200):
            yield b"y" * 1000
        yield b'"}}'

    r = httpx.post(url, content=chunks(), headers={**kiosk, "Content-Type": "application/json"})
    assert r.status_code == 413
    small = httpx.post(url, json={"status": "ok", "detail": {"paper": "ok"}}, headers=kiosk)
    assert small.status_code == 200
