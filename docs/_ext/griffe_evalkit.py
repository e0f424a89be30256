"""Griffe extension for evalkit's API reference: read the docstrings as they are written, render them as Markdown.

evalkit's docstrings are numpydoc, written for the terminal and for doctest, with a few reST habits. This
extension (loaded by mkdocstrings, see ``mkdocs.yml``) changes nothing in ``src/``; before the docstrings
are parsed it

* gives module and class attributes documented with a ``#:`` comment above them that comment as docstring,
  and each notebook parameter declared with ``param(default, help)`` / ``year_param(help)`` its help text;
* turns doctest blocks outside an ``Examples`` section into ``pycon`` code blocks (the ``Examples`` section
  is left to griffe's numpy parser);
* turns reST simple tables (``=====  =====`` borders) into Markdown tables;
* turns ``:func:`name``` and the other Python roles into links to the named object when evalkit defines it
  (``~`` shows the last component only), and into code otherwise;
* gives each name of a grouped parameter entry (``a, b : int``) its own entry, so that each shows its own
  default;
* starts a ``Notes`` section at prose that follows a parameter list (numpydoc would read it as one more
  parameter);
* ends a paragraph that introduces an indented literal block with ``:`` instead of ``::``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

import griffe

_logger = griffe.logger

_ROLE = re.compile(r":(?:py:)?(func|class|meth|mod|data|attr|exc|obj|const|ref):`(~?)([^`]+)`")
_BORDER = re.compile(r"^(\s*)(=+)((?:\s+=+)+)\s*$")
_EXTERNAL = "<external>"

_NAME_SECTIONS = ("parameters", "other parameters", "attributes")
_ITEM = re.compile(r"^\*{0,2}[A-Za-z_][\w.]*(\s*,\s*\*{0,2}[A-Za-z_][\w.]*)*\s*(:.*)?$")
_SECTION_RULE = re.compile(r"^\s*-{3,}\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


class EvalkitDocstrings(griffe.Extension):
    """Prepare evalkit's docstrings for mkdocstrings (see the module docstring)."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.path != "evalkit":
            return
        for obj in _walk(pkg):
            if obj.is_attribute and not obj.docstring:
                text = _comment_doc(obj) or _param_help(obj)
                if text:
                    obj.docstring = griffe.Docstring(text, lineno=obj.lineno, parent=obj)
            if obj.docstring:
                obj.docstring.value = _markdown(obj.docstring.value, obj, pkg)


def _walk(obj: griffe.Object) -> Iterator[griffe.Object]:
    yield obj
    for member in list(obj.members.values()):
        if not member.is_alias:
            yield from _walk(member)  # type: ignore[arg-type]


def _comment_doc(attr: griffe.Object) -> str:
    """The ``#:`` comment lines right above an attribute's assignment."""
    if attr.filepath is None or attr.lineno is None:
        return ""
    try:
        lines = attr.lines_collection[attr.filepath]  # type: ignore[index]
    except KeyError:
        return ""
    found: list[str] = []
    i = attr.lineno - 2
    while i >= 0 and lines[i].lstrip().startswith("#:"):
        found.insert(0, lines[i].lstrip()[2:].strip())
        i -= 1
    return " ".join(found)


def _param_help(attr: griffe.Object) -> str:
    """The help text of a notebook parameter declared with ``param(default, help)`` or ``year_param(help)``."""
    value = getattr(attr, "value", None)
    name = str(getattr(value, "function", ""))
    if name not in ("param", "year_param"):
        return ""
    position = 1 if name == "param" else 0
    help_text = None
    positional = [a for a in value.arguments if not isinstance(a, griffe.ExprKeyword)]  # type: ignore[union-attr]
    for argument in value.arguments:  # type: ignore[union-attr]
        if isinstance(argument, griffe.ExprKeyword) and argument.name == "help":
            help_text = argument.value
    if help_text is None and len(positional) > position:
        help_text = positional[position]
    try:
        text = ast.literal_eval(str(help_text))
    except (ValueError, SyntaxError):
        return ""
    if not isinstance(text, str):
        return ""
    return f"Notebook parameter: {text}."


def _markdown(text: str, obj: griffe.Object, pkg: griffe.Module) -> str:
    lines = _split_grouped(_tables(text.split("\n")))
    out: list[str] = []
    section = ""
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
            continue
        if in_fence:
            out.append(line)
            i += 1
            continue
        heading = bool(line.strip()) and i + 1 < len(lines) and bool(_SECTION_RULE.match(lines[i + 1]))
        if heading and (i == 0 or not lines[i - 1].strip()):
            section = line.strip().lower()
        elif (
            section in _NAME_SECTIONS
            and line.strip()
            and not line[0].isspace()
            and i > 0
            and not lines[i - 1].strip()
            and not _SECTION_RULE.match(line)
            and not _ITEM.match(line)
        ):
            # prose after a parameter list would be read as one more parameter: it is a note
            out += ["Notes", "-----"]
            section = "notes"
        if line.lstrip().startswith(">>>") and section not in ("examples", "example"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            if out and out[-1].strip():
                out.append("")
            out += [f"{indent}```pycon", *block, f"{indent}```"]
            if i < len(lines):
                out.append("")
            continue
        if line.rstrip().endswith("::") and not line.rstrip().endswith(" ::") and _literal_follows(lines, i):
            line = line.rstrip()[:-1]
        out.append(_ROLE.sub(lambda m: _role(m, obj, pkg), line))
        i += 1
    return "\n".join(out)


def _split_grouped(lines: list[str]) -> list[str]:
    """Give each name of a grouped parameter line (``a, b : int``) its own entry with the shared description,
    so that each shows its own default from the signature."""
    out: list[str] = []
    section = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip() and i + 1 < len(lines) and _SECTION_RULE.match(lines[i + 1]):
            section = line.strip().lower()
        match = _ITEM.match(line) if section in _NAME_SECTIONS and line and not line[0].isspace() else None
        names, _, annotation = line.partition(":")
        if not match or "," not in names:
            out.append(line)
            i += 1
            continue
        j = i + 1
        while j < len(lines) and (not lines[j].strip() or lines[j][0].isspace()):
            j += 1
        while j > i + 1 and not lines[j - 1].strip():
            j -= 1
        for name in names.split(","):
            out.append(name.strip() + (f" :{annotation}" if annotation else ""))
            out += lines[i + 1 : j]
        i = j
    return out


def _literal_follows(lines: list[str], i: int) -> bool:
    """A blank line and an indented block follow line ``i`` (a reST literal block)."""
    if i + 2 >= len(lines) or lines[i + 1].strip():
        return False
    indent = len(lines[i]) - len(lines[i].lstrip())
    following = lines[i + 2]
    return bool(following.strip()) and len(following) - len(following.lstrip()) > indent


def _tables(lines: list[str]) -> list[str]:
    """Replace reST simple tables (border, header, border, rows, border) with Markdown tables."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        border = _BORDER.match(lines[i])
        if not border:
            out.append(lines[i])
            i += 1
            continue
        columns = [(m.start(), m.end()) for m in re.finditer(r"=+", lines[i])]
        rows: list[list[str]] = []
        borders = 1
        j = i + 1
        while j < len(lines) and borders < 3 and lines[j].strip():
            if _BORDER.match(lines[j]):
                borders += 1
            else:
                rows.append(_cells(lines[j], columns))
            j += 1
        if borders < 3 or len(rows) < 2:
            out.append(lines[i])
            i += 1
            continue
        indent = border.group(1)
        out.append(indent + "| " + " | ".join(rows[0]) + " |")
        out.append(indent + "|" + "|".join("---" for _ in columns) + "|")
        out += [indent + "| " + " | ".join(row) + " |" for row in rows[1:]]
        i = j
    return out


def _cells(line: str, columns: list[tuple[int, int]]) -> list[str]:
    """The cells of a table row: each column runs from its border's start to the next column's."""
    starts = [start for start, _ in columns] + [len(line)]
    return [line[a:b].strip().replace("|", "\\|") for a, b in zip(starts, starts[1:], strict=False)]


def _role(match: re.Match[str], obj: griffe.Object, pkg: griffe.Module) -> str:
    kind, short, name = match.group(1), match.group(2) == "~", match.group(3).strip()
    name = name.removesuffix("()")
    shown = name.rsplit(".", 1)[-1] if short else name
    target = _resolve(name, obj, pkg, module=kind == "mod")
    if target == _EXTERNAL:
        return f"`{shown}`"
    if target is None:
        if name.startswith("evalkit.") or ("." not in name and kind != "mod"):
            location = f"{obj.relative_filepath}:{obj.docstring.lineno if obj.docstring else obj.lineno}"
            _logger.warning(f"{location}: ({obj.path}) {match.group(0)} names nothing evalkit defines")
        return f"`{shown}`"
    # optional: an object the reference does not render (a private module's helper) is shown as code
    return f'<autoref identifier="{target}" optional>`{shown}`</autoref>'


def _resolve(name: str, obj: griffe.Object, pkg: griffe.Module, *, module: bool = False) -> str | None:
    """The path of the evalkit object ``name`` refers to from ``obj``'s scope; None when evalkit has none."""
    candidates = []
    if name == "evalkit" or name.startswith("evalkit."):
        candidates.append(name)
    else:
        head, _, rest = name.partition(".")
        try:
            resolved = obj.resolve(head)
        except Exception:  # noqa: BLE001 - griffe raises NameResolutionError and friends
            resolved = None
        if resolved:
            candidates.append(resolved + ("." + rest if rest else ""))
        candidates.append(f"{obj.module.path}.{name}")
        candidates.append(f"evalkit.{name}")
    for path in candidates:
        if path != "evalkit" and not path.startswith("evalkit."):
            continue
        try:
            found = pkg[path.removeprefix("evalkit").lstrip(".")] if path != "evalkit" else pkg
        except Exception:  # noqa: BLE001 - KeyError: not an evalkit object
            continue
        if found.is_alias and not found.target_path.startswith("evalkit"):
            return _EXTERNAL  # imported from another package (numpy, pandas, the standard library)
        try:
            final = found.final_target if found.is_alias else found
        except Exception:  # noqa: BLE001 - alias resolution errors
            continue
        if not module and final.is_module and not final.is_package and final.name in final.members:
            # a module named like the function it defines, re-exported by its package: griffe keeps the module
            # under that name (mkdocstrings/griffe#124) and the reference renders the function as ``name.name``
            inner = final.members[final.name]
            if not inner.is_alias and (inner.is_function or inner.is_class):
                return inner.path
        return path if found.is_alias else final.path
    return None
