"""evalkit: evaluate poverty-alleviation programs from registry and survey data.

Every module below is reachable as ``evalkit.<name>`` (``evalkit.impact.did``, ``evalkit.indicators.fgt``);
each is imported on first use, so that ``import evalkit`` stays cheap in worker processes. The floors,
lowest first (each imports only from the floors below it; a test holds the code to it):

* ground: ``paths``, ``errors``, ``labels``, ``validation``, ``results``, ``spreadsheets``, ``folders``, ``disclosure``;
* data access: ``published``, ``reference``, ``datasets``;
* reading: ``io`` (exports in, cleaning, de-identification);
* methods: ``indicators``, ``impact``, ``assessment``, ``risk``, ``programs``, ``sampling``, ``crosscheck``,
  ``engines``;
* the synthetic-county generator: ``synth``;
* output: ``report``, ``plots``;
* ``evaluations``: one module per notebook;
* top: ``params``, ``runner``, ``cli``.

>>> import evalkit
>>> callable(evalkit.impact.did), "evaluations" in evalkit.__all__
(True, True)
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("evalkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

_SUBMODULES = {
    # ground
    "paths",
    "errors",
    "labels",
    "validation",
    "results",
    "spreadsheets",
    "folders",
    "disclosure",
    "package",
    # data access
    "published",
    "reference",
    "datasets",
    # reading
    "io",
    # methods
    "indicators",
    "impact",
    "assessment",
    "risk",
    "programs",
    "sampling",
    "crosscheck",
    "engines",
    "build",
    # generator
    "synth",
    # output
    "report",
    "plots",
    # one module per notebook
    "evaluations",
    # top
    "params",
    "runner",
    "cli",
}

__all__ = sorted(_SUBMODULES | {"__version__"})


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        return importlib.import_module(f"evalkit.{name}")
    raise AttributeError(f"module 'evalkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__
