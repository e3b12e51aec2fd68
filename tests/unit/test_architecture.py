"""The rooms' import rules are enforced, not only described (docs/ARCHITECTURE.md).

- The import-linter contracts in pyproject.toml hold: arrows point down between the rooms and between
  the ui rooms, no Qt below ui, ui never builds a journal, a client or a sandbox.
- No import cycle between modules anywhere in the package. Imports under ``if TYPE_CHECKING:`` do not
  count (they never run); imports inside functions do (they run, later).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_cycles(graph: grimp.ImportGraph, package: str) -> list[tuple[str, ...]]:
    """One shortest cycle through each direct import that closes a loop, as ``a -> b -> … -> a``."""
    cycles: set[tuple[str, ...]] = set()
    for importer in graph.find_descendants(package) | {package}:
        for imported in graph.find_modules_directly_imported_by(importer):
            if not imported.startswith(package):
                continue
            back = graph.find_shortest_chain(imported, importer, as_packages=False)
            if back is not None:
                loop = (importer, *back)
                start = loop.index(min(loop[:-1]))  # one spelling per cycle, whichever edge found it
                cycles.add((*loop[start:-1], *loop[:start], loop[start]))
    return sorted(cycles)


def test_import_linter_contracts_are_kept() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    count = len(declared["contracts"])
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {count} kept, 0 broken." in result.stdout


def test_no_import_cycles_between_modules() -> None:
    graph = grimp.build_graph("payout_desk", exclude_type_checking_imports=True, cache_dir=None)
    assert len(graph.modules) > 50  # the whole package was read
    cycles = module_cycles(graph, "payout_desk")
    assert cycles == [], "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_cycle_check_counts_function_imports_and_skips_type_checking_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "circles_demo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circles_demo import b\n")
    (package / "b.py").write_text("def later() -> None:\n    from circles_demo import a\n")
    (package / "c.py").write_text("from circles_demo import d\n")
    (package / "d.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from circles_demo import c\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    graph = grimp.build_graph("circles_demo", exclude_type_checking_imports=True, cache_dir=None)

    assert module_cycles(graph, "circles_demo") == [("circles_demo.a", "circles_demo.b", "circles_demo.a")]
