"""``python -m display``: the same as ``branchq display``."""

from display.app import main

raise SystemExit(main())
