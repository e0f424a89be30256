"""Province- and nation-sized synthetic registries, written in chunks to Parquet.

The county generator calibrates every published count exactly and takes
seconds per county; a national registry (about 30 million households) needs a
faster path. Here each chunk of households is drawn independently (random
stream ``(seed, chunk)``): every household copies a randomly drawn household of
the committed county (its size, cause, intended exit year, village and program
start years, jointly) and gets its own income path towards the line.
Statuses are derived from incomes (exit = first year at or above the line,
staying above to 2018), so incomes and statuses agree by construction; counts
match the county's shares in expectation, not exactly. Memory is bounded by one
chunk; the whole registry is never held.

Layout::

    DIR/households/chunk=00000/part.parquet   household_id, province_id, county_id, township_id, village_id,
                                              household_size, main_cause, exit_year,
                                              start_<program> (first year with each program; see programs.start_years)
    DIR/panel/chunk=00000/part.parquet        household_id, year, poverty_line, income_pc, wage_pc, operating_pc,
                                              transfer_pc, status
    DIR/villages/chunk=00000/part.parquet     village_id, township_id, county_id, province_id, agri_pop
                                              (for the counties that begin in the chunk; each county has the
                                              committed county's 227 village populations)

SYNTHETIC DATA: every file sits under a folder named ``synthetic_registry_scale_<S>``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit import datasets, reference
from evalkit.programs import start_years
from evalkit.synth.income import exit_cohorts, intended_paths
from evalkit.synth.params import SynthParams

__all__ = ["write_scaled", "COUNTY_HOUSEHOLDS"]

#: Households of the calibrated county: one county in a scaled registry.
COUNTY_HOUSEHOLDS = 3601
_VILLAGES_PER_COUNTY = 227
_TOWNSHIPS_PER_COUNTY = 10
_COUNTIES_PER_PROVINCE = 100


def _county_shapes() -> dict[str, object]:
    """The committed synthetic county as donors: each scaled household copies one county household's size,
    cause, intended exit cohort, program start years, village and township (jointly, so that the links between
    them survive); every scaled county has the county's 227 village populations."""
    county = datasets.load_county()
    villages = county["villages"].sort_values("village_id", ignore_index=True)
    townships = {t: i for i, t in enumerate(sorted(villages["township_id"].unique()))}
    donors = county["households"].merge(start_years(county), on="household_id")
    donors = donors.merge(villages[["village_id", "township_id"]], on="village_id")
    return {
        "size": donors["household_size"].to_numpy(),
        "cause": donors["main_cause"].to_numpy(),
        "cohort": donors["exit_year"].fillna(0).astype(int).to_numpy(),
        "starts": {c: donors[c].to_numpy(dtype="float64", na_value=np.nan) for c in donors if c.startswith("start_")},
        "village": villages.reset_index().set_index("village_id").loc[donors["village_id"], "index"].to_numpy(),
        "township": donors["township_id"].map(townships).to_numpy(),
        "agri_pop": villages["agri_pop"].to_numpy(),
        "village_township": villages["township_id"].map(townships).to_numpy(),
    }


def _villages(first_county: int, last_county: int, shapes: dict[str, object]) -> pd.DataFrame:
    """The village table of counties ``first_county`` .. ``last_county`` (inclusive)."""
    counties = np.arange(first_county, last_county + 1)
    k = _VILLAGES_PER_COUNTY
    county = np.repeat(counties, k)
    index = np.tile(np.arange(k), counties.size)
    return pd.DataFrame(
        {
            "village_id": (county * k + index).astype(np.int64),
            "township_id": (county * _TOWNSHIPS_PER_COUNTY + shapes["village_township"][index]).astype(np.int64),
            "county_id": county.astype(np.int32),
            "province_id": (county // _COUNTIES_PER_PROVINCE).astype(np.int32),
            "agri_pop": np.tile(shapes["agri_pop"], counties.size).astype(np.int64),
        }
    )


def _chunk(
    rng: np.random.Generator, start: int, n: int, shapes: dict[str, object], p: SynthParams, lines: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    years = np.asarray(p.years)
    ids = np.arange(start, start + n)
    county = ids // COUNTY_HOUSEHOLDS
    donor = rng.integers(0, shapes["size"].size, n)
    size, cause, intended = shapes["size"][donor], shapes["cause"][donor], shapes["cohort"][donor]
    village_in_county, township_in_county = shapes["village"][donor], shapes["township"][donor]
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
            **{
                name: pd.array(np.where(np.isnan(first[donor]), pd.NA, first[donor]), dtype="Int16")
                for name, first in shapes["starts"].items()
            },
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
        frames = [("households", households), ("panel", panel)]
        first, last = -(-start // COUNTY_HOUSEHOLDS), (start + n - 1) // COUNTY_HOUSEHOLDS
        if first <= last:  # the counties that begin in this chunk
            frames.append(("villages", _villages(first, last, shapes)))
        for name, frame in frames:
            target = folder / name / f"chunk={index:05d}"
            target.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), target / "part.parquet")
    return folder
