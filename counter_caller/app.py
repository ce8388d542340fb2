"""``branchq caller``: give a teller the caller page of their counter.

The teller's caller is a web page the engine serves (``/caller``): nothing to install on the
teller's PC beyond the browser it already has, one code path for every counter, and the page
survives drops and restarts on its own. This command checks that the engine answers and
prints the page's URL (``--open`` hands it to the desktop's browser; ``--app`` opens it as a
small, chrome-less Chromium window to keep beside the banking system).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import webbrowser
from urllib.parse import urlencode

import httpx

from queue_core import DEFAULT_ENGINE

PAGES = ("caller", "rating", "lobby")


def page_url(engine: str, page: str = "caller", counter: int | None = None) -> str:
    """The URL of a staff page on ``engine``; the caller's is pre-filled with the counter."""
    query = urlencode({"counter": counter}) if counter is not None and page == "caller" else ""
    return f"{engine.rstrip('/')}/{page}" + (f"?{query}" if query else "")


def engine_answers(engine: str) -> str | None:
    """None when ``GET /healthz`` answers, else why not (in words for the terminal)."""
    try:
        response = httpx.get(f"{engine.rstrip('/')}/healthz", timeout=3.0)
    except httpx.HTTPError as exc:
        return str(exc) or type(exc).__name__
    if response.status_code != 200:
        return f"/healthz answered {response.status_code}"
    return None


def open_app_window(url: str, browser: str | None = None) -> bool:
    """Open ``url`` in a narrow app-mode window of Chromium/Chrome; False when none is found."""
    candidates = [browser] if browser else ["chromium", "chromium-browser", "google-chrome"]
    for name in candidates:
        path = shutil.which(name) if name else None
        if path:
            subprocess.Popen(  # the window outlives this command on purpose
                [path, f"--app={url}", "--window-size=520,720", "--no-first-run"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            return True
    return False


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branchq caller", description="Print (or open) a counter's caller page."
    )
    parser.add_argument(
        "--engine", default=DEFAULT_ENGINE, help=f"engine base URL (default {DEFAULT_ENGINE})"
    )
    parser.add_argument("--counter", type=int, help="pre-fill this counter number on the login")
    parser.add_argument("--page", choices=PAGES, default="caller", help="which staff page")
    parser.add_argument("--open", action="store_true", help="open it in the default browser")
    parser.add_argument("--app", action="store_true", help="open it as a small Chromium window")
    parser.add_argument("--browser", help="the Chromium-like browser for --app")
    parser.add_argument(
        "--no-check", action="store_true", help="do not check that the engine answers first"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = page_url(args.engine, args.page, args.counter)
    if not args.no_check:
        problem = engine_answers(args.engine)
        if problem is not None:
            print(f"engine at {args.engine} does not answer: {problem}", file=sys.stderr)
            return 2
    print(url)
    if args.app and not open_app_window(url, args.browser):
        print("no Chromium-like browser found for --app", file=sys.stderr)
        return 1
    if args.open and not webbrowser.open(url):
        print("no browser could be opened; use the URL above", file=sys.stderr)
        return 1
    return 0
