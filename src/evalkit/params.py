"""Notebook parameters: discovery, type checks and allowed values, read from each notebook's specification.

Every notebook has one cell tagged ``parameters`` with one literal per line, ``name: type = default  #
help``. :func:`notebook_parameters` reads them (as papermill's inspection does, without importing
papermill). What a parameter may be is declared once, in the notebook's evaluation module
(:mod:`evalkit.evaluations`): its ``Params`` dataclass gives each parameter's type (a ``Literal`` lists the
choices), allowed values that depend on the data (the years a data folder covers), ranges and the files or
folders it names. This module is the generic machinery that reads those specifications: the runner calls
:func:`validate` before any notebook runs; each notebook's first code cell calls :func:`check`, which
returns the typed parameters (``p.outcome``), so a notebook run by hand fails just as loudly. A notebook
evalkit does not know is checked against its own cell and the parameters every notebook shares.

Examples
--------
>>> problems = validate("01_incidence_trends",
...     {"year": Parameter("year", "int", 2018, "")}, {"year": "2018", "colour": 1})
>>> print(problems[0])
01_incidence_trends: parameter 'year' must be int, got str '2018'
>>> print(problems[1])
01_incidence_trends: unknown parameter 'colour'; this notebook takes: year
>>> allowed_values("comparison", notebook="02_microcredit")
('not_yet', 'never')
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import tokenize
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from evalkit import evaluations, paths
from evalkit.errors import NotebookNotFoundError, ParameterError
from evalkit.evaluations.base import Spec

__all__ = [
    "Parameter",
    "notebook_parameters",
    "specification",
    "coerce_text",
    "validate",
    "allowed_values",
    "requirement",
    "path_parameters",
    "check",
    "find_notebook",
]

_PY_TYPES: dict[str, tuple[type, ...]] = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,)}


@dataclass(frozen=True)
class Parameter:
    """One notebook parameter as declared in its ``parameters`` cell (or in its specification)."""

    name: str
    type_name: str
    default: object
    help: str


@dataclass(frozen=True)
class _Rule:
    """What a specification says of one parameter besides its type."""

    parameter: Parameter
    choices: object  # a tuple, a function of the data folder, or None
    check: tuple[typing.Callable[[object], bool], str] | None
    kind: str | None


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


def _type_name(annotation: object) -> str:
    """``int``, ``float``, ``str`` or ``bool`` for a specification's annotation (a Literal of strings is str)."""
    if typing.get_origin(annotation) is typing.Literal:
        return type(typing.get_args(annotation)[0]).__name__
    return getattr(annotation, "__name__", str(annotation))


@cache
def _rules(spec: type[Spec]) -> dict[str, _Rule]:
    hints = typing.get_type_hints(spec)
    rules = {}
    for f in dataclasses.fields(spec):
        annotation = hints[f.name]
        literal = typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else None
        meta = f.metadata
        rules[f.name] = _Rule(
            Parameter(f.name, _type_name(annotation), f.default, meta.get("help", "")),
            literal if literal is not None else meta.get("choices"),
            meta.get("check"),
            meta.get("kind"),
        )
    return rules


def specification(notebook: str) -> dict[str, Parameter]:
    """The parameters ``notebook`` declares in its evaluation module (type, default, help), in order;
    for a notebook evalkit does not know, the parameters every notebook shares."""
    spec = evaluations.spec(Path(notebook).stem) or Spec
    return {name: rule.parameter for name, rule in _rules(spec).items()}


def _rule(notebook: str | None, name: str) -> _Rule | None:
    spec = (evaluations.spec(Path(notebook).stem) if notebook else None) or Spec
    return _rules(spec).get(name)


def allowed_values(
    name: str, data_dir: str | os.PathLike[str] | None = None, notebook: str | None = None
) -> tuple[object, ...] | None:
    """Allowed values of ``notebook``'s parameter ``name`` (None: any value of its type)."""
    rule = _rule(notebook, name)
    if rule is None or rule.choices is None:
        return None
    if callable(rule.choices):
        return tuple(rule.choices(str(data_dir or "")))
    return tuple(rule.choices)


def path_parameters(notebook: str) -> list[str]:
    """The parameters of ``notebook`` that name a file or folder (they are checked to exist and passed to
    the notebook relative to its output folder).

    >>> path_parameters("05_exit_assessment")
    ['data_dir', 'survey_file']
    """
    spec = evaluations.spec(Path(notebook).stem) or Spec
    return [name for name, rule in _rules(spec).items() if rule.kind]


def requirement(name: str, notebook: str | None = None) -> str | None:
    """What a value of ``notebook``'s parameter ``name`` must be besides its type and allowed values
    (a range, or an existing file or folder), in words; None when nothing more is asked.

    >>> requirement("reps", "02_microcredit")
    'at least 19 (bootstrap replications)'
    """
    rule = _rule(notebook, name)
    if rule is None:
        return None
    if rule.check:
        return rule.check[1]
    return {
        "file": "an existing file, or empty",
        "clean_dir": "a folder written by `evalkit clean`, or empty",
        "data_dir": "a data package folder (with datapackage.json), or empty",
    }.get(rule.kind or "")


def _type_ok(value: object, type_name: str) -> bool:
    expected = _PY_TYPES.get(type_name)
    if expected is None:
        return True
    if type_name in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, expected)


def _path_problem(notebook: str, name: str, value: str, kind: str) -> str | None:
    path = Path(value).expanduser()
    if kind == "file" and not path.is_file():
        return f"{notebook}: parameter {name!r} = {value!r}: no such file (leave it empty for the default)"
    if kind == "clean_dir" and not (path / "summary.json").is_file():
        return (
            f"{notebook}: parameter {name!r} = {value!r} is not a folder written by `evalkit clean` "
            "(no summary.json); run `evalkit clean INPUT --out DIR` first, or leave it empty for the synthetic demo"
        )
    if kind == "data_dir" and not (path / "datapackage.json").is_file():
        what = "is a folder without datapackage.json" if path.is_dir() else "does not exist"
        return (
            f"{notebook}: parameter {name!r} = {value!r} {what}: give a data package folder (`evalkit build` or "
            "`evalkit synth` make one; `evalkit validate` checks it), or leave it empty for the embedded data"
        )
    return None


def validate(
    notebook: str,
    declared: Mapping[str, Parameter],
    supplied: Mapping[str, object],
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Return every problem with ``supplied`` values (empty when all are fine).

    ``declared`` are the notebook's own parameters (from its cell); types are checked against them, and
    ranges, paths and allowed values against the notebook's specification.
    """
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
        rule = _rule(notebook, name)
        if rule is None:
            continue
        if rule.kind and value:
            problem = _path_problem(notebook, name, str(value), rule.kind)
            if problem:
                problems.append(problem)
                continue
        if rule.check and isinstance(value, int | float | str) and not rule.check[0](value):
            problems.append(f"{notebook}: parameter {name!r} = {value!r} must be {rule.check[1]}")
            continue
        allowed = allowed_values(name, data_dir, notebook)
        if allowed is not None and value not in allowed:
            shown = ", ".join(map(str, allowed))
            problems.append(f"{notebook}: parameter {name!r} = {value!r} is not allowed; allowed values: {shown}")
    return problems


def check(notebook: str, **values: object) -> Spec:
    """Validate a notebook's parameters from inside the notebook; return them typed, with ``out_dir``
    resolved (empty: ``outputs/YEAR/NOTEBOOK``).

    Raises
    ------
    ParameterError
        Listing every problem, with the allowed values; or the notebook has no specification.

    Examples
    --------
    >>> p = check("01_incidence_trends", year=2017, lang="zh")
    >>> p.year, p.lang, p.line, Path(p.out_dir).parts[-2:]
    (2017, 'zh', 'national', ('2017', '01_incidence_trends'))
    """
    spec = evaluations.spec(notebook)
    if spec is None:
        raise ParameterError(
            f"{notebook}: evalkit has no evaluation of that name; known: {', '.join(evaluations.NOTEBOOKS)}"
        )
    declared = specification(notebook)
    problems = validate(notebook, declared, values, data_dir=values.get("data_dir") or None)
    if problems:
        raise ParameterError("\n".join(problems))
    chosen = spec(**values)
    out = (
        Path(chosen.out_dir).expanduser().resolve()
        if chosen.out_dir
        else paths.notebook_output_dir(chosen.year, notebook)
    )
    return dataclasses.replace(chosen, out_dir=str(out))
