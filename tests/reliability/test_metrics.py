"""``/metrics``: the branch's figures as Prometheus reads them, and who may read them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import websockets
from prometheus_client.parser import text_string_to_metric_families

from queue_core.client import EngineClient, events_url
from tests.support.engine import DISPLAY_TOKEN, KIOSK_TOKEN, LOBBY, RunningEngine


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _value(
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= ls]
    assert found, f"no sample {name} {labels}"
    return sum(found)


def test_metrics_count_tickets_waits_devices_subscribers_and_calls(engine: RunningEngine) -> None:
    lobby = EngineClient(engine.url)
    lobby.login(*LOBBY)
    for service in ("A", "A", "A", "B"):
        lobby.issue(service)
    EngineClient(engine.url, KIOSK_TOKEN).report_health("error", {"paper": "out"})

    async def with_display() -> str:
        async with websockets.connect(events_url(engine.url, DISPLAY_TOKEN, None)) as ws:
            await ws.recv()
            await asyncio.to_thread(lobby.counter_action, 1, "open")
            await asyncio.to_thread(lobby.call_next, 1)
            while '"ticket.called"' not in str(await asyncio.wait_for(ws.recv(), 10)):
                pass
            r = await asyncio.to_thread(httpx.get, f"{engine.url}/metrics")
            return r.text

    samples = _samples(asyncio.run(with_display()))
    assert _value(samples, "branchq_store_up") == 1
    assert _value(samples, "branchq_tickets_issued_today", service="A") == 3
    assert _value(samples, "branchq_tickets_issued_today", service="C") == 0
    assert _value(samples, "branchq_waiting", service="A") == 2
    assert _value(samples, "branchq_tickets_today", service="A", status="called") == 1
    assert _value(samples, "branchq_oldest_waiting_seconds", service="B") >= 0
    assert _value(samples, "branchq_subscribers", role="display") == 1
    assert _value(samples, "branchq_device_status", device="kiosk-1", status="error") == 1
    assert _value(samples, "branchq_device_ok", device="kiosk-1") == 0
    assert _value(samples, "branchq_device_connected", device="hall-display") == 1
    assert _value(samples, "branchq_call_latency_seconds_count") == 1
    assert _value(samples, "branchq_event_seq") > 0


def test_metrics_are_for_this_machine_or_the_token_holder(tmp_path: Path) -> None:
    engine = RunningEngine(workdir=tmp_path).start()
    try:
        proxied = httpx.get(f"{engine.url}/metrics", headers={"X-Forwarded-For": "10.0.0.9"})
        assert proxied.status_code == 403
        assert proxied.json()["error"]["code"] == "forbidden"
    finally:
        engine.stop()
    secured = RunningEngine(
        workdir=tmp_path, port=engine.port, env={"BRANCHQ_METRICS_TOKEN": "m3tr1cs-s3cret"}
    ).start()
    try:
        assert httpx.get(f"{secured.url}/metrics").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(f"{secured.url}/metrics", headers=wrong).status_code == 401
        right = {"Authorization": "Bearer m3tr1cs-s3cret"}
        assert httpx.get(f"{secured.url}/metrics", headers=right).status_code == 200
    finally:
        secured.stop()
