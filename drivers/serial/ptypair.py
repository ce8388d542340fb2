"""Two connected pseudo-terminals from ``socat``: a serial cable without hardware."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path


class PtyPair:
    """``socat pty,raw,echo=0 pty,raw,echo=0``; ``a`` and ``b`` are the two ends' paths."""

    def __init__(self, folder: Path | None = None) -> None:
        self._tmp = None if folder else tempfile.TemporaryDirectory(prefix="bus-")
        self.folder = folder or Path(self._tmp.name)  # type: ignore[union-attr]
        self.a = str(self.folder / "bus-agent")
        self.b = str(self.folder / "bus-devices")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 5.0) -> PtyPair:
        socat = shutil.which("socat")
        if socat is None:
            raise RuntimeError("socat is not installed (Debian package socat)")
        self.proc = subprocess.Popen(
            [socat, f"pty,raw,echo=0,link={self.a}", f"pty,raw,echo=0,link={self.b}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while not (Path(self.a).exists() and Path(self.b).exists()):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("socat did not create the pty pair")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> PtyPair:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
