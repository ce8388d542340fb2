"""Centre to branch: a signed branch file is staged when it arrives (also after the branch was
offline), applied on the admin's command by a restart, and refused when forged, misaddressed
or old; a marquee text shows at once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import nats
import pytest

from queue_core.central.files import file_body, new_signing_key, sign
from queue_core.central.protocol import down_subject
from queue_core.central.uplink import RESTART_EXIT
from queue_core.client import EngineClient
from tests.central.conftest import HeadOffice
from tests.support.central import branch_toml, sections_file, wait_until
from tests.support.engine import ADMIN, LOBBY, RunningEngine

#: Opening and closing hours that leave no night: nothing is applied without the admin.
ALL_DAY = ("00:00", "23:59")


def central_cli(office: HeadOffice, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "queue_core", "central", *args, "--config", str(office.config)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def status(engine: RunningEngine) -> dict[str, Any]:
    client = EngineClient(engine.url)
    client.login(*LOBBY)
    body: dict[str, Any] = client.request("GET", "/central/status")
    return body


@pytest.mark.slow
def test_branch_files_come_down_signed_and_apply_on_the_admins_command(
    head_office: HeadOffice, tmp_path: Path
) -> None:
    leaf = head_office.leaf("0101")
    work = tmp_path / "branch-0101"
    work.mkdir()
    # The uplink applies a staged file by itself at night (branch time, see test_night.py,
    # which moves a clock across it); this test runs at any hour, so its branch has no night.
    config = branch_toml(work, "0101", leaf.url, head_office.key.public, hours=ALL_DAY)
    engine = RunningEngine(workdir=work, config=config).start()
    try:
        wait_until(lambda: status(engine)["link"] == "connected", 30, "the uplink connects")
        sent = central_cli(head_office, "publish-file", "--branch", "0101", "--version", "1",
                           str(sections_file(tmp_path, 1)))  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        wait_until(lambda: status(engine)["files"]["staged"] == 1, 30, "file 1 staged")
        assert status(engine)["files"]["applied"] is None  # not without the admin

        again = central_cli(head_office, "publish-file", "--branch", "0101", "--version", "1",
                            str(sections_file(tmp_path, 1)))  # fmt: skip
        assert again.returncode == 2 and "already sent" in again.stderr
        asyncio.run(_forge(head_office))  # signed with another key, and one for 0102

        shown = central_cli(head_office, "marquee", "--branch", "0101", "--version", "1",
                            "养老金发放日，请提前取号")  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        lobby = EngineClient(engine.url)
        lobby.login(*LOBBY)
        wait_until(
            lambda: any("养老金" in a["text"] for a in lobby.request("GET", "/announcements")),
            30,
            "the marquee text is on the hall display",
        )
        assert status(engine)["files"]["staged"] == 1  # the forged ones were refused

        admin = EngineClient(engine.url)
        admin.login(*ADMIN)
        assert admin.request("POST", "/central/apply") == {"applied": 1, "restarting": True}
        assert engine.proc is not None and engine.proc.wait(30) == RESTART_EXIT
        engine.start()
        services = [s["code"] for s in EngineClient(engine.url, "demo-kiosk-1").services()]
        assert "E" in services
        assert engine.login("t09", "9999", counter=2)
        assert status(engine)["files"] == {"staged": 1, "applied": 1, "marquee": 1}

        # An offline branch gets the newer file when its leaf node is back.
        leaf.stop()
        assert central_cli(head_office, "publish-file", "--branch", "0101", "--version", "2",
                           str(sections_file(tmp_path, 2))).returncode == 0  # fmt: skip
        assert asyncio.run(_waiting_at_centre(head_office, "0101")) >= 1
        assert status(engine)["files"]["staged"] == 1
        leaf.start()
        wait_until(lambda: status(engine)["files"]["staged"] == 2, 60, "file 2 after reconnect")
    finally:
        engine.stop()


async def _waiting_at_centre(office: HeadOffice, code: str) -> int:
    """Messages the centre holds for a branch that it has not acknowledged."""
    nc = await nats.connect(office.centre.url)
    try:
        info = await nc.jetstream().consumer_info("BQ_DOWN", f"down_{code}")
        return int(info.num_pending or 0) + int(info.num_ack_pending or 0)
    finally:
        await nc.close()


async def _forge(office: HeadOffice) -> None:
    """A file signed with a key that is not the centre's, and a genuine one for another
    branch sent on this branch's subject: both reach the branch, neither is staged."""
    from queue_core.central.files import load_signing_key

    pem, _ = new_signing_key()
    path = office.root / "forger.pem"
    path.write_bytes(pem)
    sections = tomllib.loads(sections_file(office.root, 9).read_text("utf-8"))
    forged = sign(load_signing_key(path), file_body("0101", 9, sections, time.time(), "x"))
    other = sign(
        load_signing_key(office.key.path), file_body("0102", 9, sections, time.time(), "x")
    )
    nc = await nats.connect(office.centre.url)
    try:
        js = nc.jetstream()
        await js.publish(down_subject("0101", "file"), forged)
        await js.publish(down_subject("0101", "file"), other)
    finally:
        await nc.close()
