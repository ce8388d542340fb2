"""A throwaway CUPS scheduler for the tests: Debian's ``cupsd`` on a temporary folder,
listening on loopback only, with raw queues whose ``socket://`` backend (AppSocket, as for a
network receipt printer) sends each job to a printer simulator on loopback.

The folder lives under /tmp with its parents readable: cupsd runs its backends as the ``lp``
user, which must reach the spooled job."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.engine import free_port

CUPSD = "/usr/sbin/cupsd"
BACKENDS = Path("/usr/lib/cups")


def available() -> bool:
    """cupsd, its socket backend and the lp tools (Debian: cups, cups-client)."""
    return (
        Path(CUPSD).exists()
        and (BACKENDS / "backend" / "socket").exists()
        and all(shutil.which(tool) for tool in ("lp", "lpstat", "lpadmin", "cancel"))
    )


CUPSD_CONF = """\
Listen 127.0.0.1:{port}
LogLevel info
Browsing No
WebInterface No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Location /admin>
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""

FILES_CONF = """\
ServerRoot {root}/etc
RequestRoot {root}/spool
TempDir {root}/spool/tmp
CacheDir {root}/cache
StateDir {root}/state
ServerBin {backends}
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
{user}
"""


@dataclass
class CupsServer:
    root: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        """``host:port`` as CUPS_SERVER, ``lpadmin -h`` and a ``cups://`` URL take it."""
        return f"127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "CUPS_SERVER": self.server}

    def start(self, wait_s: float = 60.0) -> CupsServer:
        for sub in ("etc/ppd", "spool/tmp", "cache", "state", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        user = "User lp\nGroup lp\nSystemGroup root" if os.geteuid() == 0 else ""
        (self.root / "etc" / "cupsd.conf").write_text(CUPSD_CONF.format(port=self.port))
        (self.root / "etc" / "cups-files.conf").write_text(
            FILES_CONF.format(root=self.root, backends=BACKENDS, user=user)
        )
        self.process = subprocess.Popen(
            [CUPSD, "-f", "-c", str(self.root / "etc" / "cupsd.conf"),
             "-s", str(self.root / "etc" / "cups-files.conf")],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "log" / "stderr").open("wb"),
        )  # fmt: skip
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cupsd exited: {self.log()}")
            if "is running" in self.lpstat("-r").stdout:
                return self
            time.sleep(0.1)
        raise RuntimeError(f"cupsd did not start in {wait_s:g} s: {self.log()}")

    def lpstat(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run("lpstat", *args)

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=30)

    def add_raw_queue(self, name: str, device_uri: str) -> None:
        """A raw queue (no filter): the job's bytes go to ``device_uri`` as they are."""
        done = self.run("lpadmin", "-p", name, "-E", "-v", device_uri, "-m", "raw")
        if done.returncode != 0:
            raise RuntimeError(f"lpadmin: {done.stderr}")

    def jobs_waiting(self, queue: str) -> list[str]:
        return self.lpstat("-W", "not-completed", "-o", queue).stdout.splitlines()

    def log(self) -> str:
        logs = [self.root / "log" / "stderr", self.root / "log" / "error_log"]
        return " | ".join(p.read_text(errors="replace")[-2000:] for p in logs if p.exists())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_cups() -> CupsServer:
    root = Path(tempfile.mkdtemp(prefix="branchq-cups-"))
    root.chmod(0o755)  # the lp user's backends reach the spool below it
    return CupsServer(root, free_port()).start()
