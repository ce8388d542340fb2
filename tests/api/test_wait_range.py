"""The wait as a range on the wire ("约 8–12 分钟"): on every waiting ticket, its public page and
the services, in whole minutes around the estimate; learnt from the day's calls, and the same
after a restart."""

from __future__ import annotations

from pathlib import Path

from queue_core.client import EngineClient
from tests.support.clocked import Clock, ClockedEngine, at
from tests.support.engine import LOBBY, TELLERS


def client(branch: ClockedEngine, login: str, pin: str, counter: int | None = None) -> EngineClient:
    # A busy machine is slow, not wrong: give each request time.
    c = EngineClient(branch.url, timeout=60.0)
    c.login(login, pin, counter)
    return c


def test_tickets_services_and_the_public_page_carry_the_range_learnt_from_the_calls(
    tmp_path: Path,
) -> None:
    branch = ClockedEngine(tmp_path, Clock(at("2026-12-14 10:00"))).start()
    try:
        desk, teller = client(branch, *LOBBY), client(branch, *TELLERS[1], 1)
        teller.counter_action(1, "open")
        issued = [desk.issue("A") for _ in range(8)]
        for t in issued[1:]:
            low, high = t["estimated_wait_range_s"]
            assert low % 60 == 0 and high % 60 == 0 and low < high
            assert low <= t["estimated_wait_s"] <= high
        public = desk.public_ticket(issued[-1]["id"])
        assert public["estimated_wait_range_s"] == issued[-1]["estimated_wait_range_s"]
        (a,) = [s for s in desk.services() if s["code"] == "A"]
        assert (
            a["estimated_wait_range_s"][0]
            <= a["estimated_wait_s"]
            <= a["estimated_wait_range_s"][1]
        )

        # The customers wait far longer than they were told: the range learns to reach higher.
        last = issued[-1]
        before = desk.ticket(last["id"])["estimated_wait_range_s"]
        minute = 10
        for _ in range(5):
            minute += 12
            branch.clock.set(f"2026-12-14 {10 + minute // 60}:{minute % 60:02d}")
            called = teller.call_next(1)
            assert called is not None
            teller.counter_action(1, "finish")
        learnt = desk.ticket(last["id"])
        assert learnt["estimated_wait_range_s"] is not None
        ratio_before = before[1] / max(last["estimated_wait_s"], 60)
        ratio_after = learnt["estimated_wait_range_s"][1] / max(learnt["estimated_wait_s"], 60)
        assert ratio_after > ratio_before
    finally:
        branch.stop()

    again = ClockedEngine(tmp_path, branch.clock, port=branch.port).start()
    try:
        after = client(again, *LOBBY).ticket(last["id"])
        assert after["estimated_wait_range_s"] == learnt["estimated_wait_range_s"]
    finally:
        again.stop()
