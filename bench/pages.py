"""Staff pages benchmark: load times and call-to-page latency in headless Chromium.

    python -m bench.pages [--runs 20]

The measuring code lives with the pages' tests (``tests/caller/bench_pages.py``), which start
the engine and the browser; this is the one command that runs it and prints the table.
"""

from __future__ import annotations

from tests.caller.bench_pages import main

if __name__ == "__main__":
    raise SystemExit(main())
