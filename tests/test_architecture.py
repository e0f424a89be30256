"""The floor plan holds: imports go downwards only, no cycles, no import hidden in a function to dodge one,
every subpackage reachable from ``import evalkit``, notebooks that only tell the story."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import evalkit
from evalkit import evaluations, params, paths

SRC = Path(evalkit.__file__).parent
NOTEBOOKS = sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def test_import_contracts_are_kept() -> None:
    """import-linter's layers and acyclic-siblings contracts from pyproject.toml (function-level imports count)."""
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint), "--config", str(paths.project_root() / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=paths.project_root(),
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 kept, 0 broken" in done.stdout


def _function_level_evalkit_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    guarded = {
        id(node)
        for stmt in tree.body
        if isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test)
        for node in ast.walk(stmt)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in top or id(node) in guarded:
            continue
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("evalkit")):
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import) and any(a.name.startswith("evalkit") for a in node.names):
            found.append(f"{path.relative_to(SRC)}:{node.lineno}: import {node.names[0].name}")
    return found


def test_no_evalkit_import_inside_a_function() -> None:
    """Library modules import evalkit modules at the top; only the command line defers them (start-up time
    of ``evalkit --help``), never to dodge a cycle."""
    found = [
        line
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "cli.py"
        for line in _function_level_evalkit_imports(path)
    ]
    assert found == []


@pytest.mark.slow
def test_every_subpackage_is_reachable_in_a_fresh_interpreter() -> None:
    on_disk = {p.stem for p in SRC.glob("*.py") if p.stem != "__init__"} | {
        p.name for p in SRC.iterdir() if (p / "__init__.py").is_file()
    }
    assert on_disk == set(evalkit._SUBMODULES)
    code = "import evalkit; evalkit.impact.did; evalkit.evaluations.incidence.Incidence; print(sorted(dir(evalkit)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "'impact'" in done.stdout and "'evaluations'" in done.stdout


def test_help_lists_every_verb(evalkit_cli) -> None:
    done = subprocess.run([*evalkit_cli, "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    verbs = re.findall(r"^    (\w+)", done.stdout, flags=re.M)
    assert sorted(verbs) == ["build", "clean", "indicators", "key", "params", "reconcile", "run", "synth", "validate"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_cells_hold_no_logic(path: Path) -> None:
    """No function or class definitions, loops, try/except or raise in a notebook: that is library code."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        kinds = {type(node).__name__ for node in ast.walk(tree)}
        assert not kinds & {"FunctionDef", "ClassDef", "For", "While", "Try", "Raise", "Lambda"}, "".join(
            cell["source"]
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_parameters_match_their_specification(path: Path) -> None:
    """The parameters cell repeats the evaluation's specification: names, types, defaults and help."""
    assert path.stem in evaluations.NOTEBOOKS
    assert params.notebook_parameters(path) == params.specification(path.stem)
