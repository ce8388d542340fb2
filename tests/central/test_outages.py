"""Cut the WAN, kill -9 the centre's consumer, the branch's leaf node and the centre's NATS
server mid-stream: the branch serves on, then the centre catches up with every event once and
the branch's own figures."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from queue_core.client import EngineClient
from tests.central.conftest import HeadOffice
from tests.central.test_uplink import branch_figures, centre_figures
from tests.central.traffic import play_day
from tests.reliability.load import last_seq
from tests.support.central import WanLink, applied_seq, branch_toml, query, wait_until
from tests.support.engine import LOBBY, RunningEngine


def uplink_status(engine: RunningEngine) -> dict[str, object]:
    token = engine.login(*LOBBY)
    r = httpx.get(
        f"{engine.url}/api/v1/central/status", headers={"Authorization": f"Bearer {token}"}
    )
    r.raise_for_status()
    body: dict[str, object] = r.json()
    return body


def caught_up(office: HeadOffice, engine: RunningEngine, timeout: float = 90) -> int:
    head = last_seq(engine)
    wait_until(lambda: applied_seq(office.db_url, "0101") == head, timeout, f"applied {head}")
    return head


@pytest.mark.slow
def test_the_branch_serves_through_outages_and_the_centre_loses_nothing(
    head_office: HeadOffice, tmp_path: Path
) -> None:
    wan = WanLink("127.0.0.1", head_office.centre.leaf_port)
    leaf = head_office.leaf("0101", via_port=wan.port)
    work = tmp_path / "branch-0101"
    work.mkdir()
    engine = RunningEngine(workdir=work, config=branch_toml(work, "0101", leaf.url,
                                                            head_office.key.public))  # fmt: skip
    engine.start()
    try:
        play_day(engine)
        caught_up(head_office, engine)

        # The WAN is cut: the branch goes on serving; its log grows, the centre waits.
        wan.cut()
        wait_until(lambda: uplink_status(engine)["link"] == "centre_unreachable", 30, "noticed")
        lobby = EngineClient(engine.url)
        lobby.login(*LOBBY)
        before = applied_seq(head_office.db_url, "0101")
        play_day(engine)
        assert lobby.issue("A")["status"] == "waiting"
        assert uplink_status(engine)["lag"] > 0
        assert applied_seq(head_office.db_url, "0101") == before

        # Back, with the consumer killed meanwhile: nothing moves until it runs again.
        head_office.consumer.stop(kill=True)
        wan.restore()
        play_day(engine)
        head_office.consumer.start()
        caught_up(head_office, engine)

        # kill -9 of the leaf node mid-stream, then of the centre's NATS server.
        play_day(engine)
        leaf.stop(kill=True)
        play_day(engine)
        leaf.start()
        caught_up(head_office, engine)
        play_day(engine)
        head_office.centre.server.stop(kill=True)
        play_day(engine)
        head_office.centre.server.start()
        head = caught_up(head_office, engine, timeout=120)

        stored = query(
            head_office.db_url,
            "SELECT count(*), count(DISTINCT seq), max(seq) FROM branch_events "
            "WHERE branch = '0101'",
        )
        assert stored == [(head, head, head)]
        mine = branch_figures(engine)
        assert centre_figures(head_office.db_url, "0101", mine["date"]) == mine
    finally:
        engine.stop()
        wan.close()
