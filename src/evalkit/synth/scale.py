"""Province- and nation-sized synthetic registries, written in chunks to Parquet.

The county generator calibrates every published count exactly and takes
seconds per county; a national registry (about 30 million households) needs a
faster path. Here each chunk of households is drawn independently (random
stream ``(seed, chunk)``) from distributions taken from the committed county:
household sizes and causes, exit-year shares, income paths towards the line.
Statuses are derived from incomes (exit = first year at or above the line,
staying above to 2018), so incomes and statuses agree by construction; counts
match the county's shares in expectation, not exactly. Memory is bounded by one
chunk; the whole registry is never held.

Layout::

    DIR/households/chunk=00000/part.parquet   household_id, province_id, county_id, township_id, village_id,
                                              household_size, main_cause, exit_year
    DIR/panel/chunk=00000/part.parquet        household_id, year, poverty_line, income_pc, wage_pc, operating_pc,
                                              transfer_pc, status

SYNTHETIC DATA: every file sits under a folder named ``synthetic_registry_scale_<S>``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import datasets, reference
from evalkit.synth.income import exit_cohorts, intended_paths
from evalkit.synth.params import SynthParams

__all__ = ["write_scaled", "COUNTY_HOUSEHOLDS"]

COUNTY_HOUSEHOLDS = 3601
_VILLAGES_PER_COUNTY = 227
_TOWNSHIPS_PER_COUNTY = 10
_COUNTIES_PER_PROVINCE = 100


def _county_shapes() -> dict[str, object]:
    """Distributions taken from the committed synthetic county."""
    hh = datasets.load("households")
    sizes = hh["household_size"].value_counts(normalize=True).sort_index()
    causes = hh["main_cause"].value_counts(normalize=True)
    cohort = hh["exit_year"].fillna(0).astype(int).value_counts(normalize=True).sort_index()
    return {"sizes": sizes, "causes": causes, "cohorts": cohort}


def _chunk(
    rng: np.random.Generator, start: int, n: int, shapes: dict[str, object], p: SynthParams, lines: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    years = np.asarray(p.years)
    ids = np.arange(start, start + n)
    county = ids // COUNTY_HOUSEHOLDS
    village_in_county = rng.integers(0, _VILLAGES_PER_COUNTY, n)
    township_in_county = village_in_county * _TOWNSHIPS_PER_COUNTY // _VILLAGES_PER_COUNTY
    sizes, causes, cohorts = shapes["sizes"], shapes["causes"], shapes["cohorts"]
    size = rng.choice(sizes.index.to_numpy(), size=n, p=sizes.to_numpy())
    cause = rng.choice(causes.index.to_numpy(), size=n, p=causes.to_numpy())
    intended = rng.choice(cohorts.index.to_numpy(), size=n, p=cohorts.to_numpy())
    crossing = np.where(intended == 0, rng.uniform(2019.1, 2024.0, n), intended - rng.uniform(0.1, 0.9, n))
    income = np.round(intended_paths(rng, p, lines, np.ones(n, dtype=bool), crossing), 2)
    transfer = np.round(np.minimum(income * rng.uniform(0.1, 0.5, n)[:, None], income), 2)
    operating = np.round(np.minimum((income - transfer) * rng.beta(2, 5, n)[:, None], income - transfer), 2)
    wage = np.round(income - transfer - operating, 2)
    below = income < lines[None, :]
    # status from incomes, by the county's rule: exit in the first year at or above the line, staying there to 2018
    exit_year = np.maximum(exit_cohorts(income, lines, p.years), 0)
    exited = (exit_year[:, None] > 0) & (years[None, :] >= exit_year[:, None])
    status = np.where(
        exited,
        np.where(years[None, :] == exit_year[:, None], "exited_this_year", "exited"),
        np.where(below, "registered", "not_poor"),
    )
    status = np.where(exited & below, "returned", status)
    hid = np.char.add("N", np.char.zfill(ids.astype(str), 9))
    households = pd.DataFrame(
        {
            "household_id": hid,
            "province_id": (county // _COUNTIES_PER_PROVINCE).astype(np.int32),
            "county_id": county.astype(np.int32),
            "township_id": (county * _TOWNSHIPS_PER_COUNTY + township_in_county).astype(np.int64),
            "village_id": (county * _VILLAGES_PER_COUNTY + village_in_county).astype(np.int64),
            "household_size": size.astype(np.int16),
            "main_cause": cause,
            "exit_year": pd.array(np.where(exit_year > 0, exit_year, pd.NA), dtype="Int16"),
        }
    )
    panel = pd.DataFrame(
        {
            "household_id": np.repeat(hid, years.size),
            "year": np.tile(years, n).astype(np.int16),
            "poverty_line": np.tile(lines, n),
            "income_pc": income.ravel(),
            "wage_pc": wage.ravel(),
            "operating_pc": operating.ravel(),
            "transfer_pc": transfer.ravel(),
            "status": status.ravel(),
        }
    )
    return households, panel


def write_scaled(
    out_dir: str | os.PathLike[str],
    scale: float,
    *,
    seed: int = 20190901,
    chunk_households: int = 500_000,
    params: SynthParams | None = None,
) -> Path:
    """Write a registry of ``scale`` × 3,601 households in chunks; return its folder.

    Examples
    --------
    >>> import tempfile, pyarrow.dataset as ds
    >>> folder = write_scaled(tempfile.mkdtemp(), 2, chunk_households=3000)
    >>> folder.name, ds.dataset(folder / "households", format="parquet").count_rows()
    ('synthetic_registry_scale_2', 7202)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if scale <= 0 or chunk_households < 1:
        raise ValueError("scale must be positive and chunk_households at least 1")
    p = params or SynthParams()
    total = int(round(scale * COUNTY_HOUSEHOLDS))
    lines = reference.poverty_lines(allow_interpolated=True).reindex(p.years).to_numpy()
    shapes = _county_shapes()
    folder = Path(out_dir) / f"synthetic_registry_scale_{scale:g}"
    for index, start in enumerate(range(0, total, chunk_households)):
        n = min(chunk_households, total - start)
        households, panel = _chunk(np.random.default_rng([seed, index]), start, n, shapes, p, lines)
        for name, frame in (("households", households), ("panel", panel)):
            target = folder / name / f"chunk={index:05d}"
            target.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), target / "part.parquet")
    return folder
