"""``branchq demo`` as a newcomer meets it: one command, then a kiosk tap prints a ticket
picture, a teller (logged in as the banner says) calls it, the LED sign shows it, and the
keypad typed into the demo's terminal calls the next one."""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from kiosk.model import Showing
from kiosk.settings import parse_printer_url
from queue_core.config import load_config
from queue_core.demo.run import banner
from tests.kiosk.running import running_kiosk, tap, until
from tests.support.engine import free_port

API = "/api/v1"


@dataclass
class Demo:
    proc: subprocess.Popen[str]
    folder: Path
    lines: queue.Queue[str] = field(default_factory=queue.Queue)
    seen: list[str] = field(default_factory=list)

    def read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout: float = 180.0) -> re.Match[str]:
        """The first line (from the start) matching ``pattern``."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.seen:
                if m := re.search(pattern, line):
                    return m
            left = deadline - time.monotonic()
            assert left > 0, f"no {pattern!r} in:\n" + "\n".join(self.seen)
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.lines.get(timeout=left))

    def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """``branchq demo`` on free ports, in a folder of its own, as the README starts it."""
    port, printer = free_port(), free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "queue_core", "demo", "--port", str(port),
         "--printer-port", str(printer)],
        cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    running = Demo(proc, tmp_path)
    threading.Thread(target=running.read, daemon=True).start()
    try:
        yield running
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.mark.slow
def test_the_demo_runs_end_to_end_from_its_banner(demo: Demo) -> None:
    # Five programs start, each a fresh interpreter: minutes on a saturated machine. The bound
    # only ends a test whose demo never starts.
    url = demo.wait_for(r"^BranchQ demo branch \S+: (http://\S+)$", timeout=600)[1]
    demo.wait_for(r"^Stop with Ctrl\+C")
    printer_url = demo.wait_for(r"--printer-url (tcp://\S+)")[1]
    login, pin, counter = demo.wait_for(r"e\.g\. (\S+) / PIN (\d+) at counter (\d+)").groups()
    keypad = demo.wait_for(r"type '(\d+) call' and Enter here")[1]

    # The kiosk, as the banner starts it: every service open, the ticket printed as a picture.
    async def take_ticket() -> str:
        folder = demo.folder / "kiosk"
        folder.mkdir()
        async with running_kiosk(url, folder, printer=parse_printer_url(printer_url)) as (
            kiosk,
            clock,
        ):
            assert all(s.open for s in kiosk.state.services)
            await tap(kiosk, clock, "wake")
            await tap(kiosk, clock, "service:A")
            await until(lambda: isinstance(kiosk.state.screen, Showing)
                        and kiosk.state.screen.printing == "printed", timeout=30)  # fmt: skip
            screen = kiosk.state.screen
            assert isinstance(screen, Showing)
            return str(screen.ticket["number"])

    number = asyncio.run(take_ticket())
    picture = Path(demo.wait_for(r"printer: ticket printed, picture (\S+)")[1])
    assert (demo.folder / picture).stat().st_size > 1000

    # The teller logs in with the banner's login and calls it; the counter's sign shows it.
    with httpx.Client(base_url=f"{url}{API}", timeout=10) as http:
        body = {"login": login, "pin": pin, "counter": int(counter)}
        token = http.post("/auth/login", json=body).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        called = http.post(f"/counters/{counter}/call-next", headers=headers).json()
        assert called["number"] == number
        demo.wait_for(rf"^sign +{counter} │ {number}")
        assert http.post(f"/counters/{counter}/finish", headers=headers).status_code == 200
        # The keypad, typed into the demo's terminal, calls the next one.
        kiosk = {"Authorization": "Bearer demo-kiosk-1"}
        second = http.post("/tickets", json={"service": "A"}, headers=kiosk).json()["number"]
        demo.type(f"{keypad} call")
        demo.wait_for(rf"^sign +{counter} │ {second}")


def test_the_banner_gives_the_logins_and_tokens_of_the_branch_file() -> None:
    config = load_config(None)
    text = banner(config, "http://127.0.0.1:8080", [1, 2], 9100, "branchq")
    for staff in config.staff:
        assert f"{staff.login} {staff.pin}" in text or f"{staff.login} / PIN {staff.pin}" in text
    for device in config.devices:
        if device.role != "sign":  # the demo runs the signs agent itself
            assert f" {device.token}" in text or device.name == "kiosk-2"
    assert "5 wrong PINs in a row lock a login for 5 min" in text
    assert "tcp://127.0.0.1:9100" in text and "tickets/" in text
