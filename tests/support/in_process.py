"""Serve an engine app on uvicorn in a thread of the test process, where a test must reach
the server's own objects (its connections, the app's hub)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI

from tests.support.engine import free_port


@contextlib.contextmanager
def serve_in_thread(app: FastAPI, **options: Any) -> Iterator[tuple[str, uvicorn.Server]]:
    """The app on a free loopback port with uvicorn's ``options``: (its URL, the server)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        thread.join(10)
