"""environment.yml and pyproject.toml list the same dependencies."""

from __future__ import annotations

import re
import tomllib

from evalkit import paths


def _norm(requirement: str) -> str:
    match = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", requirement.strip())
    assert match, requirement
    name, spec = match.groups()
    return re.sub(r"[-_.]+", "-", name).lower() + spec.replace(" ", "")


def _pyproject() -> set[str]:
    data = tomllib.loads((paths.project_root() / "pyproject.toml").read_text(encoding="utf-8"))
    deps = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        deps += extra
    return {_norm(d) for d in deps}


def _environment() -> set[str]:
    items = []
    text = (paths.project_root() / "environment.yml").read_text(encoding="utf-8")
    for line in text.split("\ndependencies:\n", 1)[1].splitlines():
        match = re.match(r"^\s+-\s+(.+?)\s*$", line)
        if not match or match.group(1).endswith(":"):
            continue
        item = match.group(1)
        if item.startswith("-e ") or re.match(r"^(python|pip)\b", item):
            continue
        items.append(item)
    return {_norm(i) for i in items}


def test_same_dependencies() -> None:
    assert _pyproject() == _environment(), (
        f"only in pyproject.toml: {sorted(_pyproject() - _environment())}; "
        f"only in environment.yml: {sorted(_environment() - _pyproject())}"
    )
    assert "mplfonts>=0.0.10" in _environment()
