"""The kiosk's own settings file: engine URL, printer overrides, default language, PIN hash.

A small JSON file on the kiosk (``--settings``; by default ``kiosk.json`` in the user's
config folder). The operator's PIN is kept only as a salted scrypt hash
(``queue_core.security.hash_pin``). The printer in use is the branch's ``[printer]`` section
from ``GET /branch`` with this file's overrides on top, then the command line's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kiosk.model import Lang, LocalSettings


def default_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "branchq" / "kiosk.json"


@dataclass(frozen=True, slots=True)
class SettingsFile:
    path: Path
    local: LocalSettings = field(default_factory=LocalSettings)
    pin_hash: str = field(default="", repr=False)

    @classmethod
    def load(cls, path: Path) -> SettingsFile:
        """The file's settings; defaults when it does not exist yet."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(path)
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a JSON object")
        language: Lang = "en" if raw.get("language") == "en" else "zh"
        printer = raw.get("printer") if isinstance(raw.get("printer"), dict) else {}
        local = LocalSettings(str(raw.get("engine") or ""), dict(printer or {}), language)
        return cls(path, local, str(raw.get("pin_hash") or ""))

    def save(self) -> None:
        """Write atomically (a power cut leaves the old file or the new one)."""
        body = {
            "engine": self.local.engine,
            "printer": dict(self.local.printer),
            "language": self.local.language,
            "pin_hash": self.pin_hash,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.path)

    def with_local(self, local: LocalSettings) -> SettingsFile:
        return replace(self, local=local)


def printer_settings(
    branch: Mapping[str, Any], local: Mapping[str, Any], command_line: Mapping[str, Any]
) -> dict[str, Any]:
    """The printer to use: the branch's ``[printer]``, then the kiosk's, then the command's."""
    merged: dict[str, Any] = dict(branch.get("printer") or {})
    for layer in (local, command_line):
        merged.update({k: v for k, v in layer.items() if v not in (None, "")})
    return merged


def parse_printer_url(url: str) -> dict[str, Any]:
    """``tcp://host:9100``, ``serial:///dev/ttyS0?baudrate=19200``, ``usblp:///dev/usb/lp0``
    (read and written: status), ``file:///path`` (write only), ``usb://0x0416:0x5011``,
    ``win32:QUEUE``, ``cups://host[:port]/QUEUE``, ``lp:QUEUE`` or ``dummy:`` → ``[printer]``
    keys."""
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in ("tcp", "network", "socket"):
        if not parts.hostname:
            raise ValueError(f"no host in printer URL {url!r}")
        return {"transport": "network", "host": parts.hostname, "port": parts.port or 9100}
    if scheme == "serial":
        query = parse_qs(parts.query)
        out: dict[str, Any] = {"transport": "serial", "device": parts.path}
        if "baudrate" in query:
            out["baudrate"] = int(query["baudrate"][0])
        return out
    if scheme in ("file", "usblp"):
        return {"transport": scheme, "device": parts.path}
    if scheme in ("win32", "lp"):  # a print queue by name: win32:EPSON TM-T20II Receipt
        return {"transport": scheme, "queue": url.split(":", 1)[1].lstrip("/")}
    if scheme == "cups":
        server = parts.netloc.rpartition("@")[2]  # host, or host:port (CUPS's 631 if none)
        return {"transport": "cups", "host": server, "queue": parts.path.strip("/")}
    if scheme == "usb":
        vendor, _, product = parts.netloc.partition(":")
        return {"transport": "usb", "usb_vendor": int(vendor, 0), "usb_product": int(product, 0)}
    if scheme == "dummy":
        return {"transport": "dummy"}
    raise ValueError(
        f"unknown printer URL {url!r} (tcp://, serial://, usblp://, file://, usb://, win32:, "
        "cups://, lp:, dummy:)"
    )
