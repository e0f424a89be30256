"""A statistical risk model: next year's income fall (and return to poverty) from this year's registry.

Each household-year ``t`` gets features computed from years up to ``t`` only (:func:`features`); the
label is what happens in ``t + 1``. :func:`fit` trains a logistic regression (statsmodels) on the
household-years whose label year is at most ``train_until``; scoring the features of ``train_until``
then predicts ``train_until + 1``, a year the model has never seen (out-of-time validation).

Two labels:

* ``falls`` — per-capita income lower than the year before (the report's 年收入下降; it happens every
  year, so the model can be trained on earlier years);
* ``returns`` — an exited household's income below the poverty line (返贫). In the synthetic county this
  happens only in 2019, so it is used to test the model trained on ``falls``, never to train it.

:func:`roc_auc` (Mann–Whitney), :func:`calibration` (observed against predicted by risk decile) and
:func:`precision_recall_at` (a screening budget of the top ``k`` households) evaluate the scores.
Gradient boosting was considered and left out: with a handful of features and a few hundred events a
logistic model is as accurate, and its odds ratios say which factors drive risk.

>>> roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
0.75
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.errors import EstimationError
from evalkit.results import critical_value

__all__ = ["features", "fit", "RiskModel", "roc_auc", "calibration", "precision_recall_at", "FEATURES"]

FEATURES = (
    "log_income_ratio",
    "transfer_share",
    "income_change",
    "fell_last_year",
    "major_event",
    "household_size",
    "exited",
    "illness",
    "disability",
    "dibao",
    "relocated",
)


def features(panel: pd.DataFrame, households: pd.DataFrame) -> pd.DataFrame:
    """One row per household-year: features from that year and earlier, and the next year's labels
    (``falls``, ``returns``; missing in the last year).

    ``panel``: ``household_id, year, income_pc, transfer_pc, poverty_line, major_event, dibao_pc,
    relocated``; ``households``: ``household_id, household_size, main_cause, exit_year``.
    """
    data = panel.merge(
        households[["household_id", "household_size", "main_cause", "exit_year"]], on="household_id", how="left"
    ).sort_values(["household_id", "year"])
    income = data["income_pc"].astype(float).clip(lower=1.0)
    previous = data.groupby("household_id")["income_pc"].shift(1)
    out = pd.DataFrame(
        {
            "household_id": data["household_id"],
            "year": data["year"],
            "log_income_ratio": np.log(income / data["poverty_line"]),
            "transfer_share": (data["transfer_pc"] / income).clip(0, 1),
            "income_change": np.log(income / previous.clip(lower=1.0)).fillna(0.0),
            "fell_last_year": (data["income_pc"] < previous).astype(int),
            "major_event": data["major_event"].astype(int),
            "household_size": data["household_size"].astype(float),
            "exited": (data["exit_year"].notna() & (data["year"] >= data["exit_year"])).astype(int),
            "illness": (data["main_cause"] == "illness").astype(int),
            "disability": (data["main_cause"] == "disability").astype(int),
            "dibao": (data["dibao_pc"] > 0).astype(int),
            "relocated": data["relocated"].astype(int),
        }
    )
    following = data.groupby("household_id")["income_pc"].shift(-1)
    line_next = data.groupby("household_id")["poverty_line"].shift(-1)
    known = following.notna()
    out["falls"] = (following < data["income_pc"]).where(known).astype("Float64")
    out["returns"] = ((following < line_next) & out["exited"].astype(bool)).where(known & out["exited"].astype(bool))
    out["returns"] = out["returns"].astype("Float64")
    out["label_year"] = data["year"] + 1
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class RiskModel:
    """A fitted logistic risk model: ``predict(frame)``, ``odds_ratios(level)``."""

    params: pd.Series
    cov: pd.DataFrame
    label: str
    train_until: int
    n_train: int
    events_train: int
    left_out: tuple[str, ...] = ()  # 0/1 features that separate the classes in the training years
    converged: bool = True

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        x = np.column_stack([np.ones(len(frame)), frame[list(self.params.index[1:])].to_numpy(dtype=float)])
        return 1 / (1 + np.exp(-(x @ self.params.to_numpy())))

    def odds_ratios(self, level: float = 0.95) -> pd.DataFrame:
        """Odds ratio of each feature with its ``level`` interval (normal) and p-value."""
        z = critical_value(level, None)
        se = np.sqrt(np.diag(self.cov.to_numpy()))
        b = self.params.to_numpy()
        table = pd.DataFrame(
            {
                "term": self.params.index,
                "odds_ratio": np.exp(b),
                "ci_low": np.exp(b - z * se),
                "ci_high": np.exp(b + z * se),
                "p_value": 2 * stats.norm.sf(np.abs(b / se)),
            }
        )
        return table.loc[table["term"] != "const"].reset_index(drop=True)


def fit(
    frame: pd.DataFrame, *, train_until: int, label: str = "falls", columns: tuple[str, ...] = FEATURES
) -> RiskModel:
    """Logistic regression of ``label`` on ``columns`` over household-years whose label year is at most
    ``train_until`` (nothing later is read); standard errors clustered by household."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    train = frame.loc[(frame["label_year"] <= train_until) & frame[label].notna()]
    y = train[label].astype(float).to_numpy()
    if y.sum() == 0 or y.sum() == len(y):
        raise EstimationError(
            f"no variation in {label!r} up to {train_until}: the model cannot be trained on those years "
            "(choose a later year or another label)"
        )
    usable = [c for c in columns if train[c].std() > 0]
    left_out = tuple(c for c in usable if _separates(train[c].to_numpy(dtype=float), y))
    usable = [c for c in usable if c not in left_out]
    x = sm.add_constant(train[usable].astype(float), has_constant="add")
    groups = pd.factorize(train["household_id"])[0]
    with warnings.catch_warnings():  # convergence is read from the result and reported, not printed
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = sm.Logit(y, x).fit(disp=0, maxiter=100, cov_type="cluster", cov_kwds={"groups": groups})
    return RiskModel(
        result.params,
        result.cov_params(),
        label,
        train_until,
        len(train),
        int(y.sum()),
        left_out=left_out,
        converged=bool(result.mle_retvals.get("converged", True)),
    )


def _separates(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether a 0/1 feature separates the classes (quasi-completely): one of its four cells with the label
    is empty, so its odds ratio is 0 or infinite and the likelihood has no maximum.

    >>> _separates(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 0]))  # no event where the feature is 1
    True
    >>> _separates(np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]))
    False
    """
    values = np.unique(x)
    if len(values) != 2 or not set(values) <= {0.0, 1.0}:
        return False
    cells = np.bincount((2 * x + y).astype(int), minlength=4)
    return bool((cells == 0).any())


def roc_auc(score: object, label: object) -> float:
    """Area under the ROC curve: the probability that a random event outranks a random non-event (ties 1/2)."""
    s = np.asarray(score, dtype=float)
    y = np.asarray(label, dtype=float)
    positives, negatives = int((y == 1).sum()), int((y == 0).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = stats.rankdata(s)
    return float((ranks[y == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def calibration(score: object, label: object, bins: int = 10) -> pd.DataFrame:
    """Mean predicted risk and observed rate by predicted-risk group (equal-count bins)."""
    frame = pd.DataFrame({"score": np.asarray(score, dtype=float), "label": np.asarray(label, dtype=float)})
    frame["bin"] = pd.qcut(frame["score"].rank(method="first"), bins, labels=False) + 1
    return (
        frame.groupby("bin")
        .agg(households=("label", "size"), predicted=("score", "mean"), observed=("label", "mean"))
        .reset_index()
    )


def precision_recall_at(score: object, label: object, k: int) -> dict[str, float]:
    """Screen the ``k`` highest scores: the share of them with the event (precision) and the share of all
    events they catch (recall)."""
    s = np.asarray(score, dtype=float)
    y = np.asarray(label, dtype=float)
    top = np.argsort(-s, kind="stable")[:k]
    caught = float(y[top].sum())
    return {"k": k, "precision": caught / max(k, 1), "recall": caught / y.sum() if y.sum() else float("nan")}


@dataclass(frozen=True)
class OutOfTime:
    """A model trained on label years up to ``year`` and its scores for ``year + 1``."""

    model: RiskModel
    test: pd.DataFrame  # features of ``year`` with the labels of ``year + 1`` and a ``score`` column
    auc_falls: float
    auc_returns: float
    returns: int


def out_of_time(frame: pd.DataFrame, year: int) -> OutOfTime:
    """Train on label years up to ``year``, score the households of ``year``, evaluate on ``year + 1``."""
    model = fit(frame, train_until=year)
    test = frame.loc[frame["year"] == year].copy()
    test["score"] = model.predict(test)
    falls = test["falls"].notna()
    returns = test["returns"].notna()
    return OutOfTime(
        model,
        test,
        roc_auc(test.loc[falls, "score"], test.loc[falls, "falls"].astype(float)),
        roc_auc(test.loc[returns, "score"], test.loc[returns, "returns"].astype(float)),
        int(test.loc[returns, "returns"].sum()),
    )


def screening_curve(score: object, label: object, ks: object) -> pd.DataFrame:
    """Precision and recall of screening the top ``k`` households, for each ``k``."""
    return pd.DataFrame([precision_recall_at(score, label, int(k)) for k in ks])


__all__ += ["OutOfTime", "out_of_time", "screening_curve"]
