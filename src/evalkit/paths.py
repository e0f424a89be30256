"""Every path evalkit uses, built from one project root.

Nothing else in evalkit joins folder names onto the current directory: notebooks
run by papermill (whose working directory varies) and tests find the same files.

The root is, in order: the ``EVALKIT_ROOT`` environment variable; or the folder
holding ``pyproject.toml`` above this file (the repository, for the editable
install that ``make`` performs). Outputs go under ``EVALKIT_OUTPUT_ROOT`` when it
is set (tests use this), else ``<root>/outputs``.

Examples
--------
>>> from evalkit import paths
>>> paths.published_dir().name
'published'
>>> paths.notebook_output_dir(2018, "01_incidence_trends").parts[-2:]
('2018', '01_incidence_trends')
"""

from __future__ import annotations

import os
from pathlib import Path

from evalkit.errors import ConfigurationError

__all__ = [
    "project_root",
    "data_dir",
    "published_dir",
    "reference_dir",
    "notebooks_dir",
    "outputs_root",
    "year_output_dir",
    "notebook_output_dir",
    "report_source",
]


def project_root() -> Path:
    """Return the repository root (see the module docstring for the rules)."""
    env = os.environ.get("EVALKIT_ROOT")
    if env:
        root = Path(env).expanduser().resolve()
        if not (root / "data").is_dir():
            raise ConfigurationError(
                f"EVALKIT_ROOT={env!r} has no data/ folder; point it at the evalkit repository or unset it."
            )
        return root
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "data").is_dir():
            return parent
    raise ConfigurationError(
        "evalkit cannot find its project folder (a folder with pyproject.toml and data/ "
        f"above {here}). Install it from the repository with `make setup`, or set "
        "EVALKIT_ROOT to the repository path."
    )


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Folder holding the embedded data, or ``override`` when given and non-empty."""
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_dir():
            raise ConfigurationError(f"data folder {str(path)!r} does not exist.")
        return path
    return project_root() / "data"


def published_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Folder with the report's published figures (``ledger.csv`` and friends)."""
    return data_dir(override) / "published"


def reference_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """Folder with reference tables: thresholds, poverty lines, each with a source.

    A data package (``override``) may carry its own ``reference/`` folder (another province's lines or
    thresholds); without one, evalkit's own tables apply.
    """
    if override:
        own = data_dir(override) / "reference"
        if own.is_dir():
            return own
    return project_root() / "data" / "reference"


def report_source(override: str | os.PathLike[str] | None = None) -> Path:
    """The county report's text, kept verbatim as the ledger's source."""
    return published_dir(override) / "source" / "licheng_report_2019_zh.txt"


def notebooks_dir() -> Path:
    """Folder holding the parameterized notebooks."""
    return project_root() / "notebooks"


def outputs_root() -> Path:
    """Root of generated outputs (``EVALKIT_OUTPUT_ROOT`` or ``<root>/outputs``)."""
    env = os.environ.get("EVALKIT_OUTPUT_ROOT")
    if env:
        return Path(env).expanduser().resolve()
    return project_root() / "outputs"


def year_output_dir(year: int) -> Path:
    """``outputs/<year>/``: where one annual run writes."""
    return outputs_root() / str(int(year))


def notebook_output_dir(year: int, notebook: str) -> Path:
    """``outputs/<year>/<notebook>/``: figures, tables and metrics of one notebook."""
    return year_output_dir(year) / notebook
