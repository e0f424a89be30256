"""Survey designs: weights, strata and clusters; linearized variances and cluster bootstrap replicates.

The variance of a smooth estimator is computed from its influence values
``z_i`` (so that the estimate's error is approximately ``sum_i w_i z_i``) by
the usual with-replacement formula for the first stage:

    V = sum_h n_h / (n_h - 1) * sum_{c in h} (t_c - tbar_h)^2,   t_c = sum_{i in c} w_i z_i

with ``n_h`` clusters in stratum ``h`` (each unit its own cluster when no
clusters are given; one stratum when none are given). Degrees of freedom are
clusters minus strata. Strata with a single cluster contribute nothing and are
counted in ``Design.lonely_strata``.

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

__all__ = ["Design"]


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

    @classmethod
    def of(cls, n: int, *, weights: object = None, strata: object = None, clusters: object = None) -> Design:
        """Build a design; missing parts default to equal weights, one stratum, each unit its own cluster."""
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
        return cls(w, s, c, cs, clusters is not None)

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
        t = self.cluster_totals(influence)
        h = self.cluster_stratum
        k = self.per_stratum.astype(float)
        sums = np.bincount(h, weights=t, minlength=k.size)
        squares = np.bincount(h, weights=t * t, minlength=k.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            within = squares - sums * sums / k
            factor = np.where(k > 1, k / (k - 1), 0.0)
        return float(np.nansum(factor * within))

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
