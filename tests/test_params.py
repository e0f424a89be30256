"""Parameter validation for notebooks."""

from __future__ import annotations

import pytest

from evalkit import params
from evalkit.errors import NotebookNotFoundError, ParameterError


@pytest.fixture(scope="module")
def declared():
    return params.notebook_parameters(params.find_notebook("01_incidence_trends"))


def test_declared_parameters(declared) -> None:
    assert list(declared) == ["year", "lang", "data_dir", "out_dir", "line", "group_by", "af_k"]
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
