"""``python -m queue_core`` is ``branchq``."""

from queue_core.cli import main

raise SystemExit(main())
