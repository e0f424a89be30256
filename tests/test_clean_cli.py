"""`evalkit clean` and `evalkit key` from the command line (the leak test over a full evaluation is in
test_annual_run.py)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import export_fixtures as fx

KEY = "6a2e9c41f0b7d3e85c1a4f92b06d7e3f"


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
def test_user_errors_exit_2_with_one_message(tmp_path, repo_root, run_cli, args, key, message) -> None:
    fx.write_csv(tmp_path / "export.csv", fx.HEADER, fx.base_rows())
    fx.write_csv(tmp_path / "header.csv", fx.HEADER, [])
    filled = [a.format(tmp=tmp_path, repo=repo_root) for a in args]
    done = run_cli(*filled, key=key)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
    assert not (repo_root / "k.key").exists()


def test_clean_never_overwrites_its_input_or_foreign_files(tmp_path, run_cli) -> None:
    folder = tmp_path / "in" / "x"
    folder.mkdir(parents=True)
    path = fx.write_csv(folder / "members.csv", fx.HEADER, fx.base_rows())
    raw = path.read_bytes()
    done = run_cli("clean", str(path), "--out", str(folder), key=KEY)
    assert done.returncode == 2 and "contains an input" in done.stderr
    assert path.read_bytes() == raw and sorted(p.name for p in folder.iterdir()) == ["members.csv"]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    done = run_cli("clean", str(path), "--out", str(mine), key=KEY)
    assert done.returncode == 2 and "evalkit removes only what it wrote itself" in done.stderr
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]
    out = tmp_path / "out"
    assert run_cli("clean", str(path), "--out", str(out), key=KEY).returncode == 0
    assert run_cli("clean", str(path), "--out", str(out), key=KEY).returncode == 0  # its own run: replaced
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []


def test_key_new_writes_a_private_random_key_and_never_overwrites(tmp_path, run_cli) -> None:
    """`evalkit key --new PATH`: 64 hexadecimal characters and nothing else, readable by the owner only, a
    key `evalkit clean --key-file` accepts; a second call on the same path is refused and changes nothing."""
    import stat

    from evalkit.io import load_key

    path = tmp_path / "keys" / "pseudonym.key"
    done = run_cli("key", "--new", str(path))
    assert done.returncode == 0, done.stderr
    secret = path.read_bytes()
    assert len(secret) == 64 and all(c in b"0123456789abcdef" for c in secret)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path).secret == secret
    again = run_cli("key", "--new", str(path))
    assert again.returncode == 2 and "never overwrites a key" in again.stderr
    assert path.read_bytes() == secret
