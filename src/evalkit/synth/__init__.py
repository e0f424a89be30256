"""The synthetic county: places and a registry calibrated to the published figures.

SYNTHETIC DATA. Real registry microdata (建档立卡) is confidential; this county
reproduces the report's published figures exactly but its households are
invented. Every file name starts with ``synthetic_``.

Examples
--------
>>> from evalkit import synth
>>> county = synth.generate(seed=7)
>>> len(county["households"]), len(county["members"]), int(county["villages"]["agri_pop"].sum())
(3601, 8055, 130000)
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

import shutil

from evalkit import datasets, package, paths, reference
from evalkit.errors import CalibrationError, UserInputError
from evalkit.synth.params import SynthParams
from evalkit.synth.places import make_places
from evalkit.synth.registry import make_registry
from evalkit.synth.survey import make_survey
from evalkit.synth.targets import targets

__all__ = ["DEFAULT_SEED", "TABLES", "generate", "write", "write_package", "EVALUATION_YEARS"]

#: The years the SYNTHETIC county can be evaluated for (exits recorded in its registry and published).
EVALUATION_YEARS = (2015, 2016, 2017, 2018)

#: Seed of the committed synthetic county.
DEFAULT_SEED = 20190901
#: Tables of the synthetic county, in the order they are written.
TABLES = (
    "townships",
    "villages",
    "households",
    "members",
    "panel",
    "loans",
    "programs",
    "labour",
    "survey",
    "truth",
    "parameters",
)


MAX_ATTEMPTS = 8


def generate(
    seed: int = DEFAULT_SEED, params: SynthParams | None = None, *, include_frame: bool = False
) -> dict[str, pd.DataFrame]:
    """Generate the synthetic county (deterministic for a given seed and parameters).

    Drawing the registry with every published count exact can fail for an
    unlucky draw; the generator then retries with the random stream
    ``(seed, attempt)``, deterministically. The attempt used is recorded in
    the ``parameters`` table. ``include_frame=True`` adds ``"frame"``: every
    rural household's true end-2018 situation (for simulation studies of the
    survey design; never written out).
    """
    p = params or SynthParams()
    t = targets()
    failures = []
    for attempt in range(MAX_ATTEMPTS):
        rng = np.random.default_rng(seed if attempt == 0 else [seed, attempt])
        townships, villages = make_places(rng, t)
        try:
            registry = make_registry(rng, t, p, villages)
        except CalibrationError as exc:
            failures.append(str(exc))
            continue
        population = registry.pop("_population")
        line = float(reference.poverty_lines(allow_interpolated=True).loc[2018])
        survey, assessment, frame = make_survey(rng, p, villages, population, registry["panel"], line)
        registry["truth"] = pd.concat([registry["truth"], assessment], ignore_index=True)
        extra = pd.DataFrame({"parameter": ["seed", "attempt"], "value": [str(seed), str(attempt)]})
        optional = {"frame": frame} if include_frame else {}
        return {
            **optional,
            "townships": townships,
            "villages": villages,
            **registry,
            "survey": survey,
            "parameters": pd.concat([extra, p.to_frame()], ignore_index=True),
        }
    raise CalibrationError(f"seed {seed}: no draw met the published counts in {MAX_ATTEMPTS} attempts: {failures[-1]}")


def write(out_dir: str | os.PathLike[str], seed: int = DEFAULT_SEED) -> list[Path]:
    """Generate and write ``synthetic_<table>.csv`` files (UTF-8, byte-identical per seed)."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in generate(seed).items():
        path = folder / f"synthetic_{name}.csv"
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        written.append(path)
    return written


def write_package(out_dir: str | os.PathLike[str], seed: int = DEFAULT_SEED) -> Path:
    """Write the SYNTHETIC county as a data package in ``out_dir``, laid out as the committed ``data/``:
    ``synthetic/synthetic_<table>.csv``, the county report's published figures in ``published/``, and
    ``datapackage.json``. A folder holding anything but an earlier package is refused.

    Returns
    -------
    pathlib.Path
        The package folder (give it to ``evalkit run --data``).
    """
    folder = Path(out_dir)
    if folder.exists() and any(folder.iterdir()) and not (folder / package.DESCRIPTOR).is_file():
        raise UserInputError(f"{folder} already holds files and is not a data package; give an empty or new folder.")
    written = write(folder / "synthetic", seed)
    source = paths.published_dir()
    shutil.copytree(source, folder / "published", dirs_exist_ok=True)
    tables = [p.stem.removeprefix("synthetic_") for p in written]
    package.describe_files(
        folder,
        datasets.synthetic_files(tables),
        name="licheng-synthetic" + ("" if seed == DEFAULT_SEED else f"-{seed}"),
        title=datasets.SYNTHETIC_TITLE + ("" if seed == DEFAULT_SEED else f" (seed {seed})"),
        synthetic=True,
        years=EVALUATION_YEARS,
    )
    return folder
