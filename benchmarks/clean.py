"""Benchmark: cleaning a large export with varied names, and the scrubber against a loop over every name.

Writes the SYNTHETIC county as a plain CSV export ``--copies`` times over (new household numbers and new
invented names, ID numbers and phones in each copy: 25 copies are about 200,000 member rows with tens of
thousands of distinct names), cleans it with ``evalkit.io.clean`` and writes the outputs, then checks that
no identifier of the export reached them. The scrubber is timed on the cleaning log's text cells against
the approach it replaced, a loop over every known name for every cell (on a sample of cells, since that
loop takes about an hour on the whole log), and the ratio is printed.

Run: ``.venv/bin/python benchmarks/clean.py [--copies 25]``.
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

from _timing import machine

from evalkit import datasets
from evalkit.io import PseudonymKey, clean
from evalkit.io.scrub import Scrubber
from evalkit.synth.export import export_csv

KEY = PseudonymKey(b"5f0c2e9a41b7d3863e0f9a2c7b14d5e6a8c3f1e0b9d27a64")


def _loop_over_names(cells: list[str], names: list[str]) -> list[str]:
    """The replaced approach: every known name tried on every cell."""
    out = []
    for text in cells:
        for name in names:
            if name in text:
                text = text.replace(name, "<redacted>")
        out.append(text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=25)
    parser.add_argument("--sample", type=int, default=2000, help="log cells timed with the loop over names")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="evalkit-bench-clean-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        rows = export_csv(datasets.load_county(), folder / "export.csv", copies=args.copies)
        print(
            f"export: {len(rows):,} member rows, {rows['name'].nunique():,} distinct names "
            f"({time.perf_counter() - start:.1f} s to write)"
        )
        start = time.perf_counter()
        result = clean(folder / "export.csv", KEY, year=2018, poverty_line=3134.4)
        cleaned = time.perf_counter() - start
        start = time.perf_counter()
        result.write(folder / "out", inputs=[folder / "export.csv"])
        written = time.perf_counter() - start
        s = result.summary
        print(
            f"clean: {s['rows_in']:,} rows in = {s['rows_kept']:,} kept + {s['rows_quarantined']:,} quarantined "
            f"in {cleaned:.1f} s; written in {written:.1f} s"
        )
        blob = "\n".join(p.read_text(encoding="utf-8-sig") for p in (folder / "out").iterdir())
        secrets_ = set(rows["id_number"]) | set(rows["phone"])
        # one pass over the outputs: every 11- and 18-character window of each run of digits against the set
        # (not every secret searched for in the text), and every run of Chinese characters against the names
        windows = {
            r[i : i + n] for r in re.findall(r"[0-9Xx]{11,}", blob) for n in (11, 18) for i in range(len(r) - n + 1)
        }
        leaked = len(secrets_ & windows)
        named = len(set(rows["name"]) & set(re.findall("[\u3400-\u9fff]+", blob)))
        print(f"identifiers found in the outputs: {leaked} ID numbers or phones, {named} names standing alone")
        names = sorted(set(rows["name"]))
        cells = [c for c in result.log["message"].astype(str)][: args.sample]
        cells = [f"{c}; 联系人{names[i % len(names)]}" for i, c in enumerate(cells)]  # a name in every cell
        scrub = Scrubber(names)
        start = time.perf_counter()
        fast = [scrub(c) for c in cells]
        one_pass = time.perf_counter() - start
        start = time.perf_counter()
        slow = _loop_over_names(cells, names)
        loop = time.perf_counter() - start
        assert all("<redacted>" in a and "<redacted>" in b for a, b in zip(fast, slow, strict=True))
        print(
            f"scrubbing {len(cells):,} cells against {len(names):,} names: one pass {one_pass * 1000:.0f} ms, "
            f"loop over names {loop * 1000:.0f} ms (ratio {loop / one_pass:.0f}x)"
        )


if __name__ == "__main__":
    main()
