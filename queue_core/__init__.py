"""BranchQ's engine (``queue_core``): tickets, routing, counters, events, figures."""

#: The engine's port when none is given, and so where every program looks for it by default.
DEFAULT_PORT = 8080
DEFAULT_ENGINE = f"http://127.0.0.1:{DEFAULT_PORT}"
