"""Notebook parameters: discovery, type checks and allowed values.

Every notebook has one cell tagged ``parameters`` with one literal per line,
``name: type = default  # help``. :func:`notebook_parameters` reads them (as
papermill's inspection does, without importing papermill). The runner calls
:func:`validate` before any notebook runs; each notebook's first code cell
calls :func:`check`, so a notebook run by hand fails just as loudly.

Examples
--------
>>> problems = validate("01_incidence_trends",
...     {"year": Parameter("year", "int", 2018, "")}, {"year": "2018", "colour": 1})
>>> print(problems[0])
01_incidence_trends: parameter 'year' must be int, got str '2018'
>>> print(problems[1])
01_incidence_trends: unknown parameter 'colour'; this notebook takes: year
"""

from __future__ import annotations

import ast
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from evalkit import paths
from evalkit.errors import NotebookNotFoundError, ParameterError
from evalkit.plots.labels import LANGS

__all__ = [
    "Parameter",
    "Resolved",
    "notebook_parameters",
    "coerce_text",
    "validate",
    "allowed_values",
    "check",
    "find_notebook",
]

_PY_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,)}


@dataclass(frozen=True)
class Parameter:
    """One notebook parameter as declared in its ``parameters`` cell."""

    name: str
    type_name: str
    default: object
    help: str


@dataclass(frozen=True)
class Resolved:
    """Parameters after validation, with folders resolved to absolute paths."""

    notebook: str
    year: int
    lang: str
    data_dir: str
    out_dir: Path
    values: dict[str, object] = field(default_factory=dict)


def find_notebook(name_or_path: str | os.PathLike[str], folder: Path | None = None) -> Path:
    """Resolve a notebook given as a path, a file name or a stem ('01_incidence_trends')."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".ipynb" and candidate.is_file():
        return candidate.resolve()
    folder = folder or paths.notebooks_dir()
    stem = candidate.stem if candidate.suffix == ".ipynb" else candidate.name
    match = folder / f"{stem}.ipynb"
    if match.is_file():
        return match
    known = sorted(p.stem for p in folder.glob("*.ipynb"))
    raise NotebookNotFoundError(
        f"no notebook {str(name_or_path)!r} in {folder}; available: {', '.join(known) or '(none)'}."
    )


def notebook_parameters(path: str | os.PathLike[str]) -> dict[str, Parameter]:
    """Parameters declared in a notebook's ``parameters`` cell, in order.

    Read from the notebook's JSON with :mod:`ast` (the same result as ``papermill.inspect_notebook``,
    which a test checks on every notebook, without importing papermill and nbformat: their import,
    through jsonschema, costs seconds, and the runner reads every notebook before running any).
    """
    import json
    import tokenize

    path = Path(path)
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError) as exc:
        raise ParameterError(f"{path.name}: cannot read its parameters ({exc}).") from None
    tagged = [
        c for c in cells if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not tagged:
        return {}
    source = tagged[0].get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    try:
        tree = ast.parse(source)
        comments = {
            tok.start[0]: tok.string.lstrip("#").strip()
            for tok in tokenize.generate_tokens(iter(source.splitlines(keepends=True)).__next__)
            if tok.type == tokenize.COMMENT
        }
    except (SyntaxError, tokenize.TokenError) as exc:
        raise ParameterError(f"{path.name}: cannot read its parameters ({exc}).") from None
    out: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, type_name, value = node.target.id, ast.get_source_segment(source, node.annotation), node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, type_name, value = node.targets[0].id, "None", node.value
        else:
            continue
        text = ast.get_source_segment(source, value)
        try:
            default = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            default = text
        out[name] = Parameter(name, type_name or "None", default, comments.get(node.end_lineno, ""))
    return out


def coerce_text(text: str, type_name: str) -> object:
    """Convert a command-line value to a declared type; leave it as text if it does not fit.

    Examples
    --------
    >>> coerce_text("2017", "int"), coerce_text("zh", "str"), coerce_text("true", "bool")
    (2017, 'zh', True)
    >>> coerce_text("abc", "int")
    'abc'
    """
    if type_name == "int":
        try:
            return int(text)
        except ValueError:
            return text
    if type_name == "float":
        try:
            return float(text)
        except ValueError:
            return text
    if type_name == "bool":
        lowered = text.strip().lower()
        return {"true": True, "1": True, "false": False, "0": False}.get(lowered, text)
    return text


def allowed_values(
    name: str, data_dir: str | os.PathLike[str] | None = None, notebook: str | None = None
) -> tuple[object, ...] | None:
    """Allowed values of a parameter (None: any value of its type).

    Most names mean the same in every notebook; ``outcome`` is notebook-specific (the microcredit notebook's
    income components; the training notebook checks its outcome against the chosen dataset itself).
    """
    if name == "lang":
        return LANGS
    if name == "year":
        from evalkit.published import evaluation_years

        return tuple(evaluation_years(data_dir or None))
    if name == "line":
        from evalkit.indicators.tables import LINES

        return LINES
    if name == "group_by":
        return ("township", "cause")
    if name == "region":
        return ("central", "west")
    if name == "outcome":
        if notebook is None or not str(notebook).startswith("02_"):
            return None
        from evalkit.impact.microcredit import OUTCOMES

        return OUTCOMES
    if name == "comparison":
        return ("not_yet", "never")
    if name == "dataset":
        from evalkit.impact.training import DATASETS

        return DATASETS
    if name == "cluster":
        from evalkit.impact.microcredit import CLUSTERS

        return tuple(CLUSTERS)
    return None


#: Numeric parameters with a range: check and how to say it.
_RANGES = {
    "af_k": (lambda v: 0 < v <= 1, "in (0, 1] (share of weighted deprivations)"),
    "p_true": (lambda v: 0 < v < 1, "in (0, 1) (the assumed true rate, a share)"),
    "power": (lambda v: 0.5 <= v < 1, "in [0.5, 1)"),
    "icc": (lambda v: 0 <= v < 1, "in [0, 1)"),
    "per_village": (lambda v: v >= 1, "at least 1"),
    "reps": (lambda v: v >= 19, "at least 19 (bootstrap replications)"),
    "budget": (lambda v: v >= 1, "at least 1 (households screened)"),
    "min_count": (lambda v: v >= 1, "at least 1 (smallest count shown by village)"),
    "monitoring_line": (lambda v: v >= 0, "at least 0 (0 means 1.5 times the national line of the year)"),
    "caliper": (lambda v: v > 0, "greater than 0 (standard deviations of the logit propensity score)"),
    "remaining_persons": (lambda v: v >= 0, "at least 0 (0 means from the registry)"),
    "rural_persons": (lambda v: v >= 0, "at least 0 (0 means from the villages table)"),
}


def _type_ok(value: object, type_name: str) -> bool:
    expected = _PY_TYPES.get(type_name)
    if expected is None:
        return True
    if type_name in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, expected)


def validate(
    notebook: str,
    declared: Mapping[str, Parameter],
    supplied: Mapping[str, object],
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Return every problem with ``supplied`` values (empty when all are fine)."""
    problems = []
    for name, value in supplied.items():
        if name not in declared:
            problems.append(f"{notebook}: unknown parameter {name!r}; this notebook takes: {', '.join(declared)}")
            continue
        spec = declared[name]
        if not _type_ok(value, spec.type_name):
            problems.append(
                f"{notebook}: parameter {name!r} must be {spec.type_name}, got {type(value).__name__} {value!r}"
            )
            continue
        if name == "survey_file" and value and not Path(str(value)).expanduser().is_file():
            problems.append(
                f"{notebook}: parameter 'survey_file' = {value!r}: no such file (leave it empty for the synthetic survey)"
            )
            continue
        if name == "clean_dir" and value and not (Path(str(value)).expanduser() / "summary.json").is_file():
            problems.append(
                f"{notebook}: parameter 'clean_dir' = {value!r} is not a folder written by `evalkit clean` "
                "(no summary.json); run `evalkit clean INPUT --out DIR` first, or leave it empty for the synthetic demo"
            )
            continue
        if name in _RANGES and isinstance(value, int | float) and not _RANGES[name][0](value):
            problems.append(f"{notebook}: parameter {name!r} = {value!r} must be {_RANGES[name][1]}")
            continue
        allowed = allowed_values(name, data_dir, notebook)
        if allowed is not None and value not in allowed:
            shown = ", ".join(map(str, allowed))
            problems.append(f"{notebook}: parameter {name!r} = {value!r} is not allowed; allowed values: {shown}")
    return problems


def check(notebook: str, *, year: int, lang: str, data_dir: str = "", out_dir: str = "", **extra: object) -> Resolved:
    """Validate a notebook's parameters from inside the notebook; resolve folders.

    Raises
    ------
    ParameterError
        Listing every problem, with the allowed values.

    Examples
    --------
    >>> r = check("01_incidence_trends", year=2017, lang="zh")
    >>> r.year, r.lang, r.out_dir.parts[-2:]
    (2017, 'zh', ('2017', '01_incidence_trends'))
    """
    values = {"year": year, "lang": lang, "data_dir": data_dir, "out_dir": out_dir, **extra}
    declared = {
        "year": Parameter("year", "int", None, ""),
        "lang": Parameter("lang", "str", None, ""),
        "data_dir": Parameter("data_dir", "str", None, ""),
        "out_dir": Parameter("out_dir", "str", None, ""),
    }
    declared.update({k: Parameter(k, type(v).__name__, None, "") for k, v in extra.items()})
    problems = validate(notebook, declared, values, data_dir=data_dir)
    if problems:
        raise ParameterError("\n".join(problems))
    out = Path(out_dir).expanduser().resolve() if out_dir else paths.notebook_output_dir(year, notebook)
    return Resolved(notebook=notebook, year=year, lang=lang, data_dir=data_dir, out_dir=out, values=values)
