"""A real engine whose clock the test moves: the app of ``branchq serve`` under uvicorn, in a
thread of the test process, on a free port, with an injected clock.

For what only time shows (a business day ending at midnight, sessions expiring): the test
moves the clock across the moment and talks to the engine over HTTP and websockets as any
device does.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import uvicorn

from counter_caller.pages import router as pages
from queue_core.api.app import create_app
from queue_core.cli import without_staffing
from queue_core.client import EngineClient
from queue_core.config import BranchConfig, load_config
from tests.support.engine import LOBBY, TELLERS, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: How long a test waits for the engine's day plan: a bound, not a measure. The plan plays the
#: day several times over, 12–15 s of CPU for the demo branch's pension day; at load 10 on two
#: cores (two full suites beside two busy loops) the lobby's plan took over two minutes.
PLAN_BOUND_S = 600.0


def at(text: str) -> float:
    """Epoch seconds of a Shanghai wall-clock time, ``"2026-11-12 16:00"``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).timestamp()


@dataclass
class Clock:
    """The engine's clock: still unless moved."""

    now: float

    def __call__(self) -> float:
        return self.now

    def set(self, text: str) -> None:
        """Move to a Shanghai wall-clock time (forward only, as time goes)."""
        target = at(text)
        assert target >= self.now, "the clock only moves forward"
        self.now = target


@dataclass
class ClockedEngine:
    """A running engine on SQLite in ``workdir`` whose clock is ``clock``."""

    workdir: Path
    clock: Clock
    config: BranchConfig = field(default_factory=load_config)
    port: int = field(default_factory=free_port)
    #: Whether the engine looks ahead for staffing advice every minute by itself (off: the
    #: test asks with POST /staffing/look, so no look-ahead runs at a moment it did not pick).
    staffing: bool = False
    #: The housekeeping's pause (real seconds): short, so a moved clock's due work (the
    #: appointments' reminders, no-shows) is done within it.
    minute_s: float = 60.0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ClockedEngine:
        # The pages beside the API, as ``branchq serve`` composes the engine.
        config = self.config if self.staffing else without_staffing(self.config)
        db = f"sqlite:///{self.workdir / 'q.db'}"
        app = create_app(config, db, b"k" * 32, self.clock, pages=[pages], minute_s=self.minute_s)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self._server = server
        self._thread = threading.Thread(target=server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not server.started:
            time.sleep(0.02)
        assert server.started, "the engine did not start"
        return self

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def client(self, token: str | None = None) -> EngineClient:
        # The engine shares the test's process and a busy machine: slow answers are not wrong.
        return EngineClient(self.url, token, timeout=30.0)

    def login(self, login: str, pin: str, counter: int | None = None) -> EngineClient:
        c = self.client()
        c.login(login, pin, counter)
        return c

    def teller(self, counter: int, login_at: int | None = None) -> EngineClient:
        """The teller of ``counter`` in the demo branch, logged in at ``login_at`` (default:
        their own counter)."""
        return self.login(*TELLERS[counter], login_at if login_at is not None else counter)

    def lobby(self) -> EngineClient:
        return self.login(*LOBBY)

    def get(self, path: str, token: str) -> httpx.Response:
        return httpx.get(f"{self.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
