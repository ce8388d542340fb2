"""The house's layers, read from the source: the domain imports nothing of the rest, the engine
no device package, a device package no other device package, and no two modules import each
other (also not from inside a function, the usual way to hide a loop)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("queue_core", "drivers", "display", "kiosk", "counter_caller")
#: Who may import whom: a package imports only its own and lower ranks. The device programs
#: (rank 3) share what they have in common through ``drivers`` and ``queue_core``.
RANK = {"queue_core.domain": 0, "queue_core": 1, "drivers": 2}
DEVICE_RANK = 3
#: The composition roots, which start the programs and so may reach any of them: the command
#: line, and ``branchq demo`` (it opens the signs' pseudo-terminal pair before their programs).
ROOTS = frozenset({"queue_core.cli", "queue_core.demo.run"})


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every module ``name`` imports, at any depth, except under ``if TYPE_CHECKING``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*up, base] if base else up)
                for alias in child.names:
                    full = f"{base}.{alias.name}"
                    yield full if full in MODULES else base
            yield from walk(child)

    yield from walk(ast.parse(path.read_text("utf-8")))


IMPORTS = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _area(module: str) -> str | None:
    if module == "queue_core.domain" or module.startswith("queue_core.domain."):
        return "queue_core.domain"
    return next((p for p in PACKAGES if module == p or module.startswith(p + ".")), None)


def _rank(area: str) -> int:
    return RANK.get(area, DEVICE_RANK)


def test_no_module_imports_a_layer_above_its_own_or_another_device_program() -> None:
    wrong = sorted(
        (module, target)
        for module, targets in IMPORTS.items()
        if module not in ROOTS
        for target in targets
        if (a := _area(module)) is not None
        and (b := _area(target)) is not None
        and a != b
        and (_rank(b) > _rank(a) or _rank(a) == _rank(b) == DEVICE_RANK)
    )
    assert wrong == []


def test_no_two_modules_import_each_other() -> None:
    loops = sorted(
        (module, target)
        for module, targets in IMPORTS.items()
        for target in targets
        if target in IMPORTS and module < target and module in IMPORTS[target]
    )
    assert loops == []


def test_the_engine_serves_the_staff_pages_only_as_the_command_line_composes_it() -> None:
    assert not any(t.startswith("counter_caller") for t in IMPORTS["queue_core.api.app"])


def test_the_checks_read_every_program_and_its_imports() -> None:
    assert {"queue_core.usecases.runner", "kiosk.state", "display.app"} <= set(MODULES)
    assert "kiosk.model" in IMPORTS["kiosk.state"]  # a from-import of a sibling module
    assert "queue_core.wire" in IMPORTS["display.state"]  # "from queue_core import wire"
