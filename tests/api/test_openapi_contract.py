"""The engine answers as its OpenAPI document says (what schemathesis' conformance checks
found): a 405 names the allowed methods, a day or a time is only accepted written out, the
CSV export is declared as CSV."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.engine import LOBBY, RunningEngine

API = "/api/v1"


@pytest.fixture(scope="module")
def contract_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningEngine]:
    engine = RunningEngine(workdir=tmp_path_factory.mktemp("contract")).start()
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="module")
def lobby_headers(contract_engine: RunningEngine) -> dict[str, str]:
    return {"Authorization": f"Bearer {contract_engine.login(*LOBBY)}"}


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", f"{API}/tickets", {"GET", "POST"}),
        ("TRACE", "/healthz", {"GET"}),
        ("PUT", f"{API}/counters/3/call-next", {"POST"}),
    ],
)
def test_a_method_the_path_does_not_take_is_405_with_the_allowed_methods(
    contract_engine: RunningEngine,
    lobby_headers: dict[str, str],
    method: str,
    path: str,
    allowed: set[str],
) -> None:
    r = httpx.request(method, contract_engine.url + path, headers=lobby_headers)
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method_not_allowed"
    assert {m.strip() for m in r.headers["allow"].split(",")} == allowed


@pytest.mark.parametrize("path", ["/tickets", "/stats/daily", "/stats/daily.csv"])
@pytest.mark.parametrize("day", ["0", "1764547200", "2026-1-5", "2026-02-30"])
def test_a_day_that_is_not_written_as_yyyy_mm_dd_is_refused(
    contract_engine: RunningEngine, lobby_headers: dict[str, str], path: str, day: str
) -> None:
    r = httpx.get(f"{contract_engine.url}{API}{path}", params={"date": day}, headers=lobby_headers)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    assert "date" in r.json()["error"]["message"]


def test_a_day_written_out_is_answered(
    contract_engine: RunningEngine, lobby_headers: dict[str, str]
) -> None:
    url = f"{contract_engine.url}{API}/stats/daily"
    r = httpx.get(url, params={"date": "2026-12-01"}, headers=lobby_headers)
    assert r.status_code == 200 and r.json()["date"] == "2026-12-01"


@pytest.mark.parametrize("until", [0, 1764547200, "0", "2026-12-01"])
def test_an_announcement_end_that_is_not_a_written_time_is_refused(
    contract_engine: RunningEngine, lobby_headers: dict[str, str], until: object
) -> None:
    url = f"{contract_engine.url}{API}/announcements"
    r = httpx.post(url, json={"text": "系统维护", "until": until}, headers=lobby_headers)
    assert r.status_code == 422, r.text
    assert "until" in r.json()["error"]["message"]
    assert all(a["text"] != "系统维护" for a in httpx.get(url, headers=lobby_headers).json())


def test_the_csv_export_is_declared_as_csv_and_served_as_csv(
    contract_engine: RunningEngine, lobby_headers: dict[str, str]
) -> None:
    document = httpx.get(f"{contract_engine.url}/openapi.json").json()
    ok = document["paths"][f"{API}/stats/daily.csv"]["get"]["responses"]["200"]
    assert set(ok["content"]) == {"text/csv"}
    r = httpx.get(f"{contract_engine.url}{API}/stats/daily.csv", headers=lobby_headers)
    assert r.headers["content-type"].startswith("text/csv")
