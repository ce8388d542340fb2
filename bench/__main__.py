"""``python -m bench [NAME …]``: run benchmarks, each printing its table.

Names: engine, display, kiosk, signs, spoolers, pages, phone, sim_speed (the default set,
about 12 minutes on 2 cores), and the long ones run only by name: reliability, scale, voice,
subscribers. Each is also a command of its own (``python -m bench.engine --help``) with options.
"""

from __future__ import annotations

import subprocess
import sys

DEFAULT = ["engine", "display", "kiosk", "signs", "spoolers", "pages", "phone", "sim_speed"]
LONG = ["reliability", "scale"]
# renders with the neural voice and runs a recogniser: about 15 minutes; subscribers: ~5 minutes
BY_NAME = ["voice", "subscribers"]


def main(argv: list[str]) -> int:
    names = argv or DEFAULT
    known = DEFAULT + LONG + BY_NAME
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {known}")
        return 2
    failed = 0
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        extra = ["all"] if name in LONG else []
        failed |= subprocess.call([sys.executable, "-m", f"bench.{name}", *extra]) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
