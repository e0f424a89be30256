"""Finite-population corrections and replicate weights against R's survey package on its own example data
(the California schools of ``data(api)``), computed live by survey (R, installed by ``make reference-r``).

The replicate weights are survey's own (``as.svrepdesign``: the delete-one-cluster jackknife, and a seeded
bootstrap), handed to evalkit with the scale survey gives them, as an office hands on the replicate weights
a statistics bureau publishes.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from evalkit import indicators as ind
from evalkit.indicators import Design

SCRIPT = r"""
suppressMessages(library(survey))
data(api)
out <- commandArgs(TRUE)[1]
dclus1 <- svydesign(id = ~dnum, weights = ~pw, data = apiclus1, fpc = ~fpc)
rclus1 <- as.svrepdesign(dclus1)
set.seed(20261130)
bclus1 <- as.svrepdesign(dclus1, type = "bootstrap", replicates = 100)
dstrat <- svydesign(id = ~1, strata = ~stype, weights = ~pw, data = apistrat, fpc = ~fpc)
write.csv(apiclus1[, c("dnum", "pw", "fpc", "api00")], file.path(out, "apiclus1.csv"), row.names = FALSE)
write.csv(apistrat[, c("stype", "pw", "fpc", "api00")], file.path(out, "apistrat.csv"), row.names = FALSE)
write.csv(weights(rclus1, "analysis"), file.path(out, "jk1.csv"), row.names = FALSE)
write.csv(weights(bclus1, "analysis"), file.path(out, "bootstrap.csv"), row.names = FALSE)
one <- function(design, name, fit, scale = NA, mse = NA) {
  data.frame(design = name, value = as.numeric(coef(fit)), se = as.numeric(SE(fit)), scale = scale, mse = mse)
}
res <- rbind(
  one(dclus1, "cluster_fpc", svymean(~api00, dclus1)),
  one(rclus1, "jk1", svymean(~api00, rclus1), rclus1$scale, rclus1$mse),
  one(bclus1, "bootstrap", svymean(~api00, bclus1), bclus1$scale, bclus1$mse),
  one(dstrat, "strat_fpc", svymean(~api00, dstrat))
)
write.csv(res, file.path(out, "survey.csv"), row.names = FALSE)
"""


@pytest.fixture(scope="module")
def survey_r(tmp_path_factory) -> dict[str, pd.DataFrame]:
    if shutil.which("Rscript") is None:
        pytest.skip("R is not installed; `make reference-r` installs R with its survey package")
    folder = tmp_path_factory.mktemp("survey")
    (folder / "api.R").write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run(["Rscript", str(folder / "api.R"), str(folder)], capture_output=True, text=True, timeout=300)
    if done.returncode != 0 and "there is no package" in done.stderr:
        pytest.skip("R's survey package is not installed; `make reference-r` installs it (r-cran-survey)")
    assert done.returncode == 0, done.stderr
    names = ("apiclus1", "apistrat", "jk1", "bootstrap", "survey")
    return {name: pd.read_csv(folder / f"{name}.csv") for name in names}


def test_finite_population_corrections_equal_surveys(survey_r) -> None:
    results = survey_r["survey"].set_index("design")
    clus = survey_r["apiclus1"]
    one_stage = Design.of(len(clus), weights=clus["pw"], clusters=clus["dnum"], fpc=clus["fpc"])
    mean = ind.mean_income(clus["api00"], design=one_stage)
    assert mean.estimate == pytest.approx(results.loc["cluster_fpc", "value"], rel=1e-12)
    assert mean.std_error == pytest.approx(results.loc["cluster_fpc", "se"], rel=1e-10)
    strat = survey_r["apistrat"]
    stratified = Design.of(len(strat), weights=strat["pw"], strata=strat["stype"], fpc=strat["fpc"])
    mean = ind.mean_income(strat["api00"], design=stratified)
    assert mean.estimate == pytest.approx(results.loc["strat_fpc", "value"], rel=1e-12)
    assert mean.std_error == pytest.approx(results.loc["strat_fpc", "se"], rel=1e-10)


@pytest.mark.parametrize("kind", ["jk1", "bootstrap"])
def test_replicate_weights_equal_surveys(survey_r, kind) -> None:
    results = survey_r["survey"].set_index("design")
    clus = survey_r["apiclus1"]
    replicates = survey_r[kind].to_numpy(dtype=float)
    design = Design.of(
        len(clus),
        weights=clus["pw"],
        replicates=replicates,
        replicate_type="other",
        replicate_scale=float(results.loc[kind, "scale"]),
        replicate_mse=bool(results.loc[kind, "mse"]),
    )
    mean = ind.mean_income(clus["api00"], design=design)
    assert mean.se_method == "replicate"
    assert mean.estimate == pytest.approx(results.loc[kind, "value"], rel=1e-12)
    assert mean.std_error == pytest.approx(results.loc[kind, "se"], rel=1e-10)
    # the same replicates re-estimate a median: its error is the replicates' spread, written out here
    median = ind.median(clus["api00"], design=design)
    values = np.array(
        [ind.median(clus["api00"], replicates[:, r], se="none").estimate for r in range(replicates.shape[1])]
    )
    manual = float(results.loc[kind, "scale"]) * ((values - values.mean()) ** 2).sum()
    assert median.std_error == pytest.approx(np.sqrt(manual), rel=1e-12)
