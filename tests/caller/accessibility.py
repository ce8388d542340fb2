"""Scan a page with axe-core (Deque's accessibility engine, from npm) in the page's own browser.

``make test`` installs axe-core's published ``axe.min.js`` (a pinned version, checked by its
SHA-256) under the environment's ``share/branchq``; ``$BRANCHQ_AXE`` may name another copy.
The script is evaluated through the browser's debugging protocol, so the pages keep their
``Content-Security-Policy`` (``script-src 'self'``) while they are scanned.

A scan runs every rule axe enables by default (WCAG 2.0–2.2 A and AA, and best practices);
a page passes when no violation is *serious* or *critical*. The lesser ones are reported too.

    python -m tests.caller.accessibility      # scan every page state, print the table
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

AXE_VERSION = "4.14.1"
REPORT_ENV = "BRANCHQ_AXE_REPORT"  # a file the scans of a test run are appended to
BLOCKING = ("serious", "critical")
#: Flow tests that scan the states they walk through besides test_*_accessibility.py.
SCANNING_FLOWS = ("test_phone_stop_reminders.py",)


def axe_path() -> Path:
    env = os.environ.get("BRANCHQ_AXE")
    if env:
        return Path(env)
    return Path(sys.prefix) / "share" / "branchq" / f"axe-core-{AXE_VERSION}" / "axe.min.js"


@lru_cache(maxsize=1)
def axe_source() -> str:
    """axe.min.js; outside CI a missing copy skips the scan with what to run, in CI it fails."""
    path = axe_path()
    if not path.is_file():
        why = f"axe-core {AXE_VERSION} is not installed at {path}: run `make axe` (make test does)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return path.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]
    summary: str

    def line(self) -> str:
        where = ", ".join(self.targets[:4]) + (" …" if len(self.targets) > 4 else "")
        return f"{self.impact} {self.rule} ({self.help}) at {where}: {self.summary}"


@dataclass(frozen=True, slots=True)
class Scan:
    """What axe found on one page state."""

    name: str
    passes: int
    violations: tuple[Violation, ...] = field(default=())

    @property
    def blocking(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.impact in BLOCKING)

    def count(self, impact: str) -> int:
        return sum(1 for v in self.violations if v.impact == impact)

    def report(self) -> str:
        lines = [f"{self.name}: {self.passes} rules pass, {len(self.violations)} violated"]
        return "\n".join([*lines, *(f"  {v.line()}" for v in self.violations)])


_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return {
    passes: result.passes.length,
    violations: result.violations.map((v) => ({
      rule: v.id, impact: v.impact || "minor", help: v.help,
      targets: v.nodes.map((n) => n.target.join(" ")),
      summary: (v.nodes[0] && v.nodes[0].failureSummary || "").replace(/\\s+/g, " "),
    })),
  };
}"""


def scan(page: Page, name: str) -> Scan:
    """Run axe on what ``page`` shows now."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source() + "\n;void 0")
    raw: dict[str, Any] = page.evaluate(_RUN)
    violations = tuple(
        Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"]), v["summary"])
        for v in raw["violations"]
    )
    return Scan(name, int(raw["passes"]), violations)


def look(page: Page, name: str, found: list[Scan]) -> Scan:
    """Scan what ``page`` shows now and keep the result in ``found``."""
    result = scan(page, name)
    found.append(result)
    return result


def assert_no_blocking(found: Sequence[Scan]) -> None:
    """Fail on any serious or critical violation of any scan, naming each."""
    bad = [s for s in found if s.blocking]
    assert not bad, "\n".join(s.report() for s in bad)


def table(scans: Sequence[Scan]) -> str:
    """A Markdown table of scans: rules passed and violations by impact."""
    rows = ["| page state | rules passed | critical | serious | moderate | minor |",
            "|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for s in scans:
        counts = " | ".join(str(s.count(i)) for i in ("critical", "serious", "moderate", "minor"))
        rows.append(f"| {s.name} | {s.passes} | {counts} |")
    return "\n".join(rows)


def record(scans: Sequence[Scan]) -> None:
    """Append ``scans`` to the report file a ``python -m`` run asked for, if any."""
    target = os.environ.get(REPORT_ENV)
    if not target:
        return
    with open(target, "a", encoding="utf-8") as out:
        for s in scans:
            violations = [
                {"rule": v.rule, "impact": v.impact, "help": v.help, "targets": list(v.targets),
                 "summary": v.summary} for v in s.violations
            ]  # fmt: skip
            line = {"name": s.name, "passes": s.passes, "violations": violations}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


def read_report(path: Path) -> list[Scan]:
    scans = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        violations = tuple(
            Violation(v["rule"], v["impact"], v["help"], tuple(v["targets"]), v["summary"])
            for v in raw["violations"]
        )
        scans.append(Scan(raw["name"], raw["passes"], violations))
    return scans


def main() -> int:
    """Run the scans' tests and print what every scan found."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "scans.jsonl"
        report.touch()
        tests = [str(Path(__file__).with_name("test_accessibility.py"))]
        tests += [str(p) for p in Path(__file__).parent.glob("test_*_accessibility.py")]
        tests += [str(Path(__file__).with_name(name)) for name in SCANNING_FLOWS]
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
            env={**os.environ, REPORT_ENV: str(report)},
        )
        scans = read_report(report)
    print(f"axe-core {AXE_VERSION}, every rule enabled by default\n")
    print(table(scans))
    for s in scans:
        if s.violations:
            print("\n" + s.report())
    return code


if __name__ == "__main__":
    raise SystemExit(main())
