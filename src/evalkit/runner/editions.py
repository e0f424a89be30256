"""Which of a notebook's cells one run keeps: the edition for its language and its kind of data.

A notebook holds every edition side by side, so that JupyterLab shows all of it; a cell's tags say which
edition it belongs to:

==================  =====================================================================
tag                 kept when
==================  =====================================================================
``lang-en``         the run's ``lang`` is ``en``
``lang-zh``         the run's ``lang`` is ``zh``
``data-synthetic``  the data package is SYNTHETIC (evalkit's own county, planted truth)
``data-own``        the data package is a county's own (``evalkit build``)
``notebook-only``   always in the executed notebook, never in the report (parameters, files)
==================  =====================================================================

A cell with none of these tags belongs to every edition. The runner removes the other editions' cells
before it executes a notebook, so the executed notebook and its report hold one language and never call
a county's own data synthetic.

>>> cells = [{"metadata": {"tags": ["lang-en"]}}, {"metadata": {"tags": ["lang-zh"]}}, {"metadata": {}}]
>>> [keeps(c, lang="zh", synthetic=True) for c in cells]
[False, True, True]
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

__all__ = ["TAGS", "NOTEBOOK_ONLY", "keeps", "select", "in_report", "for_report"]

TAGS = {"lang-en", "lang-zh", "data-synthetic", "data-own", "notebook-only"}

#: Cells with this tag are kept in the executed notebook (for analysts) and left out of the report.
NOTEBOOK_ONLY = "notebook-only"


def keeps(cell: Mapping[str, object], *, lang: str, synthetic: bool) -> bool:
    """Whether ``cell`` belongs to the edition in ``lang`` on synthetic (or own) data."""
    metadata = cell.get("metadata") or {}
    tags = set(metadata.get("tags", ())) if isinstance(metadata, Mapping) else set()
    languages = {t.removeprefix("lang-") for t in tags if t.startswith("lang-")}
    data = {t.removeprefix("data-") for t in tags if t.startswith("data-")}
    if languages and lang not in languages:
        return False
    return not data or ("synthetic" if synthetic else "own") in data


def select(notebook: Mapping[str, object], *, lang: str, synthetic: bool) -> dict[str, object]:
    """A copy of ``notebook`` (its JSON as a dict, or an ``nbformat`` node) with only the cells of one
    edition; the original is not changed."""
    out = copy.deepcopy(notebook)
    out["cells"] = [c for c in out["cells"] if keeps(c, lang=lang, synthetic=synthetic)]
    return out


def in_report(cell: Mapping[str, object]) -> bool:
    """Whether an executed notebook's ``cell`` belongs in its report (not tagged ``notebook-only``)."""
    metadata = cell.get("metadata") or {}
    return NOTEBOOK_ONLY not in (metadata.get("tags", ()) if isinstance(metadata, Mapping) else ())


def for_report(notebook: Mapping[str, object]) -> dict[str, object]:
    """A copy of an executed ``notebook`` as its report shows it: without ``notebook-only`` cells, and
    without what Python printed (stream outputs): a report shows what the evaluation displays.

    >>> nb = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [{"output_type": "stream"},
    ...       {"output_type": "display_data"}]}, {"cell_type": "markdown", "metadata": {"tags": ["notebook-only"]}}]}
    >>> [[o["output_type"] for o in c["outputs"]] for c in for_report(nb)["cells"]]
    [['display_data']]
    """
    out = copy.deepcopy(notebook)
    out["cells"] = [c for c in out["cells"] if in_report(c)]
    for cell in out["cells"]:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [o for o in cell.get("outputs", []) if o.get("output_type") != "stream"]
    return out
