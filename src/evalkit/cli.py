"""The ``evalkit`` command: the annual evaluation and the tools around it.

Exit status: 0 success; 1 a notebook failed; 2 the user's input was wrong (message on stderr, no
traceback). Subcommands import what they need when they run, so ``evalkit --help`` answers at once.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from evalkit.errors import UserInputError

__all__ = ["main", "build_parser"]


def _key_value(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    name, value = text.split("=", 1)
    return name.strip(), value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``evalkit`` command, with one subcommand per verb."""
    parser = argparse.ArgumentParser(
        prog="evalkit",
        description="Evaluate poverty-alleviation programs: the annual evaluation and the tools around it.",
        epilog=(
            "Exit status: 0 done; 1 a notebook failed, or the machine failed (disk full, folder not writable); "
            "2 the input or a parameter was wrong (nothing was run or written); 130 interrupted (Ctrl-C)."
        ),
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run every notebook for a year into outputs/YEAR/")
    run.add_argument("--year", type=int, help="evaluation year (default: the latest year the data covers)")
    run.add_argument("--out", help="output folder (default: outputs/YEAR/)")
    run.add_argument("--jobs", type=int, help="notebooks run at once (default: number of cores)")
    run.add_argument("--lang", choices=["en", "zh"], help="label language of every notebook")
    run.add_argument(
        "--data",
        "--data-dir",
        dest="data_dir",
        default="",
        metavar="PKG",
        help="data package: a folder with datapackage.json (default: the embedded SYNTHETIC county)",
    )
    run.add_argument("--notebooks-dir", help="folder of notebooks (default: notebooks/)")
    run.add_argument("--only", nargs="+", metavar="NOTEBOOK", help="run only these notebooks")
    run.add_argument(
        "-p",
        "--param",
        action="append",
        type=_key_value,
        default=[],
        metavar="NAME=VALUE",
        help="extra notebook parameter (repeatable)",
    )
    run.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds (default 600)")
    run.add_argument("--kernel", default="evalkit", help="Jupyter kernel name (default evalkit)")
    run.add_argument(
        "--pdf",
        choices=["auto", "yes", "no"],
        default="auto",
        help="the whole report as one PDF, printed by Chromium: auto (when a browser is found), yes, no",
    )
    run.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors (for cron and other schedulers)"
    )

    params = sub.add_parser("params", help="list a notebook's parameters")
    params.add_argument("notebook", help="notebook name or path, e.g. 01_incidence_trends")

    bld = sub.add_parser(
        "build",
        help="build a data package from an office's raw files (registry exports, place roster, loan ledger)",
        description="Cleans every registry export as `evalkit clean` does (pseudonyms first), links households "
        "and persons across years through the pseudonyms, and writes a data package with build/ reports "
        "(files read, links made or failed, quarantined rows).",
    )
    bld.add_argument("inputs", nargs="+", metavar="INPUT", help="raw files or folders of them")
    bld.add_argument("--out", metavar="PKG", help="the package folder to write")
    bld.add_argument(
        "--into",
        metavar="PKG",
        help="add the given years to a package built before with the same key (written back into it)",
    )
    bld.add_argument("--key-file", help="file holding the pseudonym key (default: $EVALKIT_PSEUDONYM_KEY)")
    bld.add_argument(
        "--synthetic", action="store_true", help="the files are evalkit's SYNTHETIC county (from `evalkit synth`)"
    )

    val = sub.add_parser(
        "validate",
        help="check a data package against evalkit's contract; list every problem",
        description="Checks datapackage.json, every table's file, columns, types, codes, ranges, keys and "
        "references, and lists every problem at once (exit status 2 if there is one).",
    )
    val.add_argument("package", metavar="PKG", help="the package folder (holding datapackage.json)")

    syn = sub.add_parser(
        "synth",
        help="write the SYNTHETIC county as a data package (DIR/package/) and as an office's raw files (DIR/raw/)",
        description="Writes DIR/package/: the SYNTHETIC county as a data package, usable with `evalkit run --data`; "
        "and DIR/raw/: the same county as an office holds it (registry exports 2014-2019, place roster, loan "
        "ledger), with invented identifiers, for `evalkit build`.",
    )
    syn.add_argument("--out", required=True, metavar="DIR", help="output folder (the package goes to DIR/package/)")
    syn.add_argument("--seed", type=int, default=None, help="random seed (default: the committed data's seed)")
    syn.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="registry size in counties (1: the calibrated county as CSV; more: a registry of SCALE x 3,601 "
        "households written in chunks to Parquet)",
    )
    syn.add_argument(
        "--chunk-households", type=int, default=500_000, help="households per Parquet chunk (bounds memory)"
    )

    cln = sub.add_parser(
        "clean",
        help="clean and de-identify registry exports (CSV, .xlsx, .xls) into DIR",
        description="Every input row ends kept (unchanged or corrected, logged) or quarantined (with reasons); "
        "names, ID numbers, phones, bank accounts and addresses are dropped and households and persons get "
        "keyed pseudonyms. Exit 0 when done, even with quarantined rows; 2 when an input cannot be used.",
    )
    cln.add_argument("inputs", nargs="+", metavar="INPUT", help="export files")
    cln.add_argument("--out", required=True, help="output folder (members, households, quarantine, log, summary)")
    cln.add_argument("--key-file", help="file holding the pseudonym key (default: $EVALKIT_PSEUDONYM_KEY)")
    cln.add_argument(
        "--previous",
        metavar="DIR",
        help="an earlier year's cleaning run: refuse unless it was made with the same pseudonym key",
    )
    cln.add_argument("--year", type=int, help="year the incomes refer to, if the export has no 年度 column")
    cln.add_argument(
        "--poverty-line",
        type=float,
        help="poverty line of that year in yuan for the exit check (default: the sourced line in "
        "data/reference/poverty_lines.csv; years without one are not checked)",
    )

    key = sub.add_parser("key", help="create a pseudonym key file (outside the repository)")
    key.add_argument("--new", required=True, metavar="PATH", help="where to write the new key (never overwritten)")

    ind = sub.add_parser(
        "indicators", help="summarize a registry folder (Parquet) into one tidy indicator table, on any size"
    )
    ind.add_argument(
        "path", help="registry folder: households/, panel/ (and villages/ for the exit tests), Parquet (synth --scale)"
    )
    ind.add_argument("--engine", choices=["pandas", "duckdb", "spark"], default="duckdb", help="default duckdb")
    ind.add_argument("--out", required=True, help="CSV file to write (indicator, level, group, year, estimate)")
    ind.add_argument("--levels", default="county,township", help="comma-separated: province, county, township, village")
    ind.add_argument("--no-gini", action="store_true", help="skip the Gini (needs a sort per level)")
    ind.add_argument(
        "--no-exit-tests", action="store_true", help="skip the village exit tests (run when villages/ is present)"
    )
    ind.add_argument(
        "--exit-threshold",
        type=float,
        default=2.0,
        help="exit-test incidence threshold in %% (default 2: the central region; 3 in the west)",
    )
    ind.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit before spilling (default 6GB)")
    ind.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")

    rec = sub.add_parser("reconcile", help="check the published figures' identities")
    rec.add_argument("--data-dir", default="", help="data folder (default: the embedded data)")
    rec.add_argument("--failing", action="store_true", help="show only identities that do not hold")
    return parser


def _cmd_run(args: argparse.Namespace) -> int:
    from evalkit.params import coerce_text, notebook_parameters
    from evalkit.runner import discover, run

    extra: dict[str, object] = {}
    if args.param:
        sources = discover(Path(args.notebooks_dir) if args.notebooks_dir else None, args.only)
        declared = {}
        for source in sources:
            declared.update(notebook_parameters(source))
        for name, text in args.param:
            extra[name] = coerce_text(text, declared[name].type_name) if name in declared else text
    if args.lang:
        extra["lang"] = args.lang
    if args.quiet:
        logging.getLogger().setLevel(logging.ERROR)
    result = run(
        args.year,
        out=args.out,
        jobs=args.jobs,
        notebooks_dir=args.notebooks_dir,
        only=args.only,
        params=extra,
        data_dir=args.data_dir,
        kernel=args.kernel,
        timeout=args.timeout,
        pdf=args.pdf,
    )
    if args.quiet:  # for schedulers: nothing on success; on failure what failed and where, on stderr
        if result.ok:
            return 0
        for problem in _run_problems(result):
            print(f"evalkit: {problem}", file=sys.stderr)
        print(f"evalkit: the failed run is kept in {result.out_dir}; the previous output is unchanged", file=sys.stderr)
        return 1
    if result.ok:
        print(f"evalkit: wrote {result.out_dir} (manifest {result.manifest_path.name}) in {result.wall_seconds:.1f} s")
        if result.pdf.get("status") == "ok":
            print(f"  the year's report as one PDF: {result.pdf['file']}")
    else:
        what = "a notebook failed" if result.failed else "the year's PDF could not be printed"
        print(f"evalkit: {what}; the run is kept in {result.out_dir}, the previous output left as it was")
    for nb in result.notebooks:
        print(f"  {nb.name}: {nb.record.get('status')} ({nb.record.get('wall_seconds', 0):.1f} s)")
    if not result.ok:
        for problem in _run_problems(result):
            print(f"evalkit: {problem}", file=sys.stderr)
        return 1
    return 0


def _run_problems(result) -> list[str]:  # noqa: ANN001  (a RunResult)
    """What made a run fail: each failed notebook, and the PDF when it was asked for and not printed."""
    problems = [nb.describe_failure() for nb in result.failed]
    if result.pdf.get("status") == "failed":
        problems.append(f"the year's PDF could not be printed: {result.pdf.get('error')}")
    return problems


def _cmd_indicators(args: argparse.Namespace) -> int:
    import time

    from evalkit.engines import summarize
    from evalkit.spreadsheets import write_csv

    levels = tuple(part.strip() for part in args.levels.split(",") if part.strip())
    start = time.perf_counter()
    table = summarize(
        args.path,
        engine=args.engine,
        levels=levels,
        gini=not args.no_gini,
        exit_tests=False if args.no_exit_tests else None,
        exit_threshold_pct=args.exit_threshold,
        memory_limit=args.memory_limit,
        threads=args.threads,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_csv(table, out)
    print(
        f"evalkit: {len(table):,} rows ({table['indicator'].nunique()} indicators, levels {', '.join(levels)}) "
        f"with {args.engine} in {time.perf_counter() - start:.1f} s -> {out}",
        file=sys.stderr,
    )
    return 0


def _cmd_params(args: argparse.Namespace) -> int:
    from evalkit.params import allowed_values, find_notebook, notebook_parameters, requirement

    path = find_notebook(args.notebook)
    print(f"{path.stem} ({path})")
    for p in notebook_parameters(path).values():
        allowed = allowed_values(p.name, notebook=path.stem)
        needs = requirement(p.name, path.stem)
        extra = f"  allowed: {', '.join(map(str, allowed))}" if allowed else ""
        extra += f"  must be: {needs}" if needs else ""
        print(f"  {p.name}: {p.type_name} = {p.default!r}  # {p.help}{extra}")
    return 0


def _cmd_synth(args: argparse.Namespace) -> int:
    from evalkit import synth
    from evalkit.errors import UserInputError

    seed = synth.DEFAULT_SEED if args.seed is None else args.seed
    if args.scale <= 0 or args.chunk_households < 1:
        raise UserInputError(
            f"--scale must be positive (got {args.scale}) and --chunk-households at least 1 (got {args.chunk_households})."
        )
    if args.scale != 1:
        from evalkit.synth.scale import write_scaled

        folder = write_scaled(args.out, args.scale, seed=seed, chunk_households=args.chunk_households)
        print(f"wrote {folder} (SYNTHETIC, Parquet in chunks)")
        return 0
    from evalkit import datasets
    from evalkit.synth.raw import write_raw

    folder = synth.write_package(Path(args.out) / "package", seed)
    print(f"wrote {folder} (SYNTHETIC data package; use it with `evalkit run --data {folder}`)")
    raw = Path(args.out) / "raw"
    write_raw(datasets.load_county(folder), raw, seed=seed)
    print(
        f"wrote {raw} (the same SYNTHETIC county as an office holds it, with invented names, ID numbers and phones; "
        f"`evalkit build {raw} --out PKG --key-file KEY --synthetic` builds it back)"
    )
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from evalkit import build, folders
    from evalkit.io.pseudonym import load_key

    out = args.out or args.into
    if not out:
        raise UserInputError("give --out PKG (a new package) or --into PKG (a package to add years to).")
    folders.check_target(out, args.inputs)  # refused before hours of reading, not after
    key = load_key(args.key_file)
    result = build.build(args.inputs, key, synthetic=args.synthetic, into=args.into)
    folder = build.write(result, out, inputs=args.inputs)
    s = result.summary
    print(
        f"evalkit: wrote {folder}: {s['households']} households, {s['persons']} persons, years "
        f"{', '.join(map(str, s['years']))}; links and problems in build/links.csv"
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from evalkit import package

    problems = package.validate(args.package)
    if problems:
        print(f"evalkit: {len(problems)} problem(s) in the data package {args.package}:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    pkg = package.open_package(args.package)
    kind = "SYNTHETIC" if pkg.synthetic else "office data"
    print(
        f"evalkit: {args.package} meets the contract ({kind}; tables: {', '.join(pkg.names)}; "
        f"years {', '.join(map(str, pkg.years))})"
    )
    return 0


def _cmd_reconcile(args: argparse.Namespace) -> int:
    import pandas as pd

    from evalkit.published import reconcile

    table = reconcile(args.data_dir or None)
    if args.failing:
        table = table.loc[~table["holds"]]
    with pd.option_context("display.max_rows", None, "display.width", 160, "display.max_colwidth", 60):
        print(
            table[["identity", "lhs_expr", "relation", "rhs_expr", "lhs", "rhs", "gap", "holds"]].to_string(index=False)
        )
    return 0


def _cmd_clean(args: argparse.Namespace) -> int:
    from evalkit.folders import check_target
    from evalkit.io import clean, load_key, same_key

    key = load_key(args.key_file)  # before reading anything: no key, no de-identified output
    if args.previous:
        same_key(args.previous, key)
    check_target(args.out, args.inputs)  # before the work: an output over an input is refused at once
    result = clean(args.inputs, key, year=args.year, poverty_line=args.poverty_line)
    result.write(args.out, inputs=args.inputs)
    s = result.summary
    print(
        f"evalkit: {s['rows_in']} rows in = {s['rows_kept']} kept ({s['rows_corrected']} corrected) "
        f"+ {s['rows_quarantined']} quarantined; {s['rows_flagged']} kept rows flagged for checking"
    )
    for reason, count in s["quarantine_reasons"].items():
        print(f"  quarantined: {reason} ({count})")
    print(
        f"evalkit: wrote {Path(args.out)} (members.csv, households.csv, quarantine.csv, cleaning_log.csv, summary.json)"
    )
    return 0


def _cmd_key(args: argparse.Namespace) -> int:
    from evalkit.io import new_key_file

    path = new_key_file(args.new)
    print(f"evalkit: wrote a new pseudonym key to {path} (owner-only). Keep it safe and use it every year.")
    return 0


#: Failures of the machine rather than of the input: a full disk or quota, a read-only or forbidden folder.
_WRITE_FAILURES = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``evalkit`` command."""
    logging.basicConfig(level=logging.INFO, format="evalkit: %(message)s", stream=sys.stderr)
    for noisy in ("papermill", "traitlets", "nbconvert"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    handlers = {
        "run": _cmd_run,
        "params": _cmd_params,
        "synth": _cmd_synth,
        "reconcile": _cmd_reconcile,
        "validate": _cmd_validate,
        "build": _cmd_build,
        "indicators": _cmd_indicators,
        "clean": _cmd_clean,
        "key": _cmd_key,
    }
    try:
        return handlers[args.command](args)
    except UserInputError as exc:
        from evalkit.io.scrub import Scrubber

        print(f"evalkit: error: {Scrubber()(str(exc))}", file=sys.stderr)  # a file name can hold an ID number
        return 2
    except KeyboardInterrupt:
        print("evalkit: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.errno not in _WRITE_FAILURES:
            raise
        from evalkit.io.scrub import Scrubber

        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"evalkit: error: could not write{Scrubber()(where)}: {exc.strerror}. Nothing was replaced: the previous "
            "output (if any) is as it was. Free space or choose another output folder, then run again.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
