"""`evalkit clean` and `evalkit key` from the command line, and the leak test over a full evaluation."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import export_fixtures as fx

KEY = "cli-key-0123456789abcdefghijklmnopqrstuvwxyz"


def _cli(cmd: list[str], *args: str, key: str | None = KEY) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "EVALKIT_PSEUDONYM_KEY"}
    if key is not None:
        env["EVALKIT_PSEUDONYM_KEY"] = key
    return subprocess.run([*cmd, *args], capture_output=True, text=True, env=env, timeout=600)


def test_clean_writes_the_five_files_and_exits_0_with_quarantined_rows(tmp_path, evalkit_cli) -> None:
    rows = fx.base_rows()
    rows.append(["合计", "", "", "", "", "", "", "", "", "9"])
    path = fx.write_csv(tmp_path / "export.csv", fx.HEADER, rows, encoding="gbk")
    done = _cli(evalkit_cli, "clean", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "10 rows in = 9 kept (0 corrected) + 1 quarantined" in done.stdout
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["cleaning_log.csv", "households.csv", "members.csv", "quarantine.csv", "summary.json"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert (summary["rows_in"], summary["rows_kept"], summary["rows_quarantined"]) == (10, 9, 1)
    assert "$EVALKIT_PSEUDONYM_KEY" in summary["pseudonyms"] and KEY not in json.dumps(summary)


@pytest.mark.parametrize(
    ("args", "key", "message"),
    [
        (["clean", "{tmp}/export.csv", "--out", "{tmp}/out"], None, "no pseudonym key"),
        (["clean", "{tmp}/missing.csv", "--out", "{tmp}/out"], KEY, "missing.csv: no such file"),
        (["clean", "{tmp}/header.csv", "--out", "{tmp}/out"], KEY, "header but no data rows"),
        (["clean", "{tmp}/export.csv", "--out", "{tmp}/out", "--key-file", "{repo}/k.key"], KEY, "inside the evalkit"),
        (["key", "--new", "{repo}/k.key"], KEY, "inside the evalkit repository"),
    ],
    ids=["no-key", "missing-file", "header-only", "key-in-repo", "new-key-in-repo"],
)
def test_user_errors_exit_2_with_one_message(tmp_path, repo_root, evalkit_cli, args, key, message) -> None:
    fx.write_csv(tmp_path / "export.csv", fx.HEADER, fx.base_rows())
    fx.write_csv(tmp_path / "header.csv", fx.HEADER, [])
    filled = [a.format(tmp=tmp_path, repo=repo_root) for a in args]
    done = _cli(evalkit_cli, *filled, key=key)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    assert not (repo_root / "k.key").exists()


def _identifiers_of(export: Path) -> set[str]:
    import openpyxl

    book = openpyxl.load_workbook(export, read_only=True)
    values: set[str] = set()
    for sheet in book.worksheets:
        rows = sheet.iter_rows(values_only=True)
        next(rows)  # title
        header = list(next(rows))  # upper header row: single cells merged down hold the names
        next(rows)
        cols = [header.index(h) for h in ("姓名", "证件号码", "联系电话")]
        for row in rows:
            for c in cols:
                if c < len(row) and row[c] not in (None, ""):
                    value = row[c]
                    values.add(str(value) if not isinstance(value, float) else f"{value:.0f}")
    book.close()
    return values


def test_no_identifier_reaches_any_output_of_cleaning_and_evaluation(tmp_path, evalkit_cli) -> None:
    """The synthetic messy export is full of fake names, ID numbers and phones; none may come out anywhere."""
    from evalkit import datasets
    from evalkit.synth.export import messy_export

    export = tmp_path / "raw" / "export.xlsx"
    faults = messy_export(datasets.load_county(), export)
    secrets_ = _identifiers_of(export)
    assert len(secrets_) > 20_000  # names (some shared), ID numbers and phones of 8,055 members
    clean_dir, outputs = tmp_path / "clean", tmp_path / "outputs"
    cleaned = _cli(
        evalkit_cli, "clean", str(export), "--out", str(clean_dir), "--year", "2018", "--poverty-line", "3134.4"
    )
    assert cleaned.returncode == 0, cleaned.stderr
    summary = json.loads((clean_dir / "summary.json").read_text(encoding="utf-8"))
    assert summary["rows_in"] == faults.rows_in == summary["rows_kept"] + summary["rows_quarantined"]
    assert summary["rows_quarantined"] == len(faults.quarantined_rows)
    run = _cli(evalkit_cli, "run", "--out", str(outputs), "-p", f"clean_dir={clean_dir}")
    assert run.returncode == 0, run.stderr
    metrics = json.loads((outputs / "00_data_quality" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["rows_in"] == summary["rows_in"] and metrics["synthetic"] == 0
    texts = [cleaned.stdout, cleaned.stderr, run.stdout, run.stderr]
    for folder in (clean_dir, outputs):
        for path in folder.rglob("*"):
            if path.is_file() and path.suffix != ".png":
                texts.append(path.read_bytes().decode("utf-8", errors="ignore"))
    blob = "\n".join(texts)
    # names are 2-3 Chinese characters: match them as whole cell values or between non-CJK characters
    leaked = sorted(v for v in secrets_ if v in blob and (v.isdigit() or v.isascii() or _as_word(v, blob)))
    assert leaked == []


def _as_word(name: str, blob: str) -> bool:
    import re

    return re.search(rf"(?<![\u3400-\u9fff]){re.escape(name)}(?![\u3400-\u9fff])", blob) is not None
