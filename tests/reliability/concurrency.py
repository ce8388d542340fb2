"""Many counters pressing call-next at once, for the test and ``bench/reliability.py calls``."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from tests.support.engine import LOBBY, RunningEngine

API = "/api/v1"


@dataclass
class CallRace:
    calls: int
    duplicates: list[str]
    uncalled: int
    seconds: float
    errors: dict[str, int]

    @property
    def per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


def _token(url: str) -> str:
    r = httpx.post(f"{url}{API}/auth/login", json={"login": LOBBY[0], "pin": LOBBY[1]}, timeout=10)
    r.raise_for_status()
    return str(r.json()["token"])


def issue_many(engine: RunningEngine, total: int, threads: int = 4) -> list[str]:
    """Issue ``total`` tickets (lobby, no kiosk rate limit); returns their ids."""
    token = _token(engine.url)
    ids: list[str] = []
    lock = threading.Lock()
    todo = iter(range(total))
    services = "ABCDV"

    def work() -> None:
        with httpx.Client(base_url=engine.url, timeout=30) as http:
            headers = {"Authorization": f"Bearer {token}"}
            for i in todo:
                r = http.post(f"{API}/tickets", json={"service": services[i % 5]}, headers=headers)
                assert r.status_code == 201, r.text
                with lock:
                    ids.append(r.json()["id"])

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return ids


def race(engine: RunningEngine, counters: list[int], issued: list[str]) -> CallRace:
    """Every counter calls next and finishes, all at once, until nobody waits."""
    token = _token(engine.url)
    called: list[str] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    gate = threading.Barrier(len(counters))

    def counter_loop(n: int) -> None:
        with httpx.Client(base_url=engine.url, timeout=30) as http:
            headers = {"Authorization": f"Bearer {token}"}
            http.post(f"{API}/counters/{n}/open", headers=headers)
            gate.wait()
            while True:
                r = http.post(f"{API}/counters/{n}/call-next", headers=headers)
                if r.status_code == 204:
                    return
                if r.status_code != 200:
                    with lock:
                        errors[r.json()["error"]["code"]] += 1
                    continue
                with lock:
                    called.append(r.json()["id"])
                http.post(f"{API}/counters/{n}/finish", headers=headers)

    pool = [threading.Thread(target=counter_loop, args=(n,)) for n in counters]
    t0 = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.perf_counter() - t0
    counts = Counter(called)
    return CallRace(
        calls=len(called),
        duplicates=sorted(i for i, c in counts.items() if c > 1),
        uncalled=len(set(issued) - set(called)),
        seconds=seconds,
        errors=dict(errors),
    )
