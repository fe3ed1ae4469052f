"""Data flows one way: each package imports only the packages below it.

``engine`` (numpy only) <- ``data`` <- ``io`` <- ``studio`` <- ``ui``; ``cli`` uses the
Qt-free ones. Checked on the source (every ``import``/``from`` statement, also inside
functions), so a lazy import cannot hide a cycle. The safe-file helpers (``BASE``: capped
reads of regular files) import nothing of BP Studio and may be used by every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bp_studio"
BASE = {"bp_studio.io.capped"}
ALLOWED = {
    "engine": {"engine"},
    "data": {"engine", "data"},
    "io": {"engine", "data", "io"},
    "studio": {"engine", "data", "io", "studio"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "bp_studio" and len(parts) > 1 and name not in BASE:
                found.add(parts[1])
    return found


def test_the_base_helpers_import_nothing_of_bp_studio() -> None:
    for module in BASE:
        path = PACKAGE.parent / (module.replace(".", "/") + ".py")
        assert imported_packages(path) == set(), module


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_the_layers_below_it(package: str) -> None:
    for path in sorted((PACKAGE / package).rglob("*.py")):
        extra = imported_packages(path) - ALLOWED[package]
        assert not extra, f"{path.relative_to(PACKAGE.parent)} imports bp_studio.{sorted(extra)}"


def test_the_engine_does_not_import_io_but_network_files_still_work(tmp_path: Path) -> None:
    from bp_studio.engine import Network

    network = Network.create([2, 3, 1], seed=5)
    network.save(tmp_path / "n.json")
    assert (Network.load(tmp_path / "n.json").parameters == network.parameters).all()
