"""Parameter validation for notebooks."""

from __future__ import annotations

import pytest

from evalkit import params
from evalkit.errors import NotebookNotFoundError, ParameterError


@pytest.fixture(scope="module")
def declared():
    return params.notebook_parameters(params.find_notebook("01_incidence_trends"))


def test_declared_parameters(declared) -> None:
    assert list(declared) == [
        "year",
        "lang",
        "data_dir",
        "out_dir",
        "min_count",
        "line",
        "relative_share",
        "group_by",
        "af_k",
    ]
    assert declared["year"].type_name == "int" and declared["year"].default == 2018
    assert declared["lang"].default == "en" and declared["lang"].help


def test_problems_name_notebook_parameter_and_allowed_values(declared) -> None:
    problems = params.validate(
        "01_incidence_trends", declared, {"year": 2030, "lang": "fr", "colour": "red", "out_dir": 3}
    )
    joined = "\n".join(problems)
    assert "parameter 'year' = 2030 is not allowed; allowed values: 2015, 2016, 2017, 2018" in joined
    assert "parameter 'lang' = 'fr' is not allowed; allowed values: en, zh" in joined
    assert "unknown parameter 'colour'; this notebook takes: year, lang, data_dir, out_dir" in joined
    assert "parameter 'out_dir' must be str, got int 3" in joined


def test_bool_is_not_an_int(declared) -> None:
    assert params.validate("nb", declared, {"year": True}) == ["nb: parameter 'year' must be int, got bool True"]


def test_check_inside_notebook() -> None:
    with pytest.raises(ParameterError, match="allowed values: en, zh"):
        params.check("01_incidence_trends", year=2018, lang="de")
    resolved = params.check("01_incidence_trends", year=2015, lang="en", out_dir="/tmp/x")
    assert str(resolved.out_dir) == "/tmp/x"


def test_unknown_notebook() -> None:
    with pytest.raises(
        NotebookNotFoundError,
        match=(
            "available: 00_data_quality, 01_incidence_trends, 02_microcredit, 03_training_outcomes, "
            "04_return_to_poverty, 05_exit_assessment, 06_program_coverage, 07_registry_overview"
        ),
    ):
        params.find_notebook("99_nothing")


def test_parameters_read_as_papermill_reads_them() -> None:
    """evalkit reads the parameters cell itself (no papermill import); the result equals papermill's."""
    import ast

    import papermill as pm

    from evalkit import paths

    for path in sorted(paths.notebooks_dir().glob("[0-9][0-9]_*.ipynb")):
        mine, theirs = params.notebook_parameters(path), pm.inspect_notebook(str(path))
        assert list(mine) == list(theirs), path.name
        for name, info in theirs.items():
            default = ast.literal_eval(info["default"])
            assert (mine[name].type_name, mine[name].default, mine[name].help) == (
                info["inferred_type_name"],
                default,
                info["help"],
            ), (path.name, name)


def test_parameters_cell_by_hand(tmp_path) -> None:
    import json

    cell = 'year: int = 2018  # the year\nlang = "en"\nx: float = (\n    1.5\n)  # spans lines\nimport os\n'
    nb = {"cells": [{"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": cell}], "nbformat": 4}
    path = tmp_path / "a.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    got = params.notebook_parameters(path)
    assert got["year"] == params.Parameter("year", "int", 2018, "the year")
    assert got["lang"] == params.Parameter("lang", "None", "en", "")
    assert got["x"] == params.Parameter("x", "float", 1.5, "spans lines")
    assert list(got) == ["year", "lang", "x"]
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ParameterError, match="a.ipynb: cannot read its parameters"):
        params.notebook_parameters(path)
