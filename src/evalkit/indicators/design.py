"""Survey designs: weights, strata and clusters; linearized variances and cluster bootstrap replicates.

The variance of a smooth estimator is computed from its influence values
``z_i`` (so that the estimate's error is approximately ``sum_i w_i z_i``) by
the usual with-replacement formula for the first stage:

    V = sum_h n_h / (n_h - 1) * sum_{c in h} (t_c - tbar_h)^2,   t_c = sum_{i in c} w_i z_i

with ``n_h`` clusters in stratum ``h`` (each unit its own cluster when no
clusters are given; one stratum when none are given). Degrees of freedom are
clusters minus strata. Strata with a single cluster contribute nothing and are
counted in ``Design.lonely_strata``.

A finite-population correction (``fpc``, one value per observation, constant within a stratum: the
number of clusters in the stratum's population, or the sampling fraction when every value is at most 1)
multiplies a stratum's term by ``1 - n_h / N_h``.

Replicate weights published with a survey (``replicates``: one column of weights per replicate, with
``replicate_type`` one of :data:`REPLICATE_TYPES`) give the variance
``scale * sum_r rscale_r (theta_r - theta_bar)^2``, each ``theta_r`` being the indicator recomputed with
replicate ``r``'s weights and ``theta_bar`` the replicates' mean (or the full-sample estimate with
``replicate_mse=True``). The scales follow R's survey package: ``bootstrap`` 1 / (R - 1); ``jk1``
(R - 1) / R; ``brr`` 1 / R; ``fay`` 1 / (R (1 - rho)^2); ``other`` as given.

The bootstrap is the Rao–Wu rescaled cluster bootstrap: in each stratum,
``n_h - 1`` clusters are drawn with replacement and the weights of a cluster
drawn ``k`` times are multiplied by ``k n_h / (n_h - 1)``. Replicates are a
matrix of cluster multipliers, so totals are aggregated to clusters once and
every replicate is a matrix product (no Python loop over replicates).

Examples
--------
>>> d = Design.of(4, weights=[1, 1, 2, 2], strata=["a", "a", "b", "b"], clusters=[1, 2, 3, 4])
>>> d.n_clusters, d.n_strata, d.df
(4, 2, 2)
>>> round(d.variance(np.array([1.0, -1.0, 0.5, -0.5])), 6)  # t = [1, -1, 1, -1]: 2/1*(1+1) + 2/1*(1+1)
8.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Design", "REPLICATE_TYPES"]

#: Kinds of replicate weights a design accepts (``replicate_type``).
REPLICATE_TYPES = ("bootstrap", "jk1", "brr", "fay", "other")


def _codes(values: object, n: int, name: str) -> np.ndarray:
    if values is None:
        return np.zeros(n, dtype=np.int64) if name == "strata" else np.arange(n, dtype=np.int64)
    array = pd.Series(np.asarray(values))
    if len(array) != n:
        raise ValueError(f"{name} has {len(array)} values for {n} observations")
    if array.isna().any():
        raise ValueError(f"{name} has missing values")
    return pd.factorize(array, sort=True)[0].astype(np.int64)


@dataclass(frozen=True)
class Design:
    """Weights, stratum codes and cluster codes for ``n`` observations (clusters nested in strata)."""

    weights: np.ndarray
    strata: np.ndarray
    clusters: np.ndarray
    cluster_stratum: np.ndarray
    clustered: bool
    fpc: np.ndarray | None = None
    replicates: np.ndarray | None = None
    replicate_scales: np.ndarray | None = None
    replicate_mse: bool = False

    @classmethod
    def of(
        cls,
        n: int,
        *,
        weights: object = None,
        strata: object = None,
        clusters: object = None,
        fpc: object = None,
        replicates: object = None,
        replicate_type: str = "bootstrap",
        replicate_scale: float | None = None,
        replicate_rscales: object = None,
        replicate_rho: float | None = None,
        replicate_mse: bool = False,
    ) -> Design:
        """Build a design; missing parts default to equal weights, one stratum, each unit its own cluster.

        Examples
        --------
        Two strata of two clusters each, sampled from 4 and 20 clusters: the first stratum's term is halved.

        >>> d = Design.of(4, strata=[1, 1, 2, 2], fpc=[4, 4, 20, 20])
        >>> d.fpc.tolist()
        [0.5, 0.9]
        >>> round(d.variance(np.array([1.0, -1.0, 1.0, -1.0])), 6)  # 0.5 * 4 + 0.9 * 4
        5.6
        """
        w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        if w.shape != (n,):
            raise ValueError(f"weights have shape {w.shape} for {n} observations")
        if np.any(~np.isfinite(w)) or np.any(w < 0):
            raise ValueError("weights must be finite and non-negative")
        s = _codes(strata, n, "strata")
        raw = _codes(clusters, n, "clusters")
        # clusters are nested in strata: number (stratum, cluster) pairs
        pair = pd.factorize(s * (int(raw.max()) + 1 if n else 1) + raw, sort=True)[0]
        c = pair.astype(np.int64)
        cs = np.zeros(c.max() + 1 if n else 0, dtype=np.int64)
        cs[c] = s
        factor = None if fpc is None else _fpc_factors(fpc, s, cs, n)
        reps, scales = (None, None)
        if replicates is not None:
            reps, scales = _replicates(replicates, n, replicate_type, replicate_scale, replicate_rscales, replicate_rho)
        return cls(w, s, c, cs, clusters is not None, factor, reps, scales, bool(replicate_mse))

    @property
    def n(self) -> int:
        return int(self.weights.size)

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_stratum.size)

    @property
    def n_strata(self) -> int:
        return int(np.unique(self.cluster_stratum).size)

    @property
    def per_stratum(self) -> np.ndarray:
        """Number of clusters in each stratum (indexed by stratum code)."""
        return np.bincount(self.cluster_stratum, minlength=int(self.strata.max()) + 1 if self.n else 0)

    @property
    def lonely_strata(self) -> int:
        return int((self.per_stratum == 1).sum())

    @property
    def df(self) -> int:
        return self.n_clusters - self.n_strata

    @property
    def has_replicates(self) -> bool:
        return self.replicates is not None

    def replicate_variance(self, values: np.ndarray, estimate: float) -> float:
        """Variance from an indicator recomputed under each replicate's weights (``values``, one per replicate)."""
        assert self.replicate_scales is not None
        centre = estimate if self.replicate_mse else float(np.mean(values))
        return float(self.replicate_scales @ (values - centre) ** 2)

    def subset(self, mask: np.ndarray) -> Design:
        """The design restricted to some observations (for estimates computed on a subset, e.g. positive incomes).

        Prefer domain estimation (zero influence outside the domain) for subpopulations; this is for dropping
        observations an indicator cannot use.
        """
        return Design.of(
            int(mask.sum()),
            weights=self.weights[mask],
            strata=self.strata[mask],
            clusters=self.clusters[mask] if self.clustered else None,
        )

    def cluster_totals(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``weights * values`` by cluster; ``values`` may be (n,) or (k, n)."""
        wv = values * self.weights
        if wv.ndim == 1:
            return np.bincount(self.clusters, weights=wv, minlength=self.n_clusters)
        out = np.zeros((wv.shape[0], self.n_clusters))
        np.add.at(out.T, self.clusters, wv.T)
        return out

    def variance(self, influence: np.ndarray) -> float:
        """Linearized variance of an estimator with these influence values."""
        return float(self.variances(self.cluster_totals(influence)[None, :])[0])

    def variances(self, totals: np.ndarray) -> np.ndarray:
        """Linearized variances of several estimators at once from their cluster totals (rows of ``totals``,
        shape (k, clusters)): the with-replacement formula, times the finite-population correction."""
        t = np.atleast_2d(totals)
        h = self.cluster_stratum
        k = self.per_stratum.astype(float)
        sums = np.zeros((t.shape[0], k.size))
        squares = np.zeros((t.shape[0], k.size))
        np.add.at(sums.T, h, t.T)
        np.add.at(squares.T, h, (t * t).T)
        with np.errstate(invalid="ignore", divide="ignore"):
            within = squares - sums * sums / k
            factor = np.where(k > 1, k / (k - 1), 0.0)
        if self.fpc is not None:
            factor = factor * self.fpc
        return np.nansum(factor * within, axis=1)

    def replicate_factors(self, reps: int, seed: int | np.random.Generator = 0) -> np.ndarray:
        """Rao–Wu rescaled bootstrap multipliers, shape (reps, clusters); lonely strata keep factor 1."""
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        factors = np.ones((reps, self.n_clusters))
        counts = self.per_stratum
        order = np.argsort(self.cluster_stratum, kind="stable")
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        for h in np.flatnonzero(counts > 1):
            members = order[start[h] : start[h] + counts[h]]
            k = int(counts[h])
            draws = rng.integers(0, k, size=(reps, k - 1))
            # counts of each cluster in each replicate: one bincount over (replicate, cluster) cells
            cells = (np.arange(reps)[:, None] * k + draws).ravel()
            tally = np.bincount(cells, minlength=reps * k).reshape(reps, k).astype(float)
            factors[:, members] = tally * (k / (k - 1))
        return factors


def _fpc_factors(fpc: object, strata: np.ndarray, cluster_stratum: np.ndarray, n: int) -> np.ndarray:
    """``1 - n_h / N_h`` for each stratum from per-observation population cluster counts or fractions."""
    values = np.asarray(fpc, dtype=float).ravel()
    if values.shape != (n,) or np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"fpc must be {n} positive numbers (clusters in the population, or sampling fractions)")
    by_stratum = pd.Series(values).groupby(strata).agg(["min", "max"])
    if (by_stratum["min"] != by_stratum["max"]).any():
        raise ValueError("fpc must be the same for every observation of a stratum")
    per = by_stratum["min"].to_numpy()
    sampled = np.bincount(cluster_stratum, minlength=per.size).astype(float)
    if np.all(values <= 1):
        return 1.0 - per
    if np.any(per < sampled):
        raise ValueError("fpc gives fewer clusters in a stratum's population than were sampled from it")
    return 1.0 - sampled / per


def _replicates(
    replicates: object,
    n: int,
    kind: str,
    scale: float | None,
    rscales: object,
    rho: float | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Replicate weights as an (R, n) array and the per-replicate variance multipliers."""
    if kind not in REPLICATE_TYPES:
        raise ValueError(f"replicate_type must be one of {', '.join(REPLICATE_TYPES)}; got {kind!r}")
    matrix = np.asarray(replicates, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != n:
        raise ValueError(f"replicates must have one row per observation ({n}) and one column per replicate")
    if np.any(~np.isfinite(matrix)) or np.any(matrix < 0):
        raise ValueError("replicate weights must be finite and non-negative")
    r = matrix.shape[1]
    if r < 2:
        raise ValueError("replicate weights need at least two replicates")
    if kind == "fay" and (rho is None or not 0 <= rho < 1):
        raise ValueError("Fay's replicates need replicate_rho in [0, 1)")
    default = {
        "bootstrap": 1 / (r - 1),
        "jk1": (r - 1) / r,
        "brr": 1 / r,
        "fay": 1 / (r * (1 - (rho or 0.0)) ** 2),
        "other": None,
    }[kind]
    if scale is None and default is None:
        raise ValueError("replicate_type='other' needs replicate_scale")
    each = np.ones(r) if rscales is None else np.asarray(rscales, dtype=float).ravel()
    if each.shape != (r,):
        raise ValueError(f"replicate_rscales must have one value per replicate ({r})")
    return matrix.T.copy(), (default if scale is None else float(scale)) * each
