"""The test suite's way to run a server in a process group of its own and to end it: SIGTERM
(or SIGKILL, a crash), then SIGKILL if it does not go within the time given."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def spawn(
    cmd: Sequence[str],
    log_path: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` with its output appended to ``log_path``."""
    log = open(log_path, "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(
        list(cmd),
        cwd=cwd,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(env) if env is not None else None,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes] | None, kill: bool = False, timeout: float = 15) -> None:
    """End the process group; ``kill`` is kill -9, as a crash would."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
