"""One module per notebook: its parameter specification and the sections that build its tables and figures.

=========================  ============================================  ==================
notebook                   module                                        evaluation
=========================  ============================================  ==================
``00_data_quality``        :mod:`evalkit.evaluations.data_quality`       ``DataQuality``
``01_incidence_trends``    :mod:`evalkit.evaluations.incidence`          ``Incidence``
``02_microcredit``         :mod:`evalkit.evaluations.microcredit`        ``Microcredit``
``03_training_outcomes``   :mod:`evalkit.evaluations.training`           ``Training``
``04_return_to_poverty``   :mod:`evalkit.evaluations.return_to_poverty`  ``ReturnToPoverty``
``05_exit_assessment``     :mod:`evalkit.evaluations.exit_assessment`    ``ExitAssessment``
``06_program_coverage``    :mod:`evalkit.evaluations.coverage`           ``Coverage``
``07_registry_overview``   :mod:`evalkit.evaluations.registry_overview`  ``RegistryOverview``
=========================  ============================================  ==================

A notebook validates its parameters (:func:`evalkit.params.check` returns the module's ``Params``), builds
its evaluation and calls one method per section; each method returns a :class:`~evalkit.report.Section`
that :meth:`~evalkit.report.NotebookOutputs.write` writes and the notebook displays. The same calls work in
a script or a test, without a notebook:

>>> from evalkit import evaluations
>>> evaluations.evaluation_class("07_registry_overview").__name__
'RegistryOverview'
>>> sorted(evaluations.NOTEBOOKS)[:2]
['00_data_quality', '01_incidence_trends']

Modules are imported when first asked for, so that reading one notebook's parameters does not import
every method evalkit has.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evalkit.evaluations.base import Evaluation, Spec

__all__ = ["NOTEBOOKS", "module", "evaluation_class", "spec"]

#: notebook -> (module in this package, evaluation class)
NOTEBOOKS: dict[str, tuple[str, str]] = {
    "00_data_quality": ("data_quality", "DataQuality"),
    "01_incidence_trends": ("incidence", "Incidence"),
    "02_microcredit": ("microcredit", "Microcredit"),
    "03_training_outcomes": ("training", "Training"),
    "04_return_to_poverty": ("return_to_poverty", "ReturnToPoverty"),
    "05_exit_assessment": ("exit_assessment", "ExitAssessment"),
    "06_program_coverage": ("coverage", "Coverage"),
    "07_registry_overview": ("registry_overview", "RegistryOverview"),
}

_MODULES = {name for name, _ in NOTEBOOKS.values()} | {"base"}


def module(notebook: str) -> ModuleType:
    """The evaluation module of ``notebook`` (its file name without ``.ipynb``).

    Raises
    ------
    KeyError
        No evaluation belongs to that notebook.
    """
    name, _ = NOTEBOOKS[notebook]
    return importlib.import_module(f"{__name__}.{name}")


def evaluation_class(notebook: str) -> type[Evaluation]:
    """The :class:`~evalkit.evaluations.base.Evaluation` subclass of ``notebook``."""
    return getattr(module(notebook), NOTEBOOKS[notebook][1])


def spec(notebook: str) -> type[Spec] | None:
    """The parameter specification of ``notebook``, or None for a notebook evalkit does not know."""
    return module(notebook).Params if notebook in NOTEBOOKS else None


def __getattr__(name: str) -> ModuleType:
    if name in _MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
