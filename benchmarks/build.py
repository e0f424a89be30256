"""Benchmark: ``evalkit build`` on the county's six yearly exports, and on a registry ``--scale`` times larger,
with wall time and peak memory against the baseline of cleaning one year's export alone.

Two registries, both SYNTHETIC:

* the county as an office has it (``evalkit synth``'s ``raw/``: six exports in six forms, the loan ledger,
  the rosters, the survey);
* ``--scale`` copies of the county in each year's export (plain CSVs; each copy has its own household
  numbers, invented names, ID numbers and phones, the same in every year so that the years link): at 100,
  about 360,000 households and 800,000 member rows a year.

Each command runs in its own process (``evalkit build`` / ``evalkit clean``), so that its peak resident
memory is its own (``getrusage`` in the child). The baseline is ``evalkit clean`` of the largest
year's export alone: a build that works year by year should take about six times its time and stay
within a small multiple of its memory. Nothing is asserted; targets are read off the ratios.

Run: ``.venv/bin/python benchmarks/build.py [--scale 100] [--skip-county]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _timing import machine

from evalkit import datasets
from evalkit.io.ids import check_character
from evalkit.io.pseudonym import PseudonymKey
from evalkit.synth.export import fake_identifiers
from evalkit.synth.raw import REGISTRY_YEARS, _chinese, _places, registry_rows, write_raw

KEY = "5f0c2e9a41b7d3863e0f9a2c7b14d5e6a8c3f1e0b9d27a64"


_CHILD = """
import resource, sys
from evalkit.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
sys.stderr.write(f"\\nPEAK_KIB {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}\\n")
sys.exit(code or 0)
"""


def _run(*args: str) -> tuple[float, float]:
    """Wall seconds and peak resident memory (GiB) of one evalkit command in a fresh child process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, *args], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"evalkit {args[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    kib = int(done.stderr.rsplit("PEAK_KIB", 1)[1].split()[0])
    return wall, kib / 2**20


def _scaled_raw(folder: Path, scale: int) -> tuple[int, Path]:
    """``scale`` copies of the county in each year's export; returns member rows per year and the largest."""
    county = datasets.load_county()
    members = county["members"].merge(county["households"], on="household_id", how="left")
    folder.mkdir(parents=True)
    _places(county, folder / "places.csv")
    identities = []
    for copy in range(scale):
        ids = fake_identifiers(np.random.default_rng([7, copy]), members)
        region = f"1404{copy:02d}" if scale <= 100 else f"14{copy:04d}"
        first17 = region + ids["id_number"].str[6:17]
        ids["id_number"] = [f + check_character(f) for f in first17]
        identities.append((region, ids))
    sizes = {}
    for year in REGISTRY_YEARS:
        path = folder / f"registry_{year}.csv"
        base = registry_rows(county, identities[0][1], year)  # the year's rows once; each copy swaps identities
        for copy, (region, ids) in enumerate(identities):
            part = base.copy()
            for column in ("name", "id_number", "phone"):
                part[column] = ids[column].to_numpy()
            part["birth_date"] = [d.isoformat() for d in ids["birth_date"]]
            part["household_id"] = region + base["household_id"].str[6:]
            part["person_id"] = region + base["person_id"].str[6:]
            _chinese(part).to_csv(path, mode="a", header=copy == 0, index=False, encoding="utf-8")
        sizes[year] = (len(base) * scale, path)
    largest = max(sizes.values())
    return largest[0], largest[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100, help="copies of the county in each yearly export")
    parser.add_argument("--skip-county", action="store_true", help="only the scaled registry")
    args = parser.parse_args()
    print(f"{machine()}, pandas {pd.__version__}")
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-build-") as tmp:
        root = Path(tmp)
        key = root / "pseudonym.key"
        key.write_text(KEY, encoding="ascii")
        key.chmod(0o600)
        PseudonymKey(KEY.encode())  # the key is accepted
        if not args.skip_county:
            raw = root / "county"
            write_raw(datasets.load_county(), raw)
            wall, peak = _run(
                "build", str(raw), "--out", str(root / "county-pkg"), "--key-file", str(key), "--synthetic"
            )
            print(f"county, six exports in six forms and the ledgers: build {wall:.1f} s, peak {peak:.2f} GiB")
        rows, largest = _scaled_raw(root / "scaled", args.scale)
        mib = sum(p.stat().st_size for p in (root / "scaled").glob("registry_*.csv")) / 2**20
        print(f"scale {args.scale}: {rows:,} member rows in the largest year, six exports, {mib:,.0f} MiB of CSV")
        clean_wall, clean_peak = _run("clean", str(largest), "--out", str(root / "one-year"), "--key-file", str(key))
        print(f"  baseline, clean the largest year alone: {clean_wall:.1f} s, peak {clean_peak:.2f} GiB")
        wall, peak = _run(
            "build", str(root / "scaled"), "--out", str(root / "scaled-pkg"), "--key-file", str(key), "--synthetic"
        )
        print(f"  build six years: {wall:.1f} s, peak {peak:.2f} GiB")
        print(f"  ratios: time {wall / clean_wall:.1f}x one year's clean (six years), memory {peak / clean_peak:.2f}x")


if __name__ == "__main__":
    main()
