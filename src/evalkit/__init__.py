"""evalkit: evaluate poverty-alleviation programs from registry and survey data.

Subpackages are imported lazily so that ``import evalkit`` stays cheap in
worker processes; use ``from evalkit import published`` or ``evalkit.published``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evalkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

_SUBMODULES = {
    "paths",
    "errors",
    "published",
    "reference",
    "params",
    "plots",
    "report",
    "runner",
    "validation",
    "synth",
    "datasets",
}

__all__ = sorted(_SUBMODULES | {"__version__"})


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return importlib.import_module(f"evalkit.{name}")
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")
